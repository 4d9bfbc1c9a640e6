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


THEME_SETTING = "ui.theme"  # "system" | "light" | "dark"
THEMES = {"system": "System", "light": "Light", "dark": "Dark"}
_system: dict[str, QPalette] = {}  # the palette the app started with, to go back to "System"


def _dark_palette() -> QPalette:
    pal = QPalette()
    roles = QPalette.ColorRole
    colours = {
        roles.Window: "#202124", roles.WindowText: "#e8eaed", roles.Base: "#17181a",
        roles.AlternateBase: "#292a2d", roles.Text: "#e8eaed", roles.Button: "#2d2e31",
        roles.ButtonText: "#e8eaed", roles.BrightText: "#ffffff", roles.Light: "#4a4b4f",
        roles.Midlight: "#3c4043", roles.Mid: "#5f6368", roles.Dark: "#141517", roles.Shadow: "#000000",
        roles.Highlight: INFO_BLUE, roles.HighlightedText: "#ffffff", roles.ToolTipBase: "#2d2e31",
        roles.ToolTipText: "#e8eaed", roles.PlaceholderText: "#9aa0a6", roles.Link: "#8ab4f8",
    }
    for role, colour in colours.items():
        pal.setColor(role, QColor(colour))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#80868b"))
    return pal


def _light_palette() -> QPalette:
    from PySide6.QtWidgets import QStyleFactory

    fusion = QStyleFactory.create("Fusion")
    pal = fusion.standardPalette() if fusion is not None else QPalette()
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor("#5f6368"))
    pal.setColor(QPalette.ColorRole.Highlight, QColor(INFO_BLUE))
    return pal


def apply_theme(app: QApplication, theme: str) -> None:
    """System (what the desktop says), Light or Dark; the style sheet follows the palette."""
    if "palette" not in _system:
        # palette() returns a copy; QPalette(palette) would build QtCore.Qt's enums (its overloads
        # take a Qt.GlobalColor), ~15% of the start-up of a streamer who chose a theme (bench/startup.py)
        _system["palette"] = app.palette()
    if theme == "dark":
        app.setPalette(_dark_palette())
    elif theme == "light":
        app.setPalette(_light_palette())
    else:
        app.setPalette(_system["palette"])
    apply(app)


def mix(a: QColor, b: QColor, share: float) -> QColor:
    """``a`` with ``share`` of ``b`` mixed in, opaque (an opaque line is cheap to draw; a
    translucent one is blended on every repaint)."""
    def channel(x: int, y: int) -> int:
        return round(x + (y - x) * share)

    return QColor(channel(a.red(), b.red()), channel(a.green(), b.green()), channel(a.blue(), b.blue()))


def border_colour(palette: QPalette | None = None) -> str:
    """Card and separator lines: visible on light and dark windows alike (palette(mid) vanishes
    into some dark palettes)."""
    palette = palette or QApplication.palette()
    window, text = palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.WindowText)
    return mix(window, text, 0.3).name()


def focus_colour(palette: QPalette | None = None) -> str:
    return "#8ab4f8" if is_dark(palette) else INFO_BLUE


def stylesheet() -> str:
    border = border_colour()
    focus = focus_colour()
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
QFrame#Card {{ background: palette(base); border: 1px solid {border}; border-radius: 10px; }}
QFrame#Panel {{ border: 1px solid {border}; border-radius: 8px; }}
QFrame#CockpitStatus {{ border-top: 1px solid {border}; background: palette(alternate-base); }}
QFrame#Separator {{ background: {border}; }}
QLabel#status_ingest[level="ok"] {{ color: {text_colour(OK_GREEN)}; }}
QLabel#status_ingest[level="warning"] {{ color: {text_colour(WARN_AMBER)}; }}
QWidget#ChatFeed QPushButton {{ padding: 4px 8px; }}
QPushButton#chat_jump {{ background: {INFO_BLUE}; color: white; border: none; border-radius: 6px;
    padding: 4px 10px; font-weight: 600; }}
QLabel#DemoNotice {{ background: {tint(WARN_AMBER, 40)}; border: 1px solid {tint(WARN_AMBER, 140)};
    border-radius: 6px; padding: 4px 8px; }}
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
QPushButton:focus, QToolButton:focus {{ outline: none; border: 2px solid {focus}; border-radius: 6px; }}
QPushButton[role="primary"]:focus, QPushButton[role="danger"]:focus {{
    border: 2px solid palette(window-text); }}
QLineEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus, QComboBox:focus, QListView:focus, QTableView:focus,
QTableWidget:focus, QPlainTextEdit:focus, QTextEdit:focus {{ border: 2px solid {focus}; border-radius: 4px; }}
QCheckBox:focus, QRadioButton:focus {{ outline: none; border: 2px solid {focus}; border-radius: 4px; }}
QLabel#Reconnecting {{ background: {WARN_AMBER}; color: white; font-weight: 600; padding: 6px 10px;
    border-radius: 6px; }}
"""


def checkbox_palette() -> QPalette:
    """The app's palette as check boxes get it: Fusion draws an indicator's outline in the *window*
    colour darkened (1.7:1 on the light window; on a dark one darker than the box itself, invisible).
    A check box never paints its window colour, so setting it there gives the outline 3:1 or more.
    (A copy from ``QApplication.palette()``: ``QPalette(other)`` would build ``QtCore.Qt`` before the
    first paint, tests/ui/test_startup.py.)"""
    adjusted = QApplication.palette()
    roles = QPalette.ColorRole
    outline = mix(adjusted.color(roles.Window), adjusted.color(roles.WindowText), 0.55)
    adjusted.setColor(roles.Window, outline.lighter(140))  # Fusion draws darker(140), then lighter(110)
    return adjusted


def apply(app: QApplication) -> None:
    app.setStyleSheet(stylesheet())
    QApplication.setPalette(checkbox_palette(), "QCheckBox")  # type: ignore[arg-type]  # stub says bytes; str works


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
