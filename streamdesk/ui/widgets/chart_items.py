"""The charts' pyqtgraph items and colours: whole-number count axes, lines split into a cached
settled curve plus a short tail (``SplitLine``), chat bars cached per hour plus the minute in
progress (``SplitBars``). Why they are built this way: the ``charts`` module docstring."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem

from streamdesk.core.stats import MINUTE
from streamdesk.ui.style import INFO_BLUE, OK_GREEN, WARN_AMBER
from streamdesk.ui.widgets.chart_series import GrowableSeries

# Wide pens as separate line segments: Qt strokes a 2 px polyline of thousands of points far
# slower than the same segments drawn with drawLines.
pg.setConfigOptions(segmentedLineMode="on")

VIEWERS_COLOUR = INFO_BLUE
CHAT_COLOUR = WARN_AMBER
BITRATE_COLOUR = OK_GREEN
BAR_WIDTH = MINUTE * 0.8
PEN_WIDTH = 2
BAR_BLOCK = 60  # closed chat bars cached per hour
# Newest samples a line redraws per tick before they are folded into its cached part (5 min at 1 Hz):
# small enough to cost nothing, large enough that the fold (a full re-downsample) is rare.
TAIL = 300


def _pen(colour: str | QColor) -> object:
    return pg.mkPen(colour, width=PEN_WIDTH)


def line_colours(dark: bool) -> dict[str, str]:
    """Series colours readable on the chart's background (the light-theme shades are too dim on
    a dark one)."""
    base = {"viewers": VIEWERS_COLOUR, "chat": CHAT_COLOUR, "bitrate": BITRATE_COLOUR}
    return {k: QColor(v).lighter(165).name() for k, v in base.items()} if dark else base


class CountAxis(pg.AxisItem):
    """A y axis for counts: whole numbers only (no "0.5 viewers")."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        # the major level only: minor ticks would draw a grid line per unit
        levels = [(spacing, [v for v in values if float(v).is_integer()])
                  for spacing, values in super().tickValues(minVal, maxVal, size)[:1] if spacing >= 1]
        whole = range(max(0, math.ceil(minVal)), math.floor(maxVal) + 1)
        return levels or [(1.0, [float(v) for v in whole])]


