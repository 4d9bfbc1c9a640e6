"""Live charts: viewers (line), chat messages per minute (bars), OBS bitrate (optional line).

Built for a 12-hour show at 1 sample/s without slowing down (``bench/charts.py`` measures a poll
with 12 hours on the charts against one with 1 minute):
- samples go into preallocated numpy buffers that double when full (no Python lists, no
  re-allocation per sample);
- ``append`` only marks the charts dirty; a QTimer redraws at most every ``redraw_ms``;
- a redraw touches only what changed: each line is a settled curve, cached as a device pixmap,
  plus a short tail of the newest samples (``SplitLine``); the chat bars are the closed minutes,
  cached, plus the minute in progress (``SplitBars``); ranges are set only when they differ, and
  the follow view steps a minute at a time, so axes and caches are redrawn once a minute;
- ``setDownsampling(auto=True, method="peak")`` + ``setClipToView(True)`` so a long series draws
  only about as many points as there are pixels, spikes kept; 2 px pens drawn as separate
  segments (pyqtgraph's ``segmentedLineMode``), which keeps a wide pen as cheap as a thin one;
- chat is kept as per-minute buckets (720 bars for 12 hours), not per sample; the closed bars are
  cached in blocks of an hour, so closing a minute redraws at most one block;
- the whole-show view grows in steps (the next 10 minutes, then the next whole hour) instead of
  every minute, so the axes and the cached curves are not re-laid out on every minute step;
- grid lines are opaque (a colour mixed from the palette, not a translucent pen: blending them
  cost ~10x the rest of a repaint);
- they can be built a part at a time, with the GUI's own events in between (``build_in_steps``):
  the Live card builds them while the stream is backstage, so going live only shows them.

The time axis starts at the show's start (``set_show_start``): the chat buckets are the show's
minutes, so no bar sits before the show began; while following, the view shows the first ten
minutes of the show, then slides over the last ten. An empty chart shows no tick labels (no
"00.250" from a default 0..1 range), and count axes only show whole numbers.

Gaps (a failed poll, viewers ``None``) are NaN and break the line rather than drawing a drop
to zero. The time axis is local clock time (``DateAxisItem``). Hovering shows the values under
the cursor in a readout line.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from streamdesk.core.stats import MINUTE, fmt_duration, minute_start
from streamdesk.core.store import Sample
from streamdesk.ui.style import is_dark
from streamdesk.ui.widgets.chart_items import (
    CountAxis,
    SplitBars,
    SplitLine,
    line_colours,
)
from streamdesk.ui.widgets.chart_series import GrowableSeries
from streamdesk.ui.widgets.plot_theme import GRID_SHARE, apply_palette, palette_changed

# The smallest top of each y axis: a quiet start (2 viewers, 0 chat) must not fill the chart
# as if it were a crowd, and a flat line must not get a ±0.5 axis.
Y_FLOOR = {"viewers": 5.0, "chat": 5.0, "bitrate": 500.0}
FOLLOW_S = 600.0  # the live view: the first ten minutes of the show, then the last ten
# between two steps of building the charts: room for the GUI's own events (a repaint, a timer) so
# two steps never run back to back in one event-loop pass
STEP_GAP_MS = 20

__all__ = ["GrowableSeries", "LiveCharts", "line_colours"]

log = logging.getLogger("streamdesk.ui")


class LiveCharts(QWidget):
    """Viewers, chat/min and (optionally) bitrate, stacked with a shared, linked time axis.

    ``show_bitrate``: True/False forces the bitrate chart on/off; None shows it once a sample
    carries a bitrate (OBS connected)."""

    def __init__(self, parent: QWidget | None = None, *, show_bitrate: bool | None = None,
                 redraw_ms: int = 500, in_steps: bool = False) -> None:
        super().__init__(parent)
        self.viewers = GrowableSeries()
        self.chat = GrowableSeries(1024)  # x = minute start, y = messages in that minute
        self.bitrate = GrowableSeries()
        self._show_bitrate = show_bitrate
        self._dirty = False
        self._window_s: float | None = None
        self._origin: float | None = None  # the show's start (set_show_start); else the first sample
        self._y_top: dict[pg.PlotWidget, float] = {}  # the top last set: an unchanged axis is left alone
        self._values_shown: bool | None = None
        self._cursor_lines: list[pg.InfiniteLine] = []
        self._x_stale = True
        self._steps: Iterator[None] | None = self._build(redraw_ms)
        if not in_steps:
            while self.build_step():
                pass

    @classmethod
    def build_in_steps(cls, parent: QWidget, done: Callable[[LiveCharts | None], None], *,
                       window_s: float | None = None) -> None:
        """Build the charts hidden, a part at a time (a plot's axes, the plot, our settings for it)
        on timers ``STEP_GAP_MS`` apart, then call ``done`` with them (with None if that failed: a
        chart bug must not take the live view down with it).

        A pyqtgraph plot costs 20-60 ms of GUI-thread work to build (its axes' text, its options
        form, signal wiring); three in one turn froze the window for 150-350 ms at go-live
        (bench/responsiveness.py). A part is 5-20 ms."""
        charts = cls(parent, in_steps=True)
        charts.hide()
        charts.set_window(window_s)

        def step() -> None:
            try:
                more = charts.build_step()
            except Exception:
                log.exception("the live charts could not be created")
                charts.deleteLater()
                done(None)
                return
            if more:
                QTimer.singleShot(STEP_GAP_MS, charts, step)
            else:
                done(charts)

        QTimer.singleShot(STEP_GAP_MS, charts, step)

    @property
    def built(self) -> bool:
        return self._steps is None

    def build_step(self) -> bool:
        """Build the next part (a plot, then the rest); True while parts remain."""
        if self._steps is None:
            return False
        if next(self._steps, StopIteration) is StopIteration:
            self._steps = None
            return False
        return True

    def _build(self, redraw_ms: int) -> Iterator[None]:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        pal = self.palette()
        colours = line_colours(is_dark(pal))
        self.viewers_plot = yield from self._plot("Viewers", layout, 2, pal)
        self.viewers_line = SplitLine(self.viewers_plot, colours["viewers"])
        yield
        self.chat_plot = yield from self._plot("Chat / min", layout, 1, pal)
        self.chat_bars = SplitBars(self.chat_plot, colours["chat"])
        yield
        # "Bitrate (kbps)" does not fit the short chart's height
        self.bitrate_plot = yield from self._plot("kbps", layout, 1, pal)
        self.bitrate_line = SplitLine(self.bitrate_plot, colours["bitrate"])
        for p in (self.chat_plot, self.bitrate_plot):
            p.setXLink(self.viewers_plot)
        self.readout = QLabel(" ", self)
        self.readout.setObjectName("ChartReadout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.readout)
        self._bitrate_on = False
        self._set_bitrate_on(bool(self._show_bitrate))
        self._timer = QTimer(self)
        self._timer.setInterval(redraw_ms)
        self._timer.timeout.connect(self.flush)
        self._timer.start()
        if self.palette() != pal:  # switched light/dark while the plots were being built
            self._apply_palette()

    def _plot(self, title: str, layout: QVBoxLayout, stretch: int,
              pal: QPalette) -> Generator[None, None, pg.PlotWidget]:
        """One plot in three steps (its axes, pyqtgraph's plot, our settings), each ~5-15 ms."""
        # all four axes: pyqtgraph builds the unused top and right ones itself otherwise
        axes = {"bottom": pg.DateAxisItem(orientation="bottom"), "left": CountAxis(orientation="left"),
                "top": pg.AxisItem(orientation="top"), "right": pg.AxisItem(orientation="right")}
        yield
        # enableMenu=False: the view box's context menu (never shown here) is not even built, ~15% of
        # building a plot (bench/responsiveness.py)
        plot = pg.PlotWidget(axisItems=axes, enableMenu=False)
        for name in ("top", "right"):
            plot.hideAxis(name)  # given axes are shown; pyqtgraph's own top and right are hidden
        yield
        plot.setMenuEnabled(False)
        # pyqtgraph leaves the plot's options menu (never shown here) without a parent, so Python
        # owns it: freed by the cyclic collector on a worker thread, PySide defers its delete to the
        # GUI thread, and that deadlocked inside a signal emission (a test run hung in
        # QObject::~QObject). Owned by the plot, it is deleted with it, on the GUI thread.
        menu = plot.getPlotItem().ctrlMenu
        menu.setParent(plot, menu.windowFlags())
        plot.setLabel("left", title)
        # The same axis width on every chart, so one moment sits at the same x in all three.
        plot.getAxis("left").setWidth(64)
        # Opaque grid lines (alpha 1 on an opaque mixed colour, see _apply_palette): translucent
        # ones cost ~10x the whole rest of a repaint (bench/charts.py).
        plot.showGrid(x=True, y=True, alpha=1.0)
        for name in ("left", "bottom"):
            # every tick level opaque: pyqtgraph fades minor levels' grid lines by default, and
            # blending those over the whole plot dominated each repaint
            plot.getAxis(name).setStyle(tickAlpha=255)
        plot.setMouseEnabled(x=True, y=False)
        # counts and rates are never negative: y starts at 0 and flush() sets the top
        plot.getPlotItem().vb.disableAutoRange(axis="y")
        plot.getPlotItem().hideButtons()
        plot.setMinimumHeight(80)
        apply_palette(plot, pal, line_share=GRID_SHARE)  # opaque grid: see the module docstring
        cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(width=1, style=Qt.PenStyle.DotLine))
        cursor.setVisible(False)
        plot.addItem(cursor, ignoreBounds=True)
        self._cursor_lines.append(cursor)
        plot.scene().sigMouseMoved.connect(lambda pos: self._on_mouse(plot, pos))
        layout.addWidget(plot, stretch)
        return plot

    # -- data ---------------------------------------------------------------------------------------
    def append(self, t: float, viewers: int | None, chat_new: int = 0, bitrate: float | None = None) -> None:
        """Add one poll. Cheap: the charts redraw on the timer, not here."""
        self.viewers.append(t, math.nan if viewers is None else float(viewers))
        m = self.bucket(t)
        if len(self.chat) and self.chat.x[-1] == m:
            self.chat.add_to_last(chat_new)
        else:
            self.chat.append(m, float(chat_new))
        self.bitrate.append(t, math.nan if bitrate is None else float(bitrate))
        if bitrate is not None and self._show_bitrate is None and not self._bitrate_on:
            self._set_bitrate_on(True)
        self._dirty = True

    def append_snapshot(self, snapshot: object) -> None:
        """Convenience for ``core.live.LiveSnapshot`` (or anything with the same fields)."""
        self.append(snapshot.t, snapshot.viewers, snapshot.chat_new, snapshot.bitrate_kbps)  # type: ignore[attr-defined]

    def load(self, samples: Sequence[Sample]) -> None:
        """Replace everything with stored samples (history, or resuming a live session)."""
        self.clear()
        if samples:
            t = np.fromiter((s.t for s in samples), dtype=np.float64, count=len(samples))
            v = np.fromiter((math.nan if s.viewers is None else s.viewers for s in samples),
                            dtype=np.float64, count=len(samples))
            b = np.fromiter((math.nan if s.bitrate_kbps is None else s.bitrate_kbps for s in samples),
                            dtype=np.float64, count=len(samples))
            c = np.fromiter((s.chat for s in samples), dtype=np.float64, count=len(samples))
            self.viewers.extend(t, v)
            self.bitrate.extend(t, b)
            origin = self._origin if self._origin is not None else minute_start(float(t[0]))
            minutes = origin + np.floor((t - origin) / MINUTE) * MINUTE
            keys, inverse = np.unique(minutes, return_inverse=True)
            self.chat.extend(keys, np.bincount(inverse, weights=c, minlength=len(keys)))
            if self._show_bitrate is None:
                self._set_bitrate_on(bool(np.isfinite(b).any()))
        self.flush()  # sets the x range itself: pyqtgraph's auto-range would cut the first or last bar

    def clear(self) -> None:
        for series in (self.viewers, self.chat, self.bitrate):
            series.clear()
        if self._show_bitrate is None:
            self._set_bitrate_on(False)
        self.readout.setText(" ")
        self._dirty = True
        self.flush()

    def set_show_start(self, t: float | None) -> None:
        """The show's start: the time axis and the chat minutes count from here. Set it before
        loading or appending (it does not re-bucket what is already there)."""
        self._origin = t
        self._dirty = True

    def bucket(self, t: float) -> float:
        """The start of the show's minute that ``t`` falls in (wall-clock minutes without a start)."""
        origin = self._origin
        if origin is None:
            origin = float(self.viewers.x[0]) if len(self.viewers) else t
            origin = minute_start(origin)
        return origin + math.floor((t - origin) / MINUTE) * MINUTE

    def set_window(self, seconds: float | None) -> None:
        """Show only the last ``seconds`` (follow mode), or the whole session with None."""
        self._window_s = seconds
        # the next flush sets the x range even if it looks unchanged (cheap here: the new range is
        # laid out and painted by that flush, not now)
        self._x_stale = True
        self._dirty = True

    @property
    def window_s(self) -> float | None:
        return self._window_s

    def drawn(self, chart: str) -> tuple[np.ndarray, np.ndarray]:
        """What the ``"viewers"``, ``"chat"`` or ``"bitrate"`` chart's items hold: (x, y), bars as
        (centre, height). For tests and diagnostics: it reads the plot items, not the buffers."""
        items: dict[str, Any] = {"viewers": self.viewers_line, "chat": self.chat_bars,
                                 "bitrate": self.bitrate_line}
        return items[chart].data()

    # -- drawing ------------------------------------------------------------------------------------
    def flush(self) -> None:
        """Redraw now if anything changed (the timer calls this; tests and the bench may too).

        Only what changed is touched: the newest samples, the bar of the minute in progress, and
        the ranges when they differ from what is shown. In follow mode the view steps a whole
        minute at a time (the left edge on a minute boundary, the right one at the end of the
        minute in progress), so the axes, ticks and cached curves are redrawn once a minute rather
        than on every poll."""
        if not self._dirty:
            return
        self._dirty = False
        self.viewers_line.show(self.viewers)
        if self._bitrate_on:
            self.bitrate_line.show(self.bitrate)
        self.chat_bars.show(self.chat)
        start = -math.inf
        self._show_values(len(self.viewers) > 0)
        if len(self.viewers):
            last = float(self.viewers.x[-1])
            # whole chat bars in view: the first minute's and the one in progress
            end = max(last, float(self.chat.x[-1]) + MINUTE) if len(self.chat) else last
            first = float(self.chat.x[0]) if len(self.chat) else float(self.viewers.x[0])
            if self._origin is not None:
                first = min(first, self._origin)
            if self._window_s is not None and end - first > self._window_s:
                start = self.bucket(last - self._window_s)
                # no margin on the left: it would show a sliver of the bar before ``start``
                self._set_x(start, end, left_margin=False)
            elif self._window_s is not None:
                # the first minutes of the show: its start on the left, room to grow on the right
                self._set_x(first, first + self._window_s, left_margin=False)
            else:
                # the whole show, its end rounded up to the next 10 minutes (then hour): the view
                # steps a few times an hour at most, not on every minute
                span = end - first
                step = 600.0 if span < 3600 else 3600.0
                self._set_x(first, first + math.ceil(span / step) * step, left_margin=False)
        elif self._origin is not None:
            self._set_x(self._origin, self._origin + (self._window_s or FOLLOW_S), left_margin=False)
        self._fit_y(self.viewers_plot, self.viewers, start, Y_FLOOR["viewers"])
        self._fit_y(self.chat_plot, self.chat, start, Y_FLOOR["chat"])
        if self._bitrate_on:
            self._fit_y(self.bitrate_plot, self.bitrate, start, Y_FLOOR["bitrate"])

    def _set_x(self, start: float, end: float, *, left_margin: bool = True) -> None:
        """Show ``start``..``end`` plus 2 % each side, unless that is already what is shown (a new
        range re-lays out the date axis and drops every cached curve: the most expensive redraw)."""
        pad = (end - start) * 0.02
        target = [start - pad if left_margin else start, end + pad]
        vb = self.viewers_plot.getPlotItem().vb
        if vb.viewRange()[0] != target or vb.autoRangeEnabled()[0] or self._x_stale:
            self._x_stale = False
            self.chat_bars.view(*target)
            vb.setXRange(*target, padding=0)

    def _fit_y(self, plot: pg.PlotWidget, series: GrowableSeries, start: float, floor: float) -> None:
        """0 to a little above the highest value shown (from ``start`` on), never below ``floor``."""
        if start > -math.inf:
            ys = series.y[int(np.searchsorted(series.x, start)):]  # a window: at most a few hundred
            finite = ys[np.isfinite(ys)]
            peak = float(finite.max()) if len(finite) else -math.inf
        else:
            peak = series.peak  # the whole session: kept up to date by the series, no scan per tick
        top = max(floor, peak * 1.12)
        if self._y_top.get(plot) == top:
            return
        self._y_top[plot] = top
        # a sliver below 0 so the "0" tick label is not cut in half by the plot's edge; too little
        # for a negative tick to appear
        plot.setYRange(-top * 0.04, top, padding=0)

    def _show_values(self, shown: bool) -> None:
        """Tick labels only once there is data: an empty plot's default range labels "00.250"."""
        if self._values_shown == shown:
            return
        self._values_shown = shown
        for plot in (self.viewers_plot, self.chat_plot, self.bitrate_plot):
            for name in ("left", "bottom"):
                plot.getAxis(name).setStyle(showValues=shown)

    def _set_bitrate_on(self, on: bool) -> None:
        self._bitrate_on = on
        self.bitrate_plot.setVisible(on)
        # One time axis, under the bottom chart: the plots share it (linked), and every extra
        # date axis is drawn and re-labelled on each redraw.
        self.viewers_plot.hideAxis("bottom")
        self.chat_plot.showAxis("bottom", not on)
        self._dirty = True

    @property
    def bitrate_shown(self) -> bool:
        return self._bitrate_on

    @property
    def is_dirty(self) -> bool:
        return self._dirty

    # -- hover readout ------------------------------------------------------------------------------
    def _on_mouse(self, plot: pg.PlotWidget, pos: QPointF) -> None:
        vb = plot.getPlotItem().vb
        if not plot.sceneBoundingRect().contains(pos) or not len(self.viewers):
            return
        self.show_readout_at(vb.mapSceneToView(pos).x())

    def show_readout_at(self, t: float) -> str:
        """Move the cursor line to the sample nearest ``t`` and describe it; returns the text."""
        i = self.viewers.nearest(t)
        if i is None:
            return ""
        x = float(self.viewers.x[i])
        v = self.viewers.y[i]
        parts = [datetime.fromtimestamp(x).strftime("%H:%M:%S"),
                 "viewers —" if math.isnan(v) else f"{int(v)} viewers"]
        j = self.chat.nearest(minute_start(x))
        if j is not None and self.chat.x[j] == minute_start(x):
            parts.append(f"{int(self.chat.y[j])} chat that minute")
        b = self.bitrate.y[i]
        if not math.isnan(b):
            parts.append(f"{b:.0f} kbps")
        parts.append(f"+{fmt_duration(x - float(self.viewers.x[0]))}")
        text = " · ".join(parts)
        self.readout.setText(text)
        for line in self._cursor_lines:
            line.setPos(x)
            line.setVisible(True)
        return text

    # -- light/dark -------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if palette_changed(event) and self.built:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        pal = self.palette()
        for plot in (self.viewers_plot, self.chat_plot, self.bitrate_plot):
            apply_palette(plot, pal, line_share=GRID_SHARE)  # opaque grid: see the module docstring
        colours = line_colours(is_dark(pal))
        self.viewers_line.set_colour(colours["viewers"])
        self.bitrate_line.set_colour(colours["bitrate"])
        self.chat_bars.set_colour(colours["chat"])
