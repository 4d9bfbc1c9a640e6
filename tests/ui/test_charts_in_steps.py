"""The live charts never freeze the window in one piece (issue 17 item 4): they are built a part at
a time with the GUI's own events running in between, before going live, hidden and off the page;
going live only puts them on the page, after LIVE is painted. (The time each part takes is
measured by bench/responsiveness.py, not here.)"""

from __future__ import annotations

import gc
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from streamdesk.core.flow import State
from streamdesk.ui.widgets.charts import LiveCharts
from tests.ui.conftest import WAIT_MS, Wizard

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

PLOTS = ("viewers_plot", "chat_plot", "bitrate_plot")


def _plots_built(charts: LiveCharts) -> int:
    return sum(hasattr(charts, name) for name in PLOTS)


def test_the_charts_are_built_a_part_per_event_loop_turn(qtbot: Any) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    built: list[LiveCharts | None] = []
    LiveCharts.build_in_steps(host, built.append, window_s=600)
    charts = host.findChild(LiveCharts)
    assert charts is not None and not charts.built and not built  # nothing built on the caller's turn
    assert _plots_built(charts) == 0
    seen: list[int] = []  # what a GUI timer finds built each time it gets its turn
    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(lambda: seen.append(_plots_built(charts)))
    timer.start()
    qtbot.waitUntil(lambda: bool(built), timeout=WAIT_MS)
    timer.stop()
    assert built == [charts] and charts.built and _plots_built(charts) == 3
    # the timer ran while one plot, then two, were built: never all three in one turn
    assert {1, 2} <= set(seen), seen
    assert seen.count(1) >= 2 and seen.count(2) >= 2, seen  # each plot itself in more than one step
    assert charts.isHidden() and charts.window_s == 600
    for line in (charts.viewers_line.tail, charts.chat_bars.current, charts.bitrate_line.tail):
        assert line.scene() is not None  # the items are on their plots


def test_the_steps_build_what_the_constructor_builds(qtbot: Any) -> None:
    at_once = LiveCharts(show_bitrate=True)
    stepwise = LiveCharts(show_bitrate=True, in_steps=True)
    for w in (at_once, stepwise):
        qtbot.addWidget(w)
    parts = 1  # the call that finishes the build does the last part
    while stepwise.build_step():
        parts += 1
    assert parts >= 9  # three a plot, at least
    assert not stepwise.build_step() and stepwise.built
    for w in (at_once, stepwise):
        w.append(1000.0, 12, 3, 2500.0)
        w.flush()
    for name in ("viewers", "chat", "bitrate"):
        assert [list(a) for a in stepwise.drawn(name)] == [list(a) for a in at_once.drawn(name)]
    for name in PLOTS:
        a, b = getattr(at_once, name), getattr(stepwise, name)
        assert b.getAxis("left").labelText == a.getAxis("left").labelText
        assert b.backgroundBrush().color() == a.backgroundBrush().color()
        for side in ("top", "right"):
            assert not b.getPlotItem().getAxis(side).isVisible()
        # pyqtgraph's options menu belongs to the plot (Qt deletes it, on the GUI thread), not to Python
        assert b.getPlotItem().ctrlMenu.parent() is b and a.getPlotItem().ctrlMenu.parent() is a


def test_charts_are_built_while_ready_and_shown_after_live_paints(make_window: Any, wizard: Wizard,
                                                                   qtbot: Any) -> None:
    window = make_window()
    live = window.cards["live"]
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    assert live._built_charts is None  # nothing before the stream is ready
    wizard.configure_and_stream(window)  # READY: going live is next
    qtbot.waitUntil(lambda: live._built_charts is not None, timeout=WAIT_MS)
    prebuilt = live._built_charts
    assert prebuilt.built and prebuilt.isHidden() and live.charts is None  # not on the page yet
    assert gc.get_freeze_count() > 0  # what lives until the app quits is out of the collector's walks
    at_start: list[object] = []  # the charts on the page right after the card's own slot ran
    window.controller.session_started.connect(lambda _s: at_start.append(live.charts))
    wizard.go_live(window)
    assert window.controller.state is State.LIVE
    assert at_start == [None]  # LIVE is laid out and painted without them
    qtbot.waitUntil(lambda: live.charts is not None, timeout=WAIT_MS)
    assert live.charts is prebuilt  # the ones built while READY, not a second set
    qtbot.waitUntil(live.charts.isVisible, timeout=WAIT_MS)
    assert live.charts_placeholder.isHidden()
    wizard.poll_until(window, lambda: len(live.charts.viewers) >= 1)  # the polls reach them
