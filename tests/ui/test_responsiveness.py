"""The GUI thread never waits on the network: with 2 s of GetStream latency on every request, a
10 ms timer in the GUI thread keeps firing while the wizard saves, reconciles and provisions.

The bound (500 ms) is generous on purpose: one blocking request would show as a ≥ 2 s gap, while
machine jitter stays far below it."""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from typing import Any

from PySide6.QtCore import QTimer

from streamdesk.core.flow import State

from .conftest import Wizard

LATENCY_S = 2.0
WORST_GAP_MS = 500


def test_timer_keeps_firing_with_slow_getstream(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    # the window's one-off warm-up imports (pyqtgraph, the clients) finish first: this measures the flow
    qtbot.waitUntil(lambda: window.controller.tasks.pending == 0, timeout=30_000)
    wizard.gs.faults.latency("*", LATENCY_S, times=None)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    try:
        started = time.perf_counter()
        wizard.account(window)  # save + GetCall (2 s)
        wizard.provision(window)  # four requests (8 s)
        elapsed = time.perf_counter() - started
    finally:
        timer.stop()
    assert window.controller.state is State.PROVISIONED
    assert elapsed >= 4 * LATENCY_S  # the latency really applied: the flow did wait on the network
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(ticks)]
    assert max(gaps) < WORST_GAP_MS, f"the GUI thread stalled for {max(gaps):.0f} ms"
    assert len(ticks) > 100


def test_no_store_reads_on_the_gui_thread_from_account_to_live(
        make_window: Any, wizard: Wizard, qtbot: Any, monkeypatch: Any) -> None:
    """Every refresh of the provision card read the call-type backup from the database on the GUI
    thread (~36 reads a wizard run, bench/responsiveness.py --audit), and Connect OBS read the OBS
    undo backup there; tasks read both now."""
    window = make_window()
    qtbot.waitUntil(lambda: window.controller.tasks.pending == 0, timeout=30_000)
    store = window.controller.ctx.store
    gui = threading.get_ident()
    on_gui: list[str] = []
    real_conn = store._conn

    def conn() -> Any:
        if threading.get_ident() == gui:
            on_gui.append("".join(traceback.format_stack(limit=6)))
        return real_conn()

    monkeypatch.setattr(store, "_conn", conn)
    wizard.account(window)
    wizard.provision(window)
    window.cards["provision"].refresh()
    assert window.controller.state is State.PROVISIONED
    wizard.connect_obs(window)
    wizard.configure_and_stream(window)
    wizard.go_live(window)
    assert window.controller.state is State.LIVE
    assert not on_gui, f"{len(on_gui)} database reads on the GUI thread, the first from:\n{on_gui[0]}"
