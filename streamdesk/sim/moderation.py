"""Simulated chat moderation: delete, pin/unpin, ban/time-out/unban, and what they do to the chat.

State lives in ``ChatModeration`` (one per ``SimulatedApp``, behind the server's lock); the
operations below are what the server's routes call. Effects are visible the way GetStream shows
them: a deleted message comes back with ``type: "deleted"``, a pinned one with ``pinned: true``
and in GetPinnedMessages, and a banned or timed-out user cannot post until the ban is lifted or
its timeout (in minutes, on the simulated clock) runs out. The seeded audience is a pure function
of (seed, live time); a banned viewer's lines are *refused* rather than never generated, so the
rest of the audience keeps chatting exactly as it would have, and the story stays reproducible.

Undocumented choices (kept simple, never asserted elsewhere): a ban without ``channel_cid`` is
app-wide; ``timeout`` 0 or absent means no expiry; unbanning someone who is not banned is a no-op;
posting while banned is refused with 403 code 17 (GetStream's "not allowed" code).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from streamdesk.sim import decode, payloads
from streamdesk.sim.clock import to_ns
from streamdesk.sim.decode import ApiError, input_error

if TYPE_CHECKING:
    from streamdesk.sim.getstream_api import SimulatedApp

Body = dict[str, Any]
Result = tuple[int, Body]

_MAX_PINNED_LIMIT, _DEFAULT_PINNED_LIMIT = 300, 20
_MAX_BANS_LIMIT, _DEFAULT_BANS_LIMIT = 300, 25


@dataclass
class BanRecord:
    user_id: str
    channel_cid: str | None  # None: app-wide
    banned_by: str | None
    reason: str | None
    created: float
    expires: float | None  # a timeout's end; None: until unbanned
    lifted: float | None = None  # when unban lifted it

    def active_at(self, t: float) -> bool:
        end = min(x for x in (self.expires, self.lifted, float("inf")) if x is not None)
        return self.created <= t < end

    def covers(self, cid: str) -> bool:
        return self.channel_cid is None or self.channel_cid == cid


@dataclass
class ChatModeration:
    bans: list[BanRecord] = field(default_factory=list)  # history, so past lines stay judged the same
    deleted: dict[str, tuple[float, bool]] = field(default_factory=dict)  # message id → (at, hard)
    pinned: dict[str, tuple[float, str | None]] = field(default_factory=dict)  # id → (at, by)

    def banned(self, user_id: str, cid: str, t: float) -> BanRecord | None:
        for ban in reversed(self.bans):
            if ban.user_id == user_id and ban.covers(cid) and ban.active_at(t):
                return ban
        return None

    def refused(self, user_id: str, cid: str, t: float) -> bool:
        """Whether a line by ``user_id`` at time ``t`` was refused by a ban (so never shown)."""
        return self.banned(user_id, cid, t) is not None

    def hidden(self, msg_id: str) -> bool:
        """Hard-deleted messages are gone altogether."""
        gone = self.deleted.get(msg_id)
        return gone is not None and gone[1]

    def decorate(self, body: Body) -> Body:
        """A ``MessageResponse`` with this message's moderation state applied."""
        msg_id = body["id"]
        gone = self.deleted.get(msg_id)
        if gone is not None:
            body.update(type="deleted", deleted_at=to_ns(gone[0]), text="", html="")
        pin = self.pinned.get(msg_id)
        if pin is not None and gone is None:
            body.update(pinned=True, pinned_at=to_ns(pin[0]))
            if pin[1] is not None:
                body["pinned_by"] = payloads.user(pin[1], created_ns=to_ns(pin[0]))
        return body

    def check_can_post(self, user_id: str, cid: str, now: float) -> None:
        ban = self.banned(user_id, cid, now)
        if ban is None:
            return
        until = "" if ban.expires is None else f" until its timeout ends in {max(ban.expires - now, 0):.0f}s"
        raise ApiError(403, 17, f"user {user_id} is banned from this channel{until}")


# -- operations (called by the server's routes, under its lock) ---------------------------------------
def _find(app: SimulatedApp, msg_id: str) -> tuple[Any, Any]:
    """(channel, chat item) for a message id, or 404 like GetStream."""
    for channel in app.channels.values():
        for item in app._messages(channel):
            if item.id == msg_id:
                return channel, item
    raise ApiError(404, 16, f"message with id {msg_id} not found")


def _body(app: SimulatedApp, channel: Any, item: Any) -> Body:
    return app._message_body(item, channel.cid)


def delete_message(app: SimulatedApp, msg_id: str, query: dict[str, str]) -> Result:
    hard = query.get("hard", "false").lower() == "true"
    channel, item = _find(app, msg_id)
    body = _body(app, channel, item)
    app.moderation.deleted.setdefault(msg_id, (app.clock.now(), hard))
    app.moderation.pinned.pop(msg_id, None)
    return 200, {"message": app.moderation.decorate(body) if not hard else {**body, "type": "deleted"}}


