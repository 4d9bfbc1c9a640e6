"""How often the live numbers are polled: one definition for ``streamdesk watch``, the window's
timer, the recorder's backoff and the Settings dialog.

Dependency-free on purpose: the window reads it before its first paint.
"""

from __future__ import annotations

#: the store key of the streamer's setting (seconds)
POLL_INTERVAL_SETTING = "poll_interval_s"
#: one GetCall plus one QueryMessages per poll: every 5 s keeps a long show far from rate limits
DEFAULT_POLL_INTERVAL_S = 5.0
#: the floor for any stored or passed value (a zero or negative value would spin); tests poll fast
MIN_POLL_INTERVAL_S = 0.05
#: the range the Settings dialog offers a streamer
USER_POLL_RANGE_S = (2, 60)


def poll_interval(value: object) -> float:
    """A stored setting as seconds: the default when unset or not a number, else at least the floor."""
    if value is None or isinstance(value, bool):
        return DEFAULT_POLL_INTERVAL_S
    try:
        seconds = float(value)  # type: ignore[arg-type]  # any stored JSON value; bad ones fall back
    except (TypeError, ValueError):
        return DEFAULT_POLL_INTERVAL_S
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return DEFAULT_POLL_INTERVAL_S
    return max(MIN_POLL_INTERVAL_S, seconds)
