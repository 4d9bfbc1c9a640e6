"""Keep the cyclic garbage collector's full collections short while the show is live.

A full (generation 2) collection walks every tracked object; with the window, the cards, the
clients, pyqtgraph and the charts built that is 100,000+ objects and 50-110 ms of GUI-thread CPU,
the longest freeze of a live show (bench/responsiveness.py). ``gc.freeze()`` moves everything that
exists now into a permanent generation that collections skip: called once what lives until the
app quits has been built (the charts, before going live), later collections only walk what the
show itself allocates. Garbage frozen with them (a few cycles from start-up) is never collected:
a fixed, small cost."""

from __future__ import annotations

import gc

_frozen = False


def freeze_long_lived() -> None:
    """Exclude every object alive now from future collections (cheap: a list splice). Once a
    process: later calls would also freeze the garbage of the windows built since (tests build many)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()
