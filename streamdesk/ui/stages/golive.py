"""Go live: the four options (HLS, recording, captions, transcription) with storage names, a
confirmation that defaults to No, then "Going live…" until GetStream confirms the call left
backstage; a timeout turns into a diagnostic that says what to check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QWidget

from streamdesk.core.flow import Event, State
from streamdesk.core.keys import key_expired
from streamdesk.core.options import GoLiveOptions
from streamdesk.ui import style
from streamdesk.ui.stages.base import StageCard, button, gate, hint_label, row

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller


class GoLiveCard(StageCard):
    stage = "golive"
    title = "Go live"
    subtitle = ("Once GetStream receives your stream, it waits in the backstage where only you can see it. "
                "Going live opens the call to viewers.")

    def __init__(self, controller: Controller, parent: QWidget | None = None,
                 confirm: Callable[[str, str], bool] | None = None) -> None:
        super().__init__(controller, parent)
        self.confirm = confirm or (lambda _t, _x: False)
        w = self.widget()
        # what the streamer checks before pressing the red button, gathered in one place
        ready = self.panel("Before you go live")
        self.check_obs = QLabel("○  OBS: no data yet", w)
        self.check_obs.setObjectName("check_obs")
        self.check_ingest = QLabel("○  GetStream: not checked yet", w)
        self.check_ingest.setObjectName("check_ingest")
        self.check_ingest.setTextFormat(Qt.TextFormat.PlainText)
        self.check_target = QLabel("", w)
        self.check_target.setObjectName("check_target")
        self.check_target.setTextFormat(Qt.TextFormat.PlainText)
        self.check_target.setWordWrap(True)
        self.check_target.hide()
        self.check_key = QLabel("", w)
        self.check_key.setObjectName("check_key")
        self.check_call = QLabel("", w)
        self.check_call.setObjectName("check_call")
        self.check_discord = QLabel("", w)
        self.check_discord.setObjectName("check_discord")
        for label in (self.check_obs, self.check_ingest, self.check_target, self.check_key, self.check_call,
                      self.check_discord):
            ready.addWidget(label)
        opts = self.panel("While live")
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        self.hls = QCheckBox("HLS playback (for big audiences and embeds)", w)
        self.recording = QCheckBox("Record the stream", w)
        self.recording_storage = QLineEdit(w)
        self.recording_storage.setPlaceholderText("storage name (default: GetStream's)")
        self.captions = QCheckBox("Closed captions", w)
        self.transcription = QCheckBox("Transcription", w)
        self.transcription_storage = QLineEdit(w)
        self.transcription_storage.setPlaceholderText("storage name (default: GetStream's)")
        for name, widget in (("hls", self.hls), ("recording", self.recording), ("captions", self.captions),
                             ("transcription", self.transcription)):
            widget.setObjectName(f"golive_{name}")
        grid.addWidget(self.hls, 0, 0)
        grid.addWidget(self.recording, 1, 0)
        grid.addWidget(self.recording_storage, 1, 1)
        grid.addWidget(self.captions, 2, 0)
        grid.addWidget(self.transcription, 3, 0)
        grid.addWidget(self.transcription_storage, 3, 1)
        self.recording_storage.setEnabled(False)
        self.transcription_storage.setEnabled(False)
        self.recording.toggled.connect(self.recording_storage.setEnabled)
        self.transcription.toggled.connect(self.transcription_storage.setEnabled)
        opts.addLayout(grid)

        act = self.panel()
        self.go = button("Go live", w, "danger", self._go_live, name="go_live")
        self.reason_hint = hint_label(w)
        act.addLayout(row(self.go, self.reason_hint))
        self.progress_label = QLabel("Going live… waiting for GetStream to confirm the call left "
                                     "backstage.", w)
        self.progress = QProgressBar(w)
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(8)
        self.progress.setTextVisible(False)
        act.addWidget(self.progress_label)
        act.addWidget(self.progress)
        controller.obs_health.connect(self._on_health)
        controller.channel_changed.connect(lambda _c: self._show_channel())
        controller.state_changed.connect(self._on_state)
        controller.ingest.changed.connect(self._on_ingest)
        self._show_channel()
        self.refresh()

    # -- the readiness lines ------------------------------------------------------------------
    def _on_health(self, health: Any) -> None:
        active = bool(getattr(health, "active", False))
        kbps = getattr(health, "bitrate_kbps", None) or 0
        if active and getattr(health, "measuring", False):
            text, colour = "◐  OBS is streaming; measuring its bitrate…", style.INFO_BLUE
        elif active and kbps > 0:
            # OBS's own bytes: where they go is the ingest line's business, not this one's
            text, colour = f"●  OBS is sending {kbps:,.0f} kbps", style.OK_GREEN
        elif active:
            text, colour = "◐  OBS is streaming but no bytes are leaving it yet", style.WARN_AMBER
        else:
            text, colour = "○  OBS is not streaming: start it in the Connect OBS step", style.WARN_AMBER
        self.check_obs.setText(text)
        self.check_obs.setStyleSheet(f"color: {style.text_colour(colour)}; font-weight: 600;")

    def _on_ingest(self, view: Any) -> None:
        from streamdesk.ui.stages.obs import show_ingest

        show_ingest(self.check_ingest, self.check_target, view)
        self.refresh()

    def _ingest_reason(self) -> str | None:
        """Go live is offered once GetStream sees the stream (going live otherwise shows viewers an
        empty call)."""
        view = self.controller.ingest.view
        if view.gs_receives is True:
            return None
        if view.mismatch:
            return view.mismatch
        return "GetStream does not receive your stream yet: start streaming in OBS to this call."

    def _show_channel(self) -> None:
        channel = self.controller.channel
        self.check_call.setText(f"Call: {getattr(channel, 'call_cid', '') or '–'}")
        expires = getattr(channel, "key_expires_at", None)
        if expires is None:
            self.check_key.setText("Stream key: does not expire")
            return
        now = self.controller.clock()
        left = expires - now
        when = datetime.fromtimestamp(expires).strftime("%Y-%m-%d %H:%M")
        if key_expired(expires, now):
            self.check_key.setText(f"⚠ Stream key expired at {when}: rotate it in the Provision step")
        else:
            span = f"{left / 3600:.0f} h" if left >= 7200 else f"{left / 60:.0f} min"
            self.check_key.setText(f"Stream key valid until {when} (in {span})")

    def _on_state(self, _old: str, new: str) -> None:
        if State(new) is not State.READY:
            return
        self._show_channel()
        ctx = self.controller.ctx

        def op() -> bool:
            from streamdesk.core.secrets import SecretKind

            return bool(ctx.secrets.get(SecretKind.DISCORD_WEBHOOK, ""))

        def done(on: Any) -> None:
            self.check_discord.setText("Discord: a go-live message will be posted" if on else
                                       "Discord notifications are off (Settings to turn them on)")

        self.controller.tasks.run(op, done, what="check the Discord webhook")

    def choice(self) -> GoLiveOptions:
        return GoLiveOptions(
            hls=self.hls.isChecked(), recording=self.recording.isChecked(),
            captions=self.captions.isChecked(),
            transcription=self.transcription.isChecked(),
            recording_storage=self.recording_storage.text().strip() or None,
            transcription_storage=self.transcription_storage.text().strip() or None)

    def _go_live(self) -> None:
        if self.controller.reason(Event.GO_LIVE) or self._ingest_reason():
            return
        extras = [n for n, on in (("HLS", self.hls), ("recording", self.recording),
                                  ("captions", self.captions), ("transcription", self.transcription))
                  if on.isChecked()]
        text = "Viewers will see what OBS is sending right now."
        if extras:
            text += " Also starting: " + ", ".join(extras) + "."
        if self.confirm("Go live now?", text):
            self.controller.go_live(self.choice())

    def refresh(self) -> None:
        c = self.controller
        going = c.state is State.GOING_LIVE
        gate(self.go, c.reason(Event.GO_LIVE) or (None if going else self._ingest_reason()),
             busy="go_live" in c.busy, hint=self.reason_hint)
        self.go.setText("Going live…" if going else "Go live")
        self.progress.setVisible(going)
        self.progress_label.setVisible(going)

    def primary(self) -> QPushButton | None:
        return self.go
