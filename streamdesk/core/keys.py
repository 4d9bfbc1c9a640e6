"""Rules about the stream key (and other JWTs) that more than one place applies: each defined once.

Dependency-free: the window's start-up path and the redaction filter both use it.
"""

from __future__ import annotations

import time


def key_expired(expires_at: float | None, now: float | None = None) -> bool:
    """A key with a known expiry (Unix seconds) at or past ``now``; a key without one never expires."""
    return expires_at is not None and expires_at <= (time.time() if now is None else now)
