"""Response bodies in GetStream's exact shapes, built from the packaged schema-complete skeletons.

``data/getstream-examples.json`` holds one skeleton per response type with every field the
current spec requires (and the nulls the real service sends); the simulator deep-copies a
skeleton and fills in its own values, so a payload can't silently miss a required field.
Date-times are integer Unix nanoseconds, as on the wire.
"""

from __future__ import annotations

import copy
import html
import json
from functools import cache
from importlib import resources
from typing import Any

MORE_INFO = "https://getstream.io/chat/docs/api_errors_response"


@cache
def _skeletons() -> dict[str, Any]:
    text = resources.files("streamdesk.sim").joinpath("data", "getstream-examples.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _part_json(name: str, path: tuple[str, ...]) -> str:
    node = _skeletons()[name]
    for key in path:
        node = node[key]
    return json.dumps(node)


def skeleton(name: str, *path: str) -> dict[str, Any]:
    """A fresh copy of one skeleton (``GetCallResponse``, ``MessageResponse``, …) or of a part of
    it (``skeleton("GetCallResponse", "call", "created_by")``). Parsing the cached JSON text is
    several times faster than ``copy.deepcopy``, and chat pages build hundreds of these."""
    part: dict[str, Any] = json.loads(_part_json(name, path))  # every skeleton part is an object
    return part


def call_settings() -> dict[str, Any]:
    """The default ``CallSettingsResponse`` (a livestream call type's, backstage enabled)."""
    settings = skeleton("GetCallResponse", "call", "settings")
    settings["backstage"] = {"enabled": True, "join_ahead_time_seconds": 0}
    return settings


def user(user_id: str, *, name: str | None = None, role: str = "user", custom: dict[str, Any] | None = None,
         created_ns: int, updated_ns: int | None = None) -> dict[str, Any]:
    """A ``UserResponse``."""
    body = skeleton("GetCallResponse", "call", "created_by")
    body.update(id=user_id, role=role, custom=dict(custom or {}), created_at=created_ns,
                updated_at=updated_ns or created_ns)
    if name is not None:
        body["name"] = name
    return body


def full_user(base: dict[str, Any]) -> dict[str, Any]:
    """A ``FullUserResponse`` (what UpdateUsers returns) from a ``UserResponse``."""
    return {**base, "devices": [], "mutes": [], "channel_mutes": [], "unread_count": 0,
            "total_unread_count": 0, "unread_channels": 0, "unread_threads": 0}


def member(user_body: dict[str, Any], role: str | None, created_ns: int) -> dict[str, Any]:
    """A ``MemberResponse``."""
    body: dict[str, Any] = {"user": user_body, "user_id": user_body["id"], "custom": {},
                            "created_at": created_ns, "updated_at": created_ns}
    if role:
        body["role"] = role
    return body


def participant(user_body: dict[str, Any], role: str, session_id: str, joined_ns: int) -> dict[str, Any]:
    """A ``CallParticipantResponse``."""
    return {"user": user_body, "user_session_id": session_id, "role": role, "joined_at": joined_ns}


def message(msg_id: str, text: str, user_body: dict[str, Any], cid: str, created_ns: int,
            kind: str = "regular") -> dict[str, Any]:
    """A ``MessageResponse``: ``kind`` regular, system, or deleted (text gone, ``deleted_at`` set,
    as GetStream returns a soft-deleted message among the others)."""
    body = skeleton("MessageResponse")
    body.update(id=msg_id, text=text, html=f"<p>{html.escape(text)}</p>\n", user=user_body, cid=cid,
                created_at=created_ns, updated_at=created_ns, type=kind)
    if kind == "deleted":
        body.update(text="", html="", deleted_at=created_ns)
    return body


def channel(channel_type: str, channel_id: str, creator: dict[str, Any], created_ns: int,
            message_count: int) -> dict[str, Any]:
    """A ``ChannelResponse``."""
    body = skeleton("ChannelStateResponse", "channel")
    body.update(id=channel_id, type=channel_type, cid=f"{channel_type}:{channel_id}", created_at=created_ns,
                updated_at=created_ns, created_by=creator, message_count=message_count)
    return body


def api_error(status: int, code: int, message: str, *, exception_fields: dict[str, str] | None = None,
              unrecoverable: bool | None = None) -> dict[str, Any]:
    """GetStream's error envelope (``APIError``)."""
    body: dict[str, Any] = {"StatusCode": status, "code": code, "details": [], "duration": "0",
                            "message": message, "more_info": MORE_INFO}
    if exception_fields:
        body["exception_fields"] = exception_fields
    if unrecoverable is not None:
        body["unrecoverable"] = unrecoverable
    return body


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated with ``patch`` recursively (settings overrides only touch what they name)."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
