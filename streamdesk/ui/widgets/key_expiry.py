"""How the stream key's expiry reads next to the key: when it stops working, and a warning when
that comes before the show's planned end (OBS keeps the key it has and retries a refused
reconnect forever, so a key that runs out mid-show silently ends it)."""

from __future__ import annotations

from datetime import datetime

from streamdesk.core.keys import key_expired

Timestamp = float | datetime | None


def to_unix(ts: Timestamp) -> float | None:
    if ts is None:
        return None
    return ts.timestamp() if isinstance(ts, datetime) else float(ts)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%a %d %b %H:%M")


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def expires_too_soon(expires: float | None, planned_end: float | None, now: float) -> bool:
    """The key has expired, or runs out before the planned end of the show."""
    if expires is None:
        return False
    return key_expired(expires, now) or (planned_end is not None and expires < planned_end)


def expiry_text(expires: float, planned_end: float | None, now: float) -> str:
    """The line under the key: expired, expiring before the planned end, or when it expires."""
    if key_expired(expires, now):
        return f"⚠ Expired {_when(expires)} ({_span(now - expires)} ago): rotate the key before going live."
    if planned_end is not None and expires < planned_end:
        return (f"⚠ Expires {_when(expires)}, before your show's planned end at {_when(planned_end)}: "
                "rotate the key first so OBS is not cut off mid-show.")
    return f"Expires {_when(expires)} (in {_span(expires - now)})"
