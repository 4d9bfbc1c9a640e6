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


def apply_palette(plot: Any, palette: QPalette) -> QColor:
    """Give a pyqtgraph ``PlotWidget`` the palette's background, muted axis lines and text-coloured
    axis labels; returns the text colour (for legends and axis titles)."""
    import pyqtgraph as pg

    fg = palette.color(QPalette.ColorRole.Text)
    muted = QColor(fg)
    muted.setAlpha(140)
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(muted, width=1))
        axis.setTextPen(pg.mkPen(fg))
    return fg
