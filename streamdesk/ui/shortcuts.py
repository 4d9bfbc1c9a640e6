"""The main window's keyboard shortcuts and tray icon: ways in that are not on screen."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence, QShortcut

from streamdesk.ui.stage_map import STAGES

if TYPE_CHECKING:
    from PySide6.QtWidgets import QSystemTrayIcon

    from streamdesk.ui.main_window import MainWindow


def install_shortcuts(window: MainWindow) -> None:
    def add(keys: str | QKeySequence | QKeySequence.StandardKey, slot: Callable[[], None]) -> None:
        QShortcut(QKeySequence(keys), window, slot)

    add("Ctrl+Return", window.press_primary)
    add("Ctrl+Enter", window.press_primary)
    add("Ctrl+L", window.show_log)
    add("Ctrl+H", window.toggle_history)
    add("Ctrl+,", window.show_settings)
    add("Ctrl+Shift+E", lambda: window.force_end() if window.emergency.isVisible() else None)
    add(QKeySequence.StandardKey.Refresh, window.controller.refresh)
    add("F1", window.show_shortcuts)
    for i, stage in enumerate(STAGES, start=1):
        add(f"Ctrl+{i}", partial(window.show_stage, stage))


def tray_icon(window: MainWindow, state: str) -> QSystemTrayIcon | None:
    """A tray icon showing the live state that brings the window back, where the desktop has a
    tray (None otherwise). Imported after the first paint."""
    from PySide6.QtWidgets import QSystemTrayIcon

    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(window.windowIcon(), window)
    tray.setToolTip(f"streamdesk — {state}")

    def bring_to_front() -> None:
        window.showNormal()
        window.raise_()
        window.activateWindow()

    tray.activated.connect(lambda _r: bring_to_front())
    tray.show()
    return tray
