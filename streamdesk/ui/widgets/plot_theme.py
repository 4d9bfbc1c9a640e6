"""Plots that follow the window's light or dark palette: pyqtgraph draws with its own colours, and
a black plot on a light page reads as broken. One rule for the live charts and History's trend."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPalette

PALETTE_EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


def palette_changed(event: QEvent) -> bool:
    """The widget's or the application's palette changed (light/dark switched)."""
    return event.type() in PALETTE_EVENTS


#: how much of the text colour the axis lines get: muted, and opaque (see ``style.mix``)
AXIS_SHARE = 0.55
#: the live charts' axis pen also draws their grid lines, which must stay faint
GRID_SHARE = 0.18


def apply_palette(plot: Any, palette: QPalette, *, line_share: float = AXIS_SHARE) -> QColor:
    """Give a pyqtgraph ``PlotWidget`` the palette's background, muted opaque axis lines and
    text-coloured axis labels (and left axis title); returns the text colour (for legends)."""
    import pyqtgraph as pg

    from streamdesk.ui.style import mix

    bg = palette.color(QPalette.ColorRole.Base)
    fg = palette.color(QPalette.ColorRole.Text)
    line = mix(bg, fg, line_share)
    plot.setBackground(bg)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(line, width=1))
        axis.setTextPen(pg.mkPen(fg))
    title = plot.getAxis("left").labelText
    if title:
        plot.setLabel("left", title, color=fg.name())
    return fg
