"""Rules about the stream key and other tokens that more than one place applies, each defined once:
when a key has expired, what a JWT looks like, how a key is masked on screen.

Dependency-free: the window's start-up path and the redaction filter both use it.
"""

from __future__ import annotations

import re
import time


def key_expired(expires_at: float | None, now: float | None = None) -> bool:
    """A key with a known expiry (Unix seconds) at or past ``now``; a key without one never expires."""
    return expires_at is not None and expires_at <= (time.time() if now is None else now)


#: A JWT (the stream key, a user or server token): a base64url JSON header (``eyJ`` is ``{"``), a
#: dot, the payload, and the signature after a second dot (absent when truncated). One shape for
#: refusing a token pasted into the wrong field, for redacting logs and remote text, and for
#: keeping tokens out of the database.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?")


def mask_key(key: str | None) -> str:
    """Enough of a key to tell two apart on screen (its last 4 characters), never enough to use it."""
    if not key:
        return "(none)"
    return "•" * 8 + (key[-4:] if len(key) > 8 else "")
