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


def _original(curve: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    x, y = curve.getOriginalDataset()
    return (np.empty(0), np.empty(0)) if x is None else (np.asarray(x), np.asarray(y))


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
    assert len(_original(charts.viewers_curve)[0]) == 0  # nothing drawn yet
    qtbot.waitUntil(lambda: not charts.is_dirty, timeout=2000)
    x, y = _original(charts.viewers_curve)
    assert list(x) == [T0 + i for i in range(5)] and list(y) == [10, 11, 12, 13, 14]


def test_gaps_break_the_line_instead_of_dropping_to_zero(charts: LiveCharts) -> None:
    charts.append(T0, 5, 0)
    charts.append(T0 + 3, None, 0)
    charts.append(T0 + 6, 7, 0)
    charts.flush()
    _, y = _original(charts.viewers_curve)
    assert y[0] == 5 and math.isnan(y[1]) and y[2] == 7
    assert charts.viewers_curve.opts["connect"] == "finite"


def test_chat_bars_are_the_per_minute_buckets(charts: LiveCharts) -> None:
    samples = _show(200)  # 10 minutes at 3 s
    for s in samples:
        charts.append(s.t, s.viewers, s.chat, s.bitrate_kbps)
    charts.flush()
    buckets = stats.chat_buckets(samples)
    assert list(charts.chat.x) == [m for m, _ in buckets]
    assert list(charts.chat.y) == [n for _, n in buckets]
    heights = charts.chat_bars.opts["height"]
    assert list(heights) == [n for _, n in buckets]


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
    assert len(loaded.viewers) == 0 and len(_original(loaded.viewers_curve)[0]) == 0


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


def test_pens_are_one_pixel(charts: LiveCharts) -> None:
    assert charts.viewers_curve.opts["pen"].width() == 1 and charts.bitrate_curve.opts["pen"].width() == 1
    assert charts.viewers_curve.opts["autoDownsample"] and charts.viewers_curve.opts["clipToView"]


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
