"""While live: the HLS playlist link (with Copy), Start/Stop HLS on the running show, and a REC
indicator. Driven only by the ``CallState`` the controller emits (``call_changed``): what it shows
about HLS and recording is what GetStream last said. Starting or stopping HLS goes through
``Tasks``; when it is done, ``changed`` asks the owner to fetch the call again, and the call
that comes back is what the widget then shows.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from streamdesk.ui.style import LIVE_RED


class ShowExtras(QWidget):
    #: HLS was started or stopped: fetch the call again (the GetStream truth follows)
    changed = Signal()
    #: a one-sentence result or error for the status line
    notice = Signal(str)

    def __init__(self, tasks: Any, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks, self.ctx = tasks, ctx
        self.setObjectName("show_extras")
        self.rec = QLabel("● REC", self)
        self.rec.setObjectName("rec_indicator")
        self.rec.setToolTip("GetStream is recording this show")
        self.rec.setStyleSheet(f"color: {LIVE_RED}; font-weight: 700;")
        self.hls_label = QLabel("HLS:", self)
        self.hls_url = QLabel("", self)
        self.hls_url.setObjectName("hls_url")
        self.hls_url.setTextFormat(Qt.TextFormat.PlainText)  # a remote value: never rich text
        self.hls_url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hls_url.setToolTip("Viewers can open this in any HLS player; they are not counted as viewers "
                                "here.")
        self.copy = QPushButton("Copy", self)
        self.copy.setObjectName("copy_hls_url")
        self.copy.clicked.connect(self._copy)
        self.toggle = QPushButton("Start HLS", self)
        self.toggle.setObjectName("toggle_hls")
        self.toggle.clicked.connect(self._toggle)
        self.status = QLabel("", self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.rec, self.hls_label, self.hls_url):
            layout.addWidget(w)
        layout.addWidget(self.copy)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addWidget(self.toggle)
        self.call: Any = None
        self.busy = False
        self.set_call(None)

    def set_call(self, call: Any) -> None:
        """A new CallState from GetStream (or None): the widget shows exactly that."""
        self.call = call
        live = call is not None and getattr(call, "is_live", False)
        url = getattr(call, "hls_playlist_url", None) if call is not None else None
        self.rec.setVisible(bool(call is not None and getattr(call, "recording", False)))
        self.hls_label.setText("HLS:" if url else "HLS is off")
        self.hls_url.setText(url or "")
        self.hls_url.setVisible(bool(url))
        self.copy.setVisible(bool(url))
        self.toggle.setText("Stop HLS" if url else "Start HLS")
        self.toggle.setEnabled(live and not self.busy)
        self.status.setText("")

    def _copy(self) -> None:
        text = self.hls_url.text()
        if text:
            QGuiApplication.clipboard().setText(text)
            self.status.setText("Copied.")

    def _toggle(self) -> None:
        from streamdesk.core import after_show

        on = not bool(self.hls_url.text())
        ctx = self.ctx
        self.busy = True
        self.toggle.setEnabled(False)
        self.status.setText("Starting HLS…" if on else "Stopping HLS…")

        def done(_url: Any) -> None:
            self.busy = False
            self.status.setText("")
            self.changed.emit()  # GetCall again: the call that comes back is what is shown

        def failed(text: str, _e: BaseException) -> None:
            self.busy = False
            self.set_call(self.call)
            self.status.setText(text)
            self.notice.emit(text)

        self.tasks.run(lambda: after_show.set_hls(ctx, on), done, failed, what="start/stop HLS")
