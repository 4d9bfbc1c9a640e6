"""FirstPaint: start-up work runs after the first paint, once, and also for a window that never paints."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from streamdesk.ui.first_paint import FirstPaint


def test_runs_once_after_the_first_paint(qtbot: Any) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    calls: list[str] = []
    FirstPaint(widget, lambda: calls.append("painted"), fallback_ms=60_000)
    widget.show()
    qtbot.waitUntil(lambda: calls == ["painted"], timeout=5000)
    widget.update()
    widget.repaint()
    qtbot.wait(50)
    assert calls == ["painted"]


def test_a_window_that_never_paints_still_starts(qtbot: Any) -> None:
    widget = QWidget()  # never shown: no paint event will come
    qtbot.addWidget(widget)
    calls: list[str] = []
    FirstPaint(widget, lambda: calls.append("started"), fallback_ms=50)
    qtbot.waitUntil(lambda: calls == ["started"], timeout=5000)
    widget.show()  # a later paint does not run it again
    qtbot.wait(100)
    assert calls == ["started"]


def test_without_a_fallback_it_waits_for_the_paint(qtbot: Any) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    calls: list[str] = []
    FirstPaint(widget, lambda: calls.append("painted"))
    qtbot.wait(100)
    assert calls == []
