"""``FirstPaint``: run something on the event-loop turn after a widget first painted.

Start-up defers to that moment everything the first frame does not need (the other stage cards,
the log file, the keyring, the GetStream reconcile), so the window appears sooner.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class FirstPaint(QObject):
    """Calls ``then`` once, on the event-loop turn after ``widget`` first painted, or after
    ``fallback_ms`` if it has not painted by then: a window that starts minimised, hidden or off
    screen may not paint for a long time, and the app must start working anyway."""

    def __init__(self, widget: QWidget, then: Callable[[], None], *, fallback_ms: int | None = None) -> None:
        super().__init__(widget)
        self._widget = widget
        self._then: Callable[[], None] | None = then
        self._done = False
        widget.installEventFilter(self)
        if fallback_ms is not None:
            QTimer.singleShot(fallback_ms, self, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._done and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self, self._fire)
            self._done = True
            watched.removeEventFilter(self)
        return False

    def _fire(self) -> None:
        if self._then is None:
            return
        then, self._then = self._then, None
        self._done = True
        self._widget.removeEventFilter(self)
        then()