def _original(curve: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    x, y = curve.getOriginalDataset()
    return (np.empty(0), np.empty(0)) if x is None else (np.asarray(x), np.asarray(y))


class SplitLine:
    """One line drawn as two curves, so a tick redraws only what changed.

    ``settled`` holds the samples up to a fold point; it keeps a device-pixel cache (Qt redraws it
    only when the view moves, about once a minute, or when the tail is folded in every ``TAIL``
    samples). ``tail`` holds the newest samples from the fold point's last one on (so the line has
    no seam) and is the only curve ``setData`` touches per tick."""

    def __init__(self, plot: pg.PlotWidget, colour: str) -> None:
        self.settled = plot.plot(pen=_pen(colour), connect="finite")
        self.tail = plot.plot(pen=_pen(colour), connect="finite")
        for curve in (self.settled, self.tail):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self.settled.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._fold = 0  # settled = samples [0, fold), tail = [fold - 1, n)
        self._drawn: tuple[int, int] = (-1, -1)  # (generation, n) of the series last drawn

    def show(self, series: GrowableSeries) -> None:
        n = len(series)
        if self._drawn == (series.generation, n):
            return
        if series.generation != self._drawn[0] or n < self._fold or n - self._fold > TAIL:
            # fold everything so far into the settled curve (copies: the buffers are reused after clear)
            self._fold = n if n > TAIL else 0
            fold = self._fold
            self.settled.setData(series.x[:fold].copy(), series.y[:fold].copy(), connect="finite")
        start = max(self._fold - 1, 0)
        self.tail.setData(series.x[start:], series.y[start:], connect="finite")
        self._drawn = (series.generation, n)

    def set_colour(self, colour: str) -> None:
        for curve in (self.settled, self.tail):
            curve.setPen(_pen(colour))

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """The samples the two curves hold, joined (what is drawn, before clipping/downsampling)."""
        parts = [_original(self.settled), _original(self.tail)]
        if len(parts[0][0]) and len(parts[1][0]):
            parts[1] = (parts[1][0][1:], parts[1][1][1:])  # the tail's first sample is the settled's last
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


class SplitBars:
    """Chat bars as cached blocks of an hour of closed minutes, the closed minutes of the current
    hour, and the minute in progress (the only bar that changes per poll). Closing a minute
    rebuilds at most an hour's bars, however long the show. (A single ``BarGraphItem`` for all 720
    bars of a 12-hour show was rebuilt and painted rect by rect on every poll.)"""

    def __init__(self, plot: pg.PlotWidget, colour: str) -> None:
        self.plot = plot
        self.colour = colour
        self.blocks: list[pg.BarGraphItem] = []  # full hours, never redrawn again
        self.closed = self._bars()
        self.current = self._bars()
        for item in (self.closed, self.current):
            plot.addItem(item)
        self._closed_drawn: tuple[int, int] = (-1, -1)  # (generation, closed bars)
        self._current_drawn: tuple[float, float] | None = None  # (minute, messages)

    def _bars(self) -> pg.BarGraphItem:
        item = pg.BarGraphItem(x=np.empty(0), height=np.empty(0), width=BAR_WIDTH, brush=self.colour,
                               pen=pg.mkPen(None))
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        return item

    def set_colour(self, colour: str) -> None:
        self.colour = colour
        for item in (*self.blocks, self.closed, self.current):
            item.setOpts(brush=colour)

    def _set_blocks(self, count: int, chat: GrowableSeries) -> None:
        while len(self.blocks) > count:
            self.plot.removeItem(self.blocks.pop())
        while len(self.blocks) < count:
            i = len(self.blocks) * BAR_BLOCK
            block = self._bars()
            block.setOpts(x=chat.x[i: i + BAR_BLOCK] + MINUTE / 2, height=chat.y[i: i + BAR_BLOCK].copy(),
                          width=BAR_WIDTH)
            self.plot.addItem(block)
            self.blocks.append(block)

    def show(self, chat: GrowableSeries) -> None:
        n = len(chat)
        closed = max(n - 1, 0)
        if self._closed_drawn != (chat.generation, closed):
            if chat.generation != self._closed_drawn[0] or closed < self._closed_drawn[1]:
                self._set_blocks(0, chat)
            full = closed // BAR_BLOCK
            self._set_blocks(full, chat)
            start = full * BAR_BLOCK
            self.closed.setOpts(x=chat.x[start:closed] + MINUTE / 2, height=chat.y[start:closed].copy(),
                                width=BAR_WIDTH)
            self._closed_drawn = (chat.generation, closed)
        current = (float(chat.x[-1]), float(chat.y[-1])) if n else None
        if current != self._current_drawn:
            if current is None:
                self.current.setOpts(x=np.empty(0), height=np.empty(0), width=BAR_WIDTH)
            else:
                self.current.setOpts(x=np.array([current[0] + MINUTE / 2]), height=np.array([current[1]]),
                                     width=BAR_WIDTH)
            self._current_drawn = current

    def view(self, start: float, end: float) -> None:
        """Hide the hours outside ``start``..``end``: a moved view would repaint them all."""
        for block in self.blocks:
            xs = block.opts["x"]
            block.setVisible(bool(len(xs) and xs[-1] + MINUTE >= start and xs[0] - MINUTE <= end))

    def items(self) -> list[pg.BarGraphItem]:
        return [*self.blocks, self.closed, self.current]

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Bar centres and heights as drawn, closed minutes then the one in progress."""
        items = self.items()
        return (np.concatenate([np.asarray(i.opts["x"], dtype=float) for i in items]),
                np.concatenate([np.asarray(i.opts["height"], dtype=float) for i in items]))

