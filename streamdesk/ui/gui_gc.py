"""The cyclic garbage collector runs on the GUI thread only, and skips what lives until quit.

**GUI thread only.** Python's collector runs on whichever thread allocates when a threshold is
crossed, often a worker (the task pool, the recorder, the OBS owner thread). A Qt object that only
Python held (a pyqtgraph item, a menu) then dies on that thread: PySide defers its deletion to the
GUI thread, and mid-emission that deadlocked or crashed a full UI test run. So automatic
collection is switched off once the window has a controller, and a GUI-thread timer runs the
generation collections the same thresholds call for (pyqtgraph's ``GarbageCollector`` does this).

**Frozen long-lived objects.** A full (generation 2) collection walks every tracked object; with
the window, the cards, the clients, pyqtgraph and the charts built that is 100,000+ objects and
50-110 ms of GUI-thread CPU, the longest freeze of a live show (bench/responsiveness.py).
``gc.freeze()`` moves everything that exists now into a permanent generation that collections
skip: called once what lives until the app quits has been built (the charts, before going live).
Garbage frozen with them (a few cycles from start-up) is never collected: a fixed, small cost.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

CHECK_MS = 500  # a generation-0 collection of half a second's allocations: well under a millisecond

_frozen = False
_collector: GuiCollector | None = None


class GuiCollector(QObject):
    """Automatic collection off; every ``CHECK_MS`` on the GUI thread, the collections the
    thresholds ask for, youngest first."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self.threshold[generation]:
                break
            gc.collect(generation)


def collect_on_gui_thread() -> GuiCollector:
    """Install the collector once per process (the app's, and every test window's); from the GUI
    thread, which owns the timer."""
    global _collector
    app = QCoreApplication.instance()
    assert app is not None and QThread.currentThread() is app.thread(), "the GUI thread collects"
    if _collector is None:
        _collector = GuiCollector(app)
    gc.disable()  # start-up turns it back on after the first paint; keep it off from here
    return _collector


def freeze_long_lived() -> None:
    """Exclude every object alive now from future collections (cheap: a list splice). Once a
    process: later calls would also freeze the garbage of the windows built since (tests build many)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()
