"""The look: palette-aware accents on top of the system style, so light and dark both work.

Colours come from the system palette (``palette(...)`` in QSS) except the few that carry
meaning everywhere: live red, ok green, warning amber. Widgets opt in with object names and
dynamic properties (``role``, ``level``) instead of per-widget stylesheets.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

LIVE_RED = "#d93025"
OK_GREEN = "#1e8e3e"
WARN_AMBER = "#b06000"
INFO_BLUE = "#1a73e8"



def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def text_colour(colour: str) -> str:
    """A meaning colour (green/amber/blue) readable as *text* on the window: on a dark window the
    saturated light-theme shade is too dim (green #1e8e3e on #202124 is ~3.7:1), so lift it."""
    if not is_dark():
        return colour
    return QColor(colour).lighter(160).name()


def tint(colour: str, alpha: int) -> str:
    c = QColor(colour)
    return f"rgba({c.red()}, {c.green()}, {c.blue()}, {alpha})"


def stylesheet() -> str:
    return f"""
QWidget#Sidebar {{ background: palette(alternate-base); border-right: 1px solid palette(mid); }}
QLabel#AppTitle {{ font-size: 17px; font-weight: 700; }}
QLabel#CardTitle {{ font-size: 20px; font-weight: 650; }}
QLabel#CardSubtitle {{ color: palette(placeholder-text); }}
QLabel#SectionTitle {{ font-weight: 650; margin-top: 6px; }}
QLabel[role="hint"] {{ color: palette(placeholder-text); font-size: 11px; }}
QLabel[role="fieldError"] {{ color: {LIVE_RED}; font-size: 11px; }}
QLabel[role="metric"] {{ font-size: 26px; font-weight: 650; }}
QLabel[role="metricLabel"] {{ color: palette(placeholder-text); font-size: 11px; }}
QFrame#Card {{ background: palette(base); border: 1px solid palette(mid); border-radius: 10px; }}
QFrame#Panel {{ border: 1px solid palette(midlight); border-radius: 8px; }}
QFrame#Banner {{ border-radius: 6px; padding: 2px; }}
QFrame#Banner[level="error"] {{ background: {tint(LIVE_RED, 34)}; border: 1px solid {tint(LIVE_RED, 120)}; }}
QFrame#Banner[level="warning"] {{ background: {tint(WARN_AMBER, 34)};
    border: 1px solid {tint(WARN_AMBER, 120)}; }}
QFrame#Banner[level="ok"] {{ background: {tint(OK_GREEN, 30)}; border: 1px solid {tint(OK_GREEN, 110)}; }}
QFrame#Banner[level="info"] {{ background: {tint(INFO_BLUE, 26)}; border: 1px solid {tint(INFO_BLUE, 100)}; }}
QPushButton {{ padding: 6px 14px; }}
QPushButton[role="primary"] {{ background: {INFO_BLUE}; color: white; border: none; border-radius: 6px;
    padding: 8px 18px; font-weight: 600; }}
QPushButton[role="primary"]:disabled {{ background: palette(mid); color: palette(placeholder-text); }}
QPushButton[role="primary"]:hover:!disabled {{ background: #1765cc; }}
QPushButton[role="danger"] {{ background: {LIVE_RED}; color: white; border: none; border-radius: 6px;
    padding: 8px 18px; font-weight: 600; }}
QPushButton[role="danger"]:disabled {{ background: palette(mid); color: palette(placeholder-text); }}
QPushButton#ForceEnd {{ color: {LIVE_RED}; border: 1px solid {LIVE_RED}; border-radius: 6px;
    padding: 6px 12px; font-weight: 600; background: transparent; }}
QPushButton#ForceEnd:hover {{ background: {tint(LIVE_RED, 30)}; }}
QLabel#Badge {{ border-radius: 4px; padding: 2px 8px; font-weight: 700; font-size: 11px;
    background: palette(mid); color: palette(window-text); }}
QLabel#Badge[level="live"] {{ background: {LIVE_RED}; color: white; }}
QLabel#Badge[level="ok"] {{ background: {OK_GREEN}; color: white; }}
QLabel#Badge[level="warning"] {{ background: {WARN_AMBER}; color: white; }}
QLabel#Reconnecting {{ background: {WARN_AMBER}; color: white; font-weight: 600; padding: 6px 10px;
    border-radius: 6px; }}
"""


def apply(app: QApplication) -> None:
    app.setStyleSheet(stylesheet())


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property changed.

    A widget not polished yet (not shown so far) picks its properties up when it is: nothing to
    do, and ``style()`` before the first paint costs ~15 ms (PySide6 builds QStyle's enums)."""
    from PySide6.QtCore import Qt

    if not widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
        return
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()
