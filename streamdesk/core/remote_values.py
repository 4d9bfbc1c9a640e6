"""Checked values from the other side of a socket (GetStream, OBS, Discord).

A remote peer (or a proxy in between) can send anything JSON allows and more: ``NaN``,
``Infinity``, ``1e300``, negative counts, timestamps in the year 30000, rate-limit resets in
milliseconds, text full of terminal escapes. Every number streamdesk keeps or acts on goes through
one of these checks, so an implausible value is a clear, typed refusal (the caller turns
:class:`ImplausibleValue` into its protocol error) instead of an ``OverflowError`` deep in a chart
or a stored ``viewers = -1005``.

No Qt, no HTTP: plain functions over plain values.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

#: counts (viewers, participants, messages): a livestream with more than ten million people in
#: one call is not something a single streamer's desktop app will meet; anything above is garbage
MAX_COUNT = 10_000_000
#: timestamps outside these years are not from a live show (GetStream launched video in 2023;
#: a year past 2100 is a unit mix-up such as milliseconds read as seconds)
MIN_YEAR, MAX_YEAR = 2000, 2100
_MIN_TS = datetime(MIN_YEAR, 1, 1, tzinfo=UTC).timestamp()
_MAX_TS = datetime(MAX_YEAR, 1, 1, tzinfo=UTC).timestamp()
#: a rate-limit reset further than this from now is treated as absent (docs/reliability.md)
MAX_RESET_AHEAD_S = 24 * 3600.0


class ImplausibleValue(ValueError):
    """A remote value that is the wrong type, not finite or out of its plausible range.

    ``str()`` is a short reason ("not a finite number", "-5 is below 0") for the caller's
    sentence; it never repeats more than a few characters of the value."""


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ImplausibleValue(f"not a number ({type(value).__name__})")
    if isinstance(value, float) and not math.isfinite(value):
        raise ImplausibleValue("not a finite number")
    return value


def count(value: Any, *, maximum: int = MAX_COUNT) -> int:
    """A non-negative whole count up to ``maximum``. Integral floats (``3.0``) are accepted."""
    n = _number(value)
    if isinstance(n, float) and not n.is_integer():
        raise ImplausibleValue(f"{n:.3g} is not a whole number")
    if n < 0:
        raise ImplausibleValue(f"{n:.0f} is below 0")
    if n > maximum:
        raise ImplausibleValue(f"{float(n):.3g} is above {maximum:,}")
    return int(n)


def bounded(value: Any, low: float, high: float) -> float:
    """A finite number within ``[low, high]``."""
    n = float(_number(value))
    if not low <= n <= high:
        raise ImplausibleValue(f"{n:.3g} is outside {low:g}..{high:g}")
    return n


def unix_seconds(value: float) -> datetime:
    """Unix seconds (any finite number) → aware UTC datetime within the sane years."""
    n = float(_number(value))
    if not _MIN_TS <= n < _MAX_TS:
        raise ImplausibleValue(f"a time outside {MIN_YEAR}..{MAX_YEAR}")
    return datetime.fromtimestamp(n, UTC)


def unix_nanoseconds(value: Any) -> datetime:
    """GetStream's wire format: integer Unix nanoseconds (floats tolerated) → aware UTC."""
    n = _number(value)
    if isinstance(n, int):
        seconds, ns = divmod(n, 1_000_000_000)
        if not _MIN_TS <= seconds < _MAX_TS:
            raise ImplausibleValue(f"a time outside {MIN_YEAR}..{MAX_YEAR}")
        return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=ns // 1000)
    return unix_seconds(n / 1e9)


def sane_datetime(value: datetime) -> datetime:
    """An already parsed datetime (RFC3339 text) checked against the sane years, made UTC."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not MIN_YEAR <= aware.year < MAX_YEAR:
        raise ImplausibleValue(f"a time outside {MIN_YEAR}..{MAX_YEAR}")
    return aware


def rate_limit_reset(header: str | None, now: float) -> float | None:
    """``X-RateLimit-Reset`` (absolute Unix seconds) → Unix seconds, or None when absent or not a
    finite number within a day of ``now`` (milliseconds, 1e20, inf and nan all land here)."""
    seconds = _header_number(header)
    if seconds is None or abs(seconds - now) > MAX_RESET_AHEAD_S:
        return None
    return seconds


def retry_after(header: str | None, now: float) -> float | None:
    """``Retry-After`` in delta seconds → absolute Unix seconds, or None when implausible."""
    delta = _header_number(header)
    if delta is None or not 0 <= delta <= MAX_RESET_AHEAD_S:
        return None
    return now + delta


def _header_number(header: str | None) -> float | None:
    if header is None:
        return None
    try:
        value = float(header.strip()[:32])
    except ValueError:
        return None
    return value if math.isfinite(value) else None


# -- text -------------------------------------------------------------------------------------------
# ESC-introduced sequences (CSI "ESC [ … final", OSC "ESC ] … BEL|ESC \\", and two-byte escapes),
# the 8-bit CSI/OSC forms, then any remaining C0/C1 control character except newline and tab.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"          # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (title, hyperlinks, clipboard)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"   # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"                # other escapes, or a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]"           # 8-bit CSI
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"     # 8-bit OSC
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` without terminal control: escape sequences removed, other control characters
    (everything in C0/C1 but newline and tab, carriage return included) dropped."""
    if not text:
        return text
    return _CONTROLS.sub("", _ESCAPES.sub("", text))
