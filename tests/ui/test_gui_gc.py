"""Garbage is collected on the GUI thread only, once the window has a controller: a collection on a
worker thread could free a Qt object there (a full UI run deadlocked and once crashed that way)."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

from tests.ui.conftest import WAIT_MS


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_cycles_made_on_a_worker_are_collected_on_the_gui_thread(make_window: Any, qtbot: Any) -> None:
    make_window()
    assert not gc.isenabled(), "automatic collection runs on whichever thread allocates"
    freed_on: list[str] = []

    def worker() -> None:
        cycle = _Cycle()
        weakref.finalize(cycle, lambda: freed_on.append(threading.current_thread().name))
        del cycle
        # far past the thresholds: automatic collection would have run here, on this thread
        junk = [_Cycle() for _ in range(20 * gc.get_threshold()[0])]
        del junk

    thread = threading.Thread(target=worker, name="worker")
    thread.start()
    thread.join()
    assert freed_on == []  # nothing collected it yet
    qtbot.waitUntil(lambda: bool(freed_on), timeout=WAIT_MS)
    assert freed_on == [threading.main_thread().name]
