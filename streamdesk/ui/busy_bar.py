"""The busy indicator for long GetStream operations: what is running, for how long, and Cancel.

Shown while one of the controller's ``CANCELLABLE`` actions runs (provision, go live, force
end). Cancel stops the GetStream request in flight at once (``core.cancel``); the operation
then reports its own outcome (a cancelled force end has still closed the local session).
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from streamdesk.ui.controller import CANCELLABLE
from streamdesk.ui.plain import plain


class BusyBar(QFrame):
    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BusyBar")
        self.controller = controller
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        self.label = QLabel(self)
        self.label.setObjectName("busy_text")
        plain(self.label)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("busy_cancel")
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.cancel_button)
        self._started: dict[str, float] = {}
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._render)
        controller.busy_changed.connect(self._on_busy)
        self.hide()

    def running(self) -> list[str]:
        return [a for a in CANCELLABLE if a in self._started]

    def _on_busy(self, action: str, busy: bool) -> None:
        if action not in CANCELLABLE:
            return
        if busy:
            self._started[action] = time.monotonic()
        else:
            self._started.pop(action, None)
        self._render()

    def _render(self) -> None:
        running = self.running()
        if not running:
            self._tick.stop()
            self.hide()
            return
        action = running[-1]
        seconds = int(time.monotonic() - self._started[action])
        self.label.setText(f"{CANCELLABLE[action]}… {seconds} s")
        self.cancel_button.setEnabled(True)
        if not self._tick.isActive():
            self._tick.start()
        self.show()

    def cancel(self) -> None:
        for action in self.running():
            self.controller.cancel(action)
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling…")
