"""LiveCharts with real Qt widgets (offscreen): buffers, timer redraw, gaps, buckets, hover, palette."""

from __future__ import annotations

import math
import random

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QPalette

from streamdesk.core import stats
from streamdesk.core.store import Sample
from streamdesk.ui.widgets.charts import GrowableSeries, LiveCharts

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

T0 = 1_767_225_600.0


@pytest.fixture
def charts(qtbot) -> LiveCharts:
    w = LiveCharts(redraw_ms=30)
    qtbot.addWidget(w)
    w.resize(800, 500)
    w.show()
    qtbot.waitExposed(w)
    return w


def _show(n: int, seed: int = 4, gap_every: int = 37) -> list[Sample]:
    rng = random.Random(seed)
    return [Sample(T0 + 3 * i, None if i % gap_every == 5 else rng.randint(0, 80), rng.randint(0, 5),
                   None if i < 10 else 4000 + rng.random() * 1000) for i in range(n)]


def test_growable_series_doubles_and_keeps_values() -> None:
    s = GrowableSeries(capacity=16)
    for i in range(1000):
        s.append(float(i), float(i * 2))
    assert len(s) == 1000 and s.x[-1] == 999 and s.y[500] == 1000
    s.extend(np.arange(1000, 1100, dtype=float), np.zeros(100))
    assert len(s) == 1100 and s.x[1099] == 1099
    assert s.nearest(10.4) == 10 and s.nearest(10.6) == 11 and s.nearest(-5) == 0 and s.nearest(1e9) == 1099
    s.clear()
    assert len(s) == 0 and s.nearest(3) is None


def test_append_redraws_on_the_timer_not_per_sample(qtbot, charts: LiveCharts) -> None:
    for i in range(5):
        charts.append(T0 + i, 10 + i, 1)
    assert charts.is_dirty
    assert len(charts.drawn("viewers")[0]) == 0  # nothing drawn yet
    qtbot.waitUntil(lambda: not charts.is_dirty, timeout=2000)
    x, y = charts.drawn("viewers")
    assert list(x) == [T0 + i for i in range(5)] and list(y) == [10, 11, 12, 13, 14]


def test_gaps_break_the_line_instead_of_dropping_to_zero(charts: LiveCharts) -> None:
    charts.append(T0, 5, 0)
    charts.append(T0 + 3, None, 0)
    charts.append(T0 + 6, 7, 0)
    charts.flush()
    _, y = charts.drawn("viewers")
    assert y[0] == 5 and math.isnan(y[1]) and y[2] == 7
    for line in (charts.viewers_line, charts.bitrate_line):
        assert line.settled.opts["connect"] == line.tail.opts["connect"] == "finite"


def test_chat_bars_are_the_per_minute_buckets(charts: LiveCharts) -> None:
    samples = _show(200)  # 10 minutes at 3 s
    for s in samples:
        charts.append(s.t, s.viewers, s.chat, s.bitrate_kbps)
    charts.flush()
    buckets = stats.chat_buckets(samples)
    assert list(charts.chat.x) == [m for m, _ in buckets]
    assert list(charts.chat.y) == [n for _, n in buckets]
    centres, heights = charts.drawn("chat")
    assert list(heights) == [n for _, n in buckets]
    assert list(centres) == [m + stats.MINUTE / 2 for m, _ in buckets]


def test_load_equals_appending_the_same_samples(qtbot) -> None:
    samples = _show(500)
    appended, loaded = LiveCharts(), LiveCharts()
    for w in (appended, loaded):
        qtbot.addWidget(w)
    for s in samples:
        appended.append(s.t, s.viewers, s.chat, s.bitrate_kbps)
    loaded.load(samples)
    for a, b in ((appended.viewers, loaded.viewers), (appended.chat, loaded.chat),
                 (appended.bitrate, loaded.bitrate)):
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)  # NaN == NaN here
    loaded.clear()
    assert len(loaded.viewers) == 0 and len(loaded.drawn("viewers")[0]) == 0


def test_bitrate_chart_appears_once_obs_reports_a_bitrate(charts: LiveCharts) -> None:
    charts.append(T0, 3, 0, None)
    assert not charts.bitrate_shown
    charts.append(T0 + 1, 3, 0, 4500.0)
    assert charts.bitrate_shown and charts.bitrate_plot.isVisible()
    charts.load([Sample(T0, 1, 0, None)])
    assert not charts.bitrate_shown


def test_hover_shows_the_values_under_the_cursor(qtbot, charts: LiveCharts) -> None:
    charts.load([Sample(T0 + 60, 12, 4, 4500.0), Sample(T0 + 63, 15, 2, 4400.0),
                 Sample(T0 + 66, None, 1, None)])
    qtbot.wait(50)
    vb = charts.viewers_plot.getPlotItem().vb
    scene_pos = vb.mapViewToScene(QPointF(T0 + 63.4, 13))
    charts.viewers_plot.scene().sigMouseMoved.emit(scene_pos)
    text = charts.readout.text()
    assert "15 viewers" in text and "7 chat that minute" in text and "4400 kbps" in text and "+0:03" in text
    assert "viewers —" in charts.show_readout_at(T0 + 70)  # a gap reads as unknown, not 0
    assert all(line.isVisible() and line.value() == T0 + 66 for line in charts._cursor_lines)