def update_message_partial(app: SimulatedApp, msg_id: str, body: Body) -> Result:
    channel, item = _find(app, msg_id)
    changes = decode.obj(body.get("set"), "set")
    unset = body.get("unset") or []
    if not isinstance(unset, list) or not all(isinstance(u, str) for u in unset):
        raise input_error("unset must be a list of field names", "unset")
    if not changes and not unset:
        raise input_error("set or unset is required", "set")
    by = body.get("user_id") if isinstance(body.get("user_id"), str) else None
    if "pinned" in changes:
        if not isinstance(changes["pinned"], bool):
            raise input_error("set.pinned must be a boolean", "pinned")
        if msg_id in app.moderation.deleted:
            raise input_error("a deleted message cannot be pinned", "pinned")
        if changes["pinned"]:
            app.moderation.pinned.setdefault(msg_id, (app.clock.now(), by))
        else:
            app.moderation.pinned.pop(msg_id, None)
    if "pinned" in unset:
        app.moderation.pinned.pop(msg_id, None)
    return 201, {"message": _body(app, channel, item)}


def get_pinned_messages(app: SimulatedApp, channel_type: str, channel_id: str,
                        query: dict[str, str]) -> Result:
    channel = app._channel(channel_type, channel_id)
    limit = decode.int_param(query.get("limit"), "limit", default=_DEFAULT_PINNED_LIMIT,
                             maximum=_MAX_PINNED_LIMIT)
    items = [m for m in app._messages(channel) if m.id in app.moderation.pinned]
    items.sort(key=lambda m: app.moderation.pinned[m.id][0], reverse=True)  # newest pin first
    return 200, {"messages": [_body(app, channel, m) for m in items[:limit]]}


def ban(app: SimulatedApp, body: Body) -> Result:
    target = body.get("target_user_id")
    if not isinstance(target, str) or not target:
        raise input_error("target_user_id is a required field", "target_user_id")
    cid = body.get("channel_cid")
    if cid is not None and (not isinstance(cid, str) or cid not in app.channels):
        raise ApiError(404, 16, f"channel {cid} not found")
    timeout = body.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0):
        raise input_error("timeout must be a non-negative whole number of minutes", "timeout")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise input_error("reason must be a string", "reason")
    by = body.get("banned_by_id")
    if by is not None and not isinstance(by, str):
        raise input_error("banned_by_id must be a string", "banned_by_id")
    now = app.clock.now()
    mod = app.moderation
    for old in mod.bans:  # a new ban replaces the one in force (a timeout can become a ban)
        if old.user_id == target and old.channel_cid == cid and old.active_at(now):
            old.lifted = now
    mod.bans.append(BanRecord(target, cid, by, reason or None, now, now + timeout * 60 if timeout else None))
    return 201, {}


def unban(app: SimulatedApp, query: dict[str, str], body: Body) -> Result:
    target = query.get("target_user_id")
    if not target:
        raise input_error("target_user_id is a required field", "target_user_id")
    cid = query.get("channel_cid") or None
    now = app.clock.now()
    for old in app.moderation.bans:
        if old.user_id == target and old.channel_cid == cid and old.active_at(now):
            old.lifted = now
    return 201, {}


def query_banned_users(app: SimulatedApp, query: dict[str, str]) -> Result:
    raw = query.get("payload")
    if not raw:
        raise input_error("payload is a required field", "payload")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise input_error("payload must be JSON", "payload") from None
    if not isinstance(payload, dict):
        raise input_error("payload must be a JSON object", "payload")
    conditions = decode.obj(payload.get("filter_conditions"), "filter_conditions")
    users = decode.user_filter(conditions)
    cid_cond = conditions.get("channel_cid")
    if isinstance(cid_cond, dict):
        cid_cond = cid_cond.get("$eq")
    if cid_cond is not None and not isinstance(cid_cond, str):
        raise input_error("filter_conditions.channel_cid supports $eq", "filter_conditions")
    limit = payload.get("limit", _DEFAULT_BANS_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= _MAX_BANS_LIMIT:
        raise input_error(f"limit must be between 0 and {_MAX_BANS_LIMIT}", "limit")
    exclude_expired = payload.get("exclude_expired_bans") is True
    now = app.clock.now()
    out = []
    for b in reversed(app.moderation.bans):
        if b.lifted is not None and b.lifted <= now:
            continue  # unbanned: gone from the list
        if exclude_expired and not b.active_at(now):
            continue
        if users is not None and b.user_id not in users:
            continue
        if cid_cond is not None and b.channel_cid != cid_cond:
            continue
        channel = app.channels.get(b.channel_cid or "")
        out.append({
            "user": app._user_body(b.user_id, b.created),
            "banned_by": app._user_body(b.banned_by, b.created) if b.banned_by else None,
            "channel": None if channel is None else payloads.channel(
                channel.type, channel.id, app._user_body(channel.created_by_id), to_ns(channel.created), 0),
            "created_at": to_ns(b.created),
            "expires": None if b.expires is None else to_ns(b.expires),
            "reason": b.reason,
            "shadow": False,
        })
    return 200, {"bans": out[:limit]}
