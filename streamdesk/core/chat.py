"""The show's chat as streamdesk reads and moderates it: typed messages and bans, checked input.

``GetStreamClient``'s chat methods (``chat_page``, ``delete_message``, ``pin_message``, ``ban_user``…)
parse GetStream's replies with the functions here, so a wrong shape is one clear ``ProtocolError``.
The moderation operations a CLI command or the GUI runs for the saved show live in
``core/moderation.py``. No Qt, no HTTP here.

Remote text is untrusted: ``plain`` removes control and bidi-override characters before anything
reaches a terminal or a label (the GUI additionally renders it with ``Qt.PlainText``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streamdesk.core import remote_values
from streamdesk.core.errors import InvalidInput
from streamdesk.core.getstream import ProtocolError, parse_timestamp

#: the longest message streamdesk sends (GetStream's default limit is 5000 characters)
MAX_TEXT = 5000
MAX_REASON = 500
#: a time-out longer than 30 days is a ban; GetStream takes minutes
MAX_TIMEOUT_MINUTES = 30 * 24 * 60
_ID_RE = re.compile(r"^[A-Za-z0-9@_.:\-]{1,255}$")
_USER_RE = re.compile(r"^[A-Za-z0-9@_.\-]{1,255}$")  # GetStream's user-id alphabet


def plain(text: str, limit: int = MAX_TEXT) -> str:
    """Remote text made safe to print or show on one line: terminal escape sequences and control
    characters removed (``remote_values.terminal_safe``), then bidi overrides and other format
    characters, newlines and tabs turned into spaces, length capped."""
    out = []
    for ch in remote_values.terminal_safe(text[: limit * 2]):
        if ch in "\n\r\t":
            out.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        out.append(ch)
    return "".join(out)[:limit]


@dataclass(frozen=True)
class ChatEntry:
    """One chat message as the feed shows it. ``type`` is GetStream's: regular, deleted, system…"""

    id: str
    text: str
    user_id: str
    user_name: str
    type: str
    created_at: datetime | None
    pinned: bool = False

    @property
    def deleted(self) -> bool:
        return self.type == "deleted"

    @property
    def author(self) -> str:
        return self.user_name or self.user_id

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "user_id": self.user_id, "user_name": self.user_name, "type": self.type,
                "text": self.text, "pinned": self.pinned,
                "created_at": self.created_at.isoformat() if self.created_at else None}


@dataclass(frozen=True)
class Ban:
    user_id: str
    channel_cid: str | None
    reason: str
    created_at: datetime | None
    expires: datetime | None  # None: until unbanned

    def to_json(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "channel_cid": self.channel_cid, "reason": self.reason,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "expires": self.expires.isoformat() if self.expires else None}


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _dict(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def parse_entry(data: Any) -> ChatEntry:
    """A ``MessageResponse`` → :class:`ChatEntry` (author and text cleaned, unknown fields ignored)."""
    if not isinstance(data, dict):
        raise ProtocolError("GetStream's reply has an unreadable chat message.")
    msg_id = data.get("id")
    if not isinstance(msg_id, str) or not msg_id:
        raise ProtocolError("GetStream's reply has a chat message without an id.")
    user = _dict(data, "user")
    user_id = _text(user, "id") or _text(data, "user_id")
    kind = _text(data, "type") or "regular"
    if data.get("deleted_at") is not None:
        kind = "deleted"
    return ChatEntry(
        id=msg_id,
        text=plain(_text(data, "text")),
        user_id=plain(user_id, 255),
        user_name=plain(_text(user, "name"), 100),
        type=plain(kind, 20),
        created_at=parse_timestamp(data.get("created_at"), "message.created_at"),
        pinned=data.get("pinned") is True,
    )


def parse_ban(data: Any) -> Ban:
    if not isinstance(data, dict):
        raise ProtocolError("GetStream's reply has an unreadable ban.")
    user_id = _text(_dict(data, "user"), "id")
    if not user_id:
        raise ProtocolError("GetStream's reply has a ban without a user.")
    cid = _text(_dict(data, "channel"), "cid") or None
    return Ban(plain(user_id, 255), cid, plain(_text(data, "reason"), MAX_REASON),
               parse_timestamp(data.get("created_at"), "ban.created_at"),
               parse_timestamp(data.get("expires"), "ban.expires"))


# -- input checks (before any request) ---------------------------------------------------------------
def validate_message_id(value: str) -> str:
    value = (value or "").strip()
    if not _ID_RE.match(value):
        raise InvalidInput(f"{value[:40]!r} is not a chat message id.",
                           hint="Copy the id from `streamdesk chat --json` or the chat feed.")
    return value


def validate_user_id(value: str) -> str:
    value = (value or "").strip()
    if not _USER_RE.match(value):
        raise InvalidInput(f"{value[:40]!r} is not a GetStream user id.",
                           hint="User ids use letters, digits, @, _, . and -.")
    return value


def validate_minutes(value: float | int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value != int(value) or not 1 <= value <= MAX_TIMEOUT_MINUTES:
        raise InvalidInput(f"A time-out must be a whole number of minutes from 1 to {MAX_TIMEOUT_MINUTES}.")
    return int(value)


def validate_reason(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = plain(value, MAX_REASON + 1).strip()
    if len(cleaned) > MAX_REASON:
        raise InvalidInput(f"The reason is longer than {MAX_REASON} characters.")
    return cleaned or None


def validate_text(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput("The message is empty.")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"The message is longer than {MAX_TEXT} characters.")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise InvalidInput("The message contains control characters.")
    return text