def test_time_axis_is_clock_time(charts: LiveCharts) -> None:
    assert isinstance(charts.viewers_plot.getAxis("bottom"), pg.DateAxisItem)


def test_follows_the_palette(charts: LiveCharts) -> None:
    dark = QPalette(charts.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#101418"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e8eaed"))
    charts.setPalette(dark)
    assert charts.viewers_plot.backgroundBrush().color() == QColor("#101418")
    assert charts.viewers_plot.getAxis("left").textPen().color() == QColor("#e8eaed")


def test_lines_are_at_least_two_pixels_and_keep_spikes(charts: LiveCharts) -> None:
    for line in (charts.viewers_line, charts.bitrate_line):
        for curve in (line.settled, line.tail):
            assert curve.opts["pen"].width() >= 2
            assert curve.opts["autoDownsample"] and curve.opts["clipToView"]
            assert curve.opts["downsampleMethod"] == "peak"  # keeps spikes a mean would flatten


def test_qt_bindings_keep_none_alive_through_a_long_show(qtbot, charts: LiveCharts) -> None:
    """PySide6 6.12.0 on Python 3.11 drops one reference to None per void method call; pyqtgraph
    makes thousands per repaint, so a live chart crashed the app with "none_dealloc" in seconds.
    (pyproject excludes that release; this fails loudly if such a build comes back.)"""
    import sys

    charts.load(_show(3600))
    before = sys.getrefcount(None)
    for i in range(30):
        charts.append(T0 + 20_000 + i, 40, 1, 4500.0)
        charts.flush()
        charts.repaint()
    assert sys.getrefcount(None) - before > -300  # 6.12.0 loses ~300 per iteration


def test_a_long_show_draws_every_sample_across_the_cached_part_and_the_tail(charts: LiveCharts) -> None:
    """A line is two curves (settled + newest samples); together they must hold every sample once,
    gaps included, after a load, after many single appends and after loading something shorter."""
    samples = _show(2000)
    charts.load(samples[:1500])
    for i, s in enumerate(samples[1500:]):
        charts.append(s.t, s.viewers, s.chat, s.bitrate_kbps)
        if i % 7 == 0:  # the timer does not flush after every poll
            charts.flush()
    charts.flush()
    for name, series in (("viewers", charts.viewers), ("bitrate", charts.bitrate)):
        x, y = charts.drawn(name)
        np.testing.assert_array_equal(x, series.x)
        np.testing.assert_array_equal(y, series.y)
    assert len(charts.viewers_line.settled.getOriginalDataset()[0]) > 1500  # the tail was folded in
    charts.load(samples[:400])
    np.testing.assert_array_equal(charts.drawn("viewers")[1], [np.nan if s.viewers is None else s.viewers
                                                               for s in samples[:400]])
    assert list(charts.drawn("chat")[1]) == [n for _, n in stats.chat_buckets(samples[:400])]


@pytest.mark.parametrize("window", [600.0, None], ids=["follow", "whole"])
def test_a_poll_redraws_only_the_newest_samples_and_the_minute_in_progress(qtbot, charts: LiveCharts,
                                                                           window: float | None) -> None:
    """What keeps a 12-hour show cheap per poll (bench/charts.py measures it): within a minute a poll
    touches neither the cached part of the lines, nor the closed minutes' bars, nor the ranges."""
    charts.load(_show(1200))  # an hour at 3 s, ending at T0 + 3597
    charts.set_window(window)
    charts.append(T0 + 3600, 1, 1, 4500.0)  # a new minute
    charts.flush()
    vb = charts.viewers_plot.getPlotItem().vb
    x_range = vb.viewRange()[0]
    closed_heights = charts.chat_bars.closed.opts["height"]
    with (qtbot.assertNotEmitted(charts.viewers_line.settled.sigPlotChanged, wait=0),
          qtbot.assertNotEmitted(vb.sigXRangeChanged, wait=0),
          qtbot.assertNotEmitted(vb.sigYRangeChanged, wait=0)):
        for t in range(3601, 3660):
            charts.append(T0 + t, 1, 1, 4500.0)
            charts.flush()
            charts.repaint()
    assert charts.drawn("viewers")[0][-1] == T0 + 3659
    assert charts.drawn("chat")[1][-1] == 60  # the bar in progress grew
    assert charts.chat_bars.closed.opts["height"] is closed_heights
    assert vb.viewRange()[0] == x_range
    if window is not None:
        # the view steps a whole minute at a time: the last ten whole minutes and the one in progress,
        # starting on the minute (no sliver of an earlier bar)
        pad = (11 * 60) * 0.02
        assert x_range == [T0 + 3600 - 600, T0 + 3660 + pad]
        with qtbot.waitSignal(vb.sigXRangeChanged, timeout=1000):
            charts.append(T0 + 3660, 1, 1, 4500.0)
            charts.flush()
        assert vb.viewRange()[0] == [T0 + 3660 - 600, T0 + 3720 + pad]


def test_cached_parts_look_exactly_like_drawing_everything(qtbot) -> None:
    """The settled curves and closed bars are cached as device pixmaps; the picture must be the same
    pixels as with no cache (a blurred or shifted cache would pass every data test)."""
    from PySide6.QtWidgets import QGraphicsItem

    def grab(cached: bool) -> object:
        w = LiveCharts(redraw_ms=1_000_000)
        qtbot.addWidget(w)
        w.resize(800, 500)
        w.show()
        w.load(_show(1500))  # more than the live tail: most of each line is in the settled part
        for i in range(20):
            w.append(T0 + 4500 + 3 * i, 40, 1, 4500.0)
        if not cached:
            for item in (w.viewers_line.settled.curve, w.bitrate_line.settled.curve, *w.chat_bars.items()):
                item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        w.flush()
        return w.grab().toImage()

    assert grab(cached=True) == grab(cached=False)


def test_a_loaded_session_shows_every_bar_whole(qtbot, charts: LiveCharts) -> None:
    """History and the summary: the first and the last minute's bars are in view, not cut by an edge."""
    # 10 minutes at 3 s from 50 s into a minute: the first and last bars stick out past the line
    samples = [Sample(s.t + 50, s.viewers, s.chat, s.bitrate_kbps) for s in _show(200, seed=9)]
    charts.load(samples)
    qtbot.wait(50)  # a paint: pyqtgraph applies auto-ranges there
    lo, hi = charts.viewers_plot.getPlotItem().vb.viewRange()[0]
    centres, _ = charts.drawn("chat")
    half = stats.MINUTE * 0.4  # bars are 80 % of a minute wide
    assert lo <= centres[0] - half and centres[-1] + half <= hi
    assert charts.chat_plot.getPlotItem().vb.viewRange()[0] == [lo, hi]  # the charts share one time axis


def test_follow_view_shows_the_show_start_until_ten_minutes_then_slides(charts: LiveCharts) -> None:
    start = T0 + 17  # a show that starts 17 s into a minute
    charts.set_show_start(start)
    charts.set_window(600)
    charts.append(start + 95, 3, 1)
    charts.flush()
    vb = charts.viewers_plot.getPlotItem().vb
    lo, hi = vb.viewRange()[0]
    assert lo == start and start + 600 <= hi <= start + 620, "at 95 s the data is not a sliver at the edge"
    for t in range(100, 700, 5):
        charts.append(start + t, 3, 1)
    charts.flush()
    lo, hi = vb.viewRange()[0]
    assert hi >= start + 695 and hi - lo < 700 and lo > start, "past ten minutes the view slides"


def test_chat_bars_start_at_the_show_start(charts: LiveCharts) -> None:
    start = T0 + 40
    charts.set_show_start(start)
    for t in range(0, 150, 10):
        charts.append(start + t, 2, 1)
    charts.flush()
    centres, heights = charts.drawn("chat")
    assert centres[0] - stats.MINUTE / 2 == start  # not at the wall-clock minute before the show
    assert list(heights) == [6, 6, 3]


def test_whole_show_toggle_and_no_rescale_every_minute(qtbot, charts: LiveCharts) -> None:
    charts.set_show_start(T0)
    charts.load(_show(1100))  # 55 minutes
    charts.set_window(None)
    charts.flush()
    vb = charts.viewers_plot.getPlotItem().vb
    lo, hi = vb.viewRange()[0]
    assert lo == T0 and T0 + 3600 <= hi <= T0 + 3700
    with qtbot.assertNotEmitted(vb.sigXRangeChanged, wait=0):
        for t in range(3300, 3420, 3):  # two minute steps
            charts.append(T0 + t, 5, 1)
            charts.flush()


def test_empty_charts_show_no_junk_ticks_and_counts_are_whole(charts: LiveCharts) -> None:
    charts.flush()
    charts.clear()
    for plot in (charts.viewers_plot, charts.chat_plot):
        assert not plot.getAxis("left").style["showValues"]
        assert not plot.getAxis("bottom").style["showValues"]
    charts.append(T0, 1, 0)
    charts.flush()
    assert charts.viewers_plot.getAxis("left").style["showValues"]
    levels = charts.viewers_plot.getAxis("left").tickValues(0, 2.2, 200)
    assert levels and all(float(v).is_integer() for _, values in levels for v in values)


def test_grid_lines_are_on(charts: LiveCharts) -> None:
    for plot in (charts.viewers_plot, charts.chat_plot, charts.bitrate_plot):
        assert plot.getAxis("left").grid and plot.getAxis("bottom").grid


def test_dark_mode_lifts_the_series_colours(charts: LiveCharts) -> None:
    light = charts.viewers_line.tail.opts["pen"].color().lightness()
    dark = QPalette(charts.palette())
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#101418"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e8eaed"))
    charts.setPalette(dark)
    assert charts.viewers_line.tail.opts["pen"].color().lightness() > light + 30
