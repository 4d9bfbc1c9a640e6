"""The charts' data: (x, y) float64 columns in preallocated numpy buffers that double when full,
so a 12-hour show at 1 sample/s appends without re-allocating or scanning (``charts`` module
docstring)."""

from __future__ import annotations

import math

import numpy as np


class GrowableSeries:
    """(x, y) float64 columns in preallocated buffers; capacity doubles when full, so appending
    is amortised O(1) and ``x``/``y`` are zero-copy views of the filled part."""

    def __init__(self, capacity: int = 4096) -> None:
        self._x = np.empty(max(16, capacity), dtype=np.float64)
        self._y = np.empty_like(self._x)
        self.n = 0
        self.peak = -math.inf  # the highest finite y so far: a y axis fit without scanning 12 hours
        self.generation = 0  # bumped by clear(), so a drawing of the old data is not mistaken for current

    def __len__(self) -> int:
        return self.n

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]

    def _reserve(self, extra: int) -> None:
        need = self.n + extra
        if need <= len(self._x):
            return
        cap = len(self._x)
        while cap < need:
            cap *= 2
        for name in ("_x", "_y"):
            old = getattr(self, name)
            new = np.empty(cap, dtype=np.float64)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    def append(self, x: float, y: float) -> None:
        self._reserve(1)
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1
        if y > self.peak:  # False for NaN
            self.peak = y

    def extend(self, xs: np.ndarray, ys: np.ndarray) -> None:
        self._reserve(len(xs))
        self._x[self.n : self.n + len(xs)] = xs
        self._y[self.n : self.n + len(ys)] = ys
        self.n += len(xs)
        finite = ys[np.isfinite(ys)]
        if len(finite):
            self.peak = max(self.peak, float(finite.max()))

    def add_to_last(self, dy: float) -> None:
        self._y[self.n - 1] += dy
        if self._y[self.n - 1] > self.peak:
            self.peak = float(self._y[self.n - 1])

    def clear(self) -> None:
        self.n = 0
        self.peak = -math.inf
        self.generation += 1

    def nearest(self, x: float) -> int | None:
        """Index of the sample closest to ``x`` (the series is sorted by x), or None if empty."""
        if self.n == 0:
            return None
        xs = self.x
        i = int(np.searchsorted(xs, x))
        if i >= self.n:
            return self.n - 1
        if i > 0 and x - xs[i - 1] < xs[i] - x:
            return i - 1
        return i

