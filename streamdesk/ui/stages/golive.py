"""Go live: the four options (HLS, recording, captions, transcription) with storage names, a
confirmation that defaults to No, then "Going live…" until GetStream confirms the call left
backstage; a timeout turns into a diagnostic that says what to check."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QWidget

from streamdesk.core.flow import Event, State
from streamdesk.ui.controller import GoLiveChoice
from streamdesk.ui.stages.base import StageCard, button, gate, hint_label, row

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller


class GoLiveCard(StageCard):
    stage = "golive"
    title = "Go live"
    subtitle = ("OBS is streaming to the backstage: only you can see it. Going live opens the call to "
                "viewers.")

    def __init__(self, controller: Controller, parent: QWidget | None = None,
                 confirm: Callable[[str, str], bool] | None = None) -> None:
        super().__init__(controller, parent)
        self.confirm = confirm or (lambda _t, _x: False)
        w = self.widget()
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
        self.refresh()

    def choice(self) -> GoLiveChoice:
        return GoLiveChoice(
            hls=self.hls.isChecked(), recording=self.recording.isChecked(),
            captions=self.captions.isChecked(),
            transcription=self.transcription.isChecked(),
            recording_storage=self.recording_storage.text().strip(),
            transcription_storage=self.transcription_storage.text().strip())

    def _go_live(self) -> None:
        if self.controller.reason(Event.GO_LIVE):
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
        gate(self.go, c.reason(Event.GO_LIVE), busy="go_live" in c.busy, hint=self.reason_hint)
        self.go.setText("Going live…" if going else "Go live")
        self.progress.setVisible(going)
        self.progress_label.setVisible(going)

    def primary(self) -> QPushButton | None:
        return self.go
