"""Connect OBS: host/port/password, status with versions, Configure OBS (diff first, one click to
apply, Undo), Start streaming in OBS, and a live "receiving" indicator with the bitrate."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from streamdesk.core.flow import Event, State
from streamdesk.ui import style
from streamdesk.ui.stage_map import LIVE_STATES
from streamdesk.ui.stages.base import StageCard, button, gate, hint_label, row, secret_field, secret_text

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller


def _pick(obj: Any, *names: str) -> str:
    for name in names:
        value = getattr(obj, name, None) if not isinstance(obj, dict) else obj.get(name)
        if value is not None:
            return str(value)
    return ""


# What a streamer calls the settings Configure changes; the raw OBS name stays in the tooltip.
SETTING_LABELS = {
    "stream service": "Stream service",
    "stream server": "Server",
    "stream key": "Stream key",
    "SimpleOutput/VBitrate": "Video bitrate (kbps)",
    "SimpleOutput/Preset": "x264 preset",
    "SimpleOutput/StreamEncoder": "Encoder",
    "SimpleOutput/UseAdvanced": "Custom x264 options",
    "SimpleOutput/x264Settings": "Keyframe interval",
    "Advanced output encoder settings": "Encoder (Advanced output)",
}


def setting_label(raw: str) -> str:
    return SETTING_LABELS.get(raw, raw)


def show_ingest(ingest: QLabel, mismatch: QLabel, view: Any) -> None:
    """The two source facts on two labels (shared by the Connect OBS and Go live stages)."""
    from streamdesk.ui.ingest_watch import NOT_YET, RECEIVES

    seen = getattr(view, "gs_receives", None)
    if seen is True:
        ingest.setText(f"●  {RECEIVES}")
        colour = style.OK_GREEN
    elif seen is False:
        ingest.setText(f"○  {NOT_YET}")
        colour = style.WARN_AMBER
    else:
        ingest.setText("○  GetStream: not checked yet")
        colour = None
    ingest.setStyleSheet(f"color: {style.text_colour(colour)}; font-weight: 600;" if colour else "")
    text = getattr(view, "mismatch", None)
    mismatch.setText(f"⚠  {text}" if text else "")
    mismatch.setStyleSheet(f"color: {style.text_colour(style.WARN_AMBER)}; font-weight: 600;")
    mismatch.setVisible(bool(text))


class ObsCard(StageCard):
    stage = "obs"
    title = "Connect OBS"
    subtitle = ("streamdesk talks to OBS over obs-websocket (OBS → Tools → WebSocket Server Settings), "
                "puts the server and stream key into OBS for you, and can undo it.")

    def __init__(self, controller: Controller, parent: QWidget | None = None,
                 confirm: Callable[[str, str], bool] | None = None) -> None:
        super().__init__(controller, parent)
        self.confirm = confirm or (lambda _t, _x: False)
        w = self.widget()
        conn = self.panel("OBS connection")
        form = QFormLayout()
        form.setHorizontalSpacing(14)
        self.host = QLineEdit("127.0.0.1", w)
        self.host.setObjectName("obs_host")
        self.port = QSpinBox(w)
        self.port.setObjectName("obs_port")
        self.port.setRange(1, 65535)
        self.port.setValue(4455)
        self.password = secret_field(w, "obs-websocket password")
        self.password.setObjectName("obs_password")
        form.addRow("Host", row(self.host, QLabel("Port", w), self.port, stretch_last=False))
        form.addRow("Password", self.password)
        conn.addLayout(form)
        self.connect_button = button("Connect", w, "primary", self._connect, name="obs_connect")
        self.status = QLabel("Not connected", w)
        self.status.setObjectName("obs_status")
        conn.addLayout(row(self.connect_button, self.status))

        cfg = self.panel("Stream settings in OBS")
        self.review = button("Review changes", w, slot=controller.plan_configure, name="obs_review")
        self.apply = button("Configure OBS", w, slot=controller.configure_obs, name="obs_configure")
        self.undo = button("Undo", w, slot=controller.undo_configure, name="obs_undo")
        self.config_hint = hint_label(w)
        cfg.addLayout(row(self.review, self.apply, self.undo))
        cfg.addWidget(self.config_hint)
        self.diff = QTableWidget(0, 3, w)
        self.diff.setObjectName("obs_diff")
        self.diff.setHorizontalHeaderLabels(["Setting", "Now in OBS", "After"])
        self.diff.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.diff.verticalHeader().hide()
        self.diff.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.diff.setWordWrap(True)
        # sized to its rows in _on_plan: the whole diff is read at a glance, no inner scrollbar
        self.diff.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.diff.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.diff.horizontalHeader().sectionResized.connect(lambda *_: self._fit_diff())
        self.diff.hide()
        cfg.addWidget(self.diff)
        # the diff above is shown first (planned as soon as OBS is connected); one click applies it
        # and starts streaming, so saved credentials reach LIVE in four clicks
        self.apply_start = button("Configure && start OBS", w, "primary", controller.configure_and_start_obs,
                                  name="obs_configure_start")
        cfg.addLayout(row(self.apply_start))
        self.plan_shown = False  # the current diff is on screen (cleared when OBS or the flow moves)

        stream = self.panel("Stream")
        self.start = button("Start streaming in OBS", w, "primary", controller.start_obs_stream,
                            name="obs_start")
        self.stop = button("Stop streaming in OBS", w, slot=self._stop_obs, name="obs_stop")
        self.receiving = QLabel("○  Nothing arriving yet", w)
        self.receiving.setObjectName("receiving")
        self.stream_hint = hint_label(w)
        stream.addLayout(row(self.start, self.stop, self.receiving))
        # what GetStream says, apart from OBS's own bytes, and whether OBS points at this call
        self.ingest = QLabel("○  GetStream: not checked yet", w)
        self.ingest.setObjectName("ingest")
        self.ingest.setTextFormat(Qt.TextFormat.PlainText)
        self.mismatch = QLabel("", w)
        self.mismatch.setObjectName("obs_mismatch")
        self.mismatch.setTextFormat(Qt.TextFormat.PlainText)
        self.mismatch.setWordWrap(True)
        self.mismatch.hide()
        stream.addWidget(self.ingest)
        stream.addWidget(self.mismatch)
        stream.addWidget(self.stream_hint)
        self.next_button = button("Continue to Go live", w, "primary", name="obs_next")
        stream.addLayout(row(self.next_button))

        controller.obs_connected.connect(self._on_connected)
        controller.obs_plan.connect(self._on_plan)
        controller.obs_health.connect(self._on_health)
        self.can_undo = False
        controller.obs_backup_changed.connect(self._on_backup)
        controller.obs_target.connect(self._on_saved_target)
        controller.ingest.changed.connect(self._on_ingest)
        controller.state_changed.connect(lambda *_: self._plan_when_ready())

    def _plan_when_ready(self) -> None:
        """Show the diff without a click once there is something to configure and an OBS to ask."""
        c = self.controller
        if (c.state is State.PROVISIONED and c.obs_info is not None and not self.plan_shown
                and "plan_configure" not in c.busy and "configure_obs" not in c.busy):
            c.plan_configure()

    def _on_ingest(self, view: Any) -> None:
        show_ingest(self.ingest, self.mismatch, view)

    def _on_backup(self, present: bool) -> None:
        self.can_undo = present
        if not present:
            self.plan_shown = False  # undone: OBS's settings are no longer the diff shown
        self.refresh()

    def _on_saved_target(self, host: str, port: int) -> None:
        self.host.setText(host)
        self.port.setValue(port)

    def set_target(self, host: str, port: int, password: str) -> None:
        """Prefill (the demo points at its OBS simulator)."""
        from streamdesk.ui.stages.base import set_secret_text

        self.host.setText(host)
        self.port.setValue(port)
        set_secret_text(self.password, password)

    def _connect(self) -> None:
        host = self.host.text().strip()
        if not host:
            self.banner.show_message("error", "Enter the computer OBS runs on (127.0.0.1 for this one).")
            return
        self.status.setText("Connecting…")
        self.controller.connect_obs(host, self.port.value(), secret_text(self.password) or None)

    def _on_connected(self, info: Any) -> None:
        self.plan_shown = False  # another OBS (or none): its settings are not the ones shown
        if info is None:
            self.status.setText("Not connected")
            self.receiving.setText("○  Nothing arriving yet")
        else:
            self.status.setText(f"✔ Connected: OBS {_pick(info, 'obs_version')} · "
                                f"obs-websocket {_pick(info, 'websocket_version')}")
        self.refresh()
        if info is not None:
            self._plan_when_ready()

    def _on_plan(self, changes: Any) -> None:
        changes = list(changes or [])
        self.plan_shown = self.controller.state is State.PROVISIONED
        self.diff.setRowCount(len(changes))
        for i, change in enumerate(changes):
            raw = _pick(change, "setting", "name", "key", "field", "path")
            note = _pick(change, "note")
            new = _pick(change, "new", "after", "value")
            if raw == "SimpleOutput/x264Settings" and note:
                new = f"{note} ({new})"  # "keyint=120" alone means nothing to most streamers
            cells = (setting_label(raw), _pick(change, "old", "current", "before"), new)
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"OBS setting: {raw}" + (f"\n{note}" if note else "") if j == 0 else
                                (note or text))
                self.diff.setItem(i, j, item)
        self.diff.setVisible(bool(changes))
        self._fit_diff()
        self.config_hint.setText("Nothing to change: OBS already streams here." if not changes
                                 else f"{len(changes)} setting(s) will change. The key stays masked.")
        self.config_hint.show()
        self.refresh()

    def _fit_diff(self) -> None:
        """Rows as tall as their wrapped text, the table as tall as its rows."""
        self.diff.resizeRowsToContents()
        for i in range(self.diff.rowCount()):  # contents-tight rows read as a cramped list
            self.diff.setRowHeight(i, self.diff.rowHeight(i) + 8)
        height = self.diff.horizontalHeader().sizeHint().height() + 2 * self.diff.frameWidth()
        height += sum(self.diff.rowHeight(i) for i in range(self.diff.rowCount()))
        self.diff.setFixedHeight(height)

    def _on_health(self, health: Any) -> None:
        active = bool(getattr(health, "active", False))
        kbps = getattr(health, "bitrate_kbps", None) or 0
        if active and getattr(health, "measuring", False):
            self.receiving.setText("◐  OBS is streaming, measuring the bitrate…")
            self.receiving.setStyleSheet(f"color: {style.text_colour(style.INFO_BLUE)}; font-weight: 600;")
        elif active and kbps > 0:
            self.receiving.setText(f"●  OBS is sending {kbps:,.0f} kbps")
            self.receiving.setStyleSheet(f"color: {style.text_colour(style.OK_GREEN)}; font-weight: 600;")
        elif active:
            self.receiving.setText("◐  OBS is streaming, waiting for bytes…")
            self.receiving.setStyleSheet(f"color: {style.text_colour(style.WARN_AMBER)}; font-weight: 600;")
        else:
            self.receiving.setText("○  Not streaming")
            self.receiving.setStyleSheet("")
        self.refresh()

    def refresh(self) -> None:
        c = self.controller
        busy = bool({"connect_obs", "plan_configure", "configure_obs", "undo_configure", "start_obs",
                     "stop_obs"} & c.busy)
        connected = c.obs_info is not None
        self.connect_button.setText("Reconnect" if connected else "Connect")
        self.connect_button.setEnabled("connect_obs" not in c.busy)
        not_connected = None if connected else "Connect to OBS first."
        configure_reason = c.reason(Event.OBS_CONFIGURED) or not_connected
        # OBS refuses stream-setting changes mid-show, and changing them would cut the picture
        live = (f"Not while you are live ({c.state.value}): changing OBS's stream settings would cut the "
                "show. End the stream first.") if c.state in LIVE_STATES else None
        gate(self.review, live or configure_reason, busy=busy)
        gate(self.apply, live or configure_reason, busy=busy)
        shown = None if self.plan_shown else "Review the changes first (they show once OBS is connected)."
        gate(self.apply_start, live or configure_reason or shown, busy=busy)
        gate(self.undo, live or (None if self.can_undo and connected else "Nothing to undo yet."), busy=busy)
        streaming = c.flow.obs_streaming
        start_reason = not_connected or ("OBS is already streaming." if streaming else None) or (
            None if c.state in (State.PROVISIONED, State.OBS_CONFIGURED) else c.reason(Event.OBS_STREAMING))
        if start_reason is None and c.state is State.PROVISIONED:
            self.stream_hint.setText("Tip: press Configure & start OBS, unless you pasted the server and key "
                                     "into OBS yourself.")
        else:
            self.stream_hint.setText("")
        gate(self.start, start_reason, busy=busy)
        gate(self.stop, not_connected or (None if streaming else "OBS is not streaming."), busy=busy)
        self.next_button.setEnabled(c.state is State.READY)
        self.next_button.setToolTip("" if c.state is State.READY else "Start streaming in OBS first.")

    def _stop_obs(self) -> None:
        """While live, stopping OBS blanks the show: ask first (the question defaults to No)."""
        if self.controller.state in LIVE_STATES and not self.confirm(
                "Stop streaming in OBS?", "You are live: viewers lose the picture until OBS streams again. "
                "The call stays live on GetStream (use End stream to finish the show)."):
            return
        self.controller.stop_obs_stream()

    def primary(self) -> QPushButton | None:
        c = self.controller
        if c.obs_info is None:
            return self.connect_button
        if c.state is State.PROVISIONED:
            return self.apply_start
        if c.state is State.OBS_CONFIGURED:
            return self.start
        return self.next_button
