"""The simulator's sense of time: a base clock, optionally sped up, that tests can push forward.

Two readings on purpose. ``base()`` is the clock the outside world shares (wall time by default):
tokens are minted with it, so ``exp``/``iat`` and ``X-RateLimit-Reset`` are judged against it.
``now()`` is simulated time: it runs ``time_scale`` times faster than the base and jumps on
``advance()``, so a test can fast-forward a show's audience without waiting and without making
every client token look expired.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SimClock:
    def __init__(self, base: Callable[[], float] | None = None, *, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.base: Callable[[], float] = base or time.time
        self.time_scale = time_scale
        self._origin = self.base()
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Simulated Unix time in seconds."""
        with self._lock:
            offset = self._offset
        elapsed = self.base() - self._origin
        return self._origin + elapsed * self.time_scale + offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            self._offset += seconds


def to_ns(seconds: float) -> int:
    """GetStream's wire format for date-times: integer Unix nanoseconds."""
    return round(seconds * 1_000_000) * 1000  # microsecond steps: exact and monotonic
