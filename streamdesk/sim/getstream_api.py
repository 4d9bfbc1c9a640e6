"""The simulated GetStream application: users, call types, calls, chat channels, and what they do.

No HTTP here: ``getstream_server`` authenticates a request, picks the operation and calls one of
``SimulatedApp``'s methods with the path parameters, query and body (fields read with ``decode``).
Each method returns ``(status, body)`` or raises ``ApiError``; bodies are built in ``payloads``
from GetStream's own skeletons, so shapes stay exact while the values follow the state machine
of docs/getstream.md ("Calls"):

    GetOrCreateCall → backstage (per settings) · GoLive → live, audience arrives ·
    StopLive → backstage, viewers leave · EndCall (mark_ended) → ended, everyone leaves

The RTMP publisher (OBS) is a participant (docs/getstream.md "Ingest"): ``rtmp_publish`` joins the
key's user to the call whose ingress address OBS streams to, when the key is valid and the user's
call role may join (``join-backstage`` while in backstage); ``rtmp_unpublish`` makes it leave. A
session starts at the first join and ends when the last participant leaves. Counts per role are
keyed by the user's app-level role (the publisher, upserted without a role, counts under ``user``).

Decisions where GetStream's behaviour is not documented (kept simple, never asserted elsewhere):
GetOrCreateCall on an existing call ignores ``data``; GoLive/StopLive/EndCall repeat harmlessly;
GoLive on an ended call is refused (provision a new call); users named as creator or member are
created on the fly; an unknown ``id_gt`` cursor pages as if there were none.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from streamdesk.sim import decode, payloads
from streamdesk.sim.audience import AudienceConfig, LiveAudience
from streamdesk.sim.clock import SimClock, to_ns
from streamdesk.sim.decode import ApiError, input_error
from streamdesk.sim.moderation import ChatModeration

Body = dict[str, Any]
Result = tuple[int, Body]

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # the spec caps call and channel ids at 64
_CHAT_TYPES = ("livestream", "messaging", "team", "gaming", "commerce")
_DEFAULT_RTMP = "rtmps://ingress.stream-io-video.com:443/{api_key}.{call_type}.{call_id}"
_DEFAULT_MESSAGES_LIMIT, _MAX_MESSAGES_LIMIT = 25, 300
_MAX_PARTICIPANTS_LIMIT = 100


@dataclass
class User:
    id: str
    created: float
    updated: float
    name: str | None = None
    role: str = "user"
    custom: dict[str, Any] = field(default_factory=dict)


@dataclass
class CallType:
    name: str
    settings: Body
    grants: dict[str, list[str]]
    created: float
    updated: float


@dataclass
class LiveStretch:
    """One go_live → stop_live stretch and its audience."""

    start: float
    audience: LiveAudience
    end: float | None = None

    def live_time(self, now: float) -> float:
        return (self.end if self.end is not None else now) - self.start


@dataclass
class Session:
    id: str
    started_at: float | None = None
    ended_at: float | None = None
    live_started_at: float | None = None
    live_ended_at: float | None = None
    host_id: str | None = None  # the RTMP publisher while OBS streams to this call (None otherwise)
    host_session_id: str = ""
    host_joined_at: float | None = None


@dataclass
class Call:
    type: str
    id: str
    created_by_id: str
    created: float
    updated: float
    settings: Body
    session: Session
    backstage: bool
    starts_at: float | None = None
    ended_at: float | None = None
    custom: Body = field(default_factory=dict)
    members: dict[str, str | None] = field(default_factory=dict)  # user id → call role
    stretches: list[LiveStretch] = field(default_factory=list)
    recording: bool = False
    transcribing: bool = False
    captioning: bool = False
    hls: bool = False
    live_due: float | None = None  # GoLive accepted, the call leaves backstage at this time (go_live_lag)

    @property
    def cid(self) -> str:
        return f"{self.type}:{self.id}"

    @property
    def live(self) -> LiveStretch | None:
        return self.stretches[-1] if self.stretches and self.stretches[-1].end is None else None


@dataclass
class SentMessage:
    id: str
    text: str
    user_id: str
    at: float


@dataclass
class Channel:
    type: str
    id: str
    created_by_id: str
    created: float
    sent: list[SentMessage] = field(default_factory=list)

    @property
    def cid(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True)
class Truth:
    """What the simulated audience of one call did, straight from the simulator's state."""

    viewers: int  # present now, host excluded (registered + anonymous)
    registered: int
    anonymous: int
    peak_viewers: int
    messages_generated: int
    messages: list[Body]  # {"id", "text", "user_id", "created_at"} oldest first


class _ChatItem(NamedTuple):  # a tuple: thousands are built per chat query on a long show
    id: str
    text: str
    user_id: str
    at: float
    kind: str = "regular"  # or "system", "deleted": GetChannel returns them among the regular ones


#: every DELETED_EVERY-th audience message was deleted by a moderator (soft: it stays, typed "deleted")
DELETED_EVERY = 10


class SimulatedApp:
    def __init__(self, api_key: str, *, seed: int, clock: SimClock, audience: AudienceConfig,
                 rtmp_address: str | None = None) -> None:
        self.api_key = api_key
        self.seed = seed
        self.clock = clock
        self.audience = audience
        self.rtmp_address = check_rtmp_template(rtmp_address or _DEFAULT_RTMP)
        #: simulated seconds between GoLive and the call leaving backstage; ``math.inf`` = never (a
        #: "going live is stuck" show, as when no stream reaches the ingress)
        self.go_live_lag = 0.0
        self._ids = random.Random(f"{seed}:ids")
        now = clock.now()
        self.users: dict[str, User] = {}
        self.call_types: dict[str, CallType] = {
            name: CallType(name, payloads.call_settings(), _default_grants(), now, now)
            for name in ("livestream", "default", "audio_room", "development")
        }
        for name in ("default", "development"):
            self.call_types[name].settings["backstage"] = {"enabled": False, "join_ahead_time_seconds": 0}
        self.calls: dict[str, Call] = {}
        self.channels: dict[str, Channel] = {}
        self.moderation = ChatModeration()  # deleted/pinned messages and bans (sim/moderation.py)
        self.publisher: tuple[str, str] | None = None  # (call cid, user id) OBS publishes as

    # -- helpers -------------------------------------------------------------------------------------
    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def _user(self, user_id: str, now: float) -> User:
        if user_id not in self.users:
            self.users[user_id] = User(user_id, now, now)
        return self.users[user_id]

    def _user_body(self, user_id: str, at: float | None = None) -> Body:
        u = self.users.get(user_id)
        if u is None:  # a simulated viewer: never upserted, exists from the moment it is seen
            return payloads.user(user_id, created_ns=to_ns(at or self.clock.now()))
        return payloads.user(u.id, name=u.name, role=u.role, custom=u.custom, created_ns=to_ns(u.created),
                             updated_ns=to_ns(u.updated))

    def _call_type(self, name: str) -> CallType:
        if len(name) > 64:
            raise input_error("type must be at most 64 characters", "type")
        if name not in self.call_types:
            raise ApiError(404, 16, f"{name}: call type does not exist")
        return self.call_types[name]

    def _call(self, call_type: str, call_id: str) -> Call:
        self._call_type(call_type)
        if len(call_id) > 64:  # the spec's maxLength on the call id: refused before any lookup
            raise input_error("id must be at most 64 characters", "id")
        call = self.calls.get(f"{call_type}:{call_id}")
        if call is None:
            raise ApiError(404, 16, f"Can't find call with id {call_type}:{call_id}")
        self._settle(call)
        return call

    def _settle(self, call: Call) -> None:
        """Let a GoLive that was accepted earlier take effect once its time has come."""
        if call.live_due is not None and self.clock.now() >= call.live_due:
            self._start_live(call, call.live_due)

    def _channel(self, channel_type: str, channel_id: str) -> Channel:
        channel = self.channels.get(f"{channel_type}:{channel_id}")
        if channel is None:
            raise ApiError(404, 16, f"Can't find channel with id {channel_type}:{channel_id}")
        return channel

    # -- audience ------------------------------------------------------------------------------------
    def _present(self, call: Call, now: float) -> tuple[list[tuple[str, str, float]], int]:
        """(registered viewers as (user id, session id, joined at), anonymous count) right now."""
        stretch = call.live
        if stretch is None:
            return [], 0
        t = stretch.live_time(now)
        present = stretch.audience.present(t)
        registered = [(v.user_id, v.session_id, stretch.start + v.arrive) for v in present if v.user_id]
        return registered, sum(1 for v in present if v.user_id is None)

    def truth(self, call_cid: str) -> Truth:
        call = self.calls.get(call_cid)
        if call is None:
            raise KeyError(call_cid)
        self._settle(call)
        now = self.clock.now()
        registered, anonymous = self._present(call, now)
        peak = max((s.audience.peak(s.live_time(now)) for s in call.stretches), default=0)
        lines = [m for m in self._audience_chat(call_cid, now) if m.kind == "regular"]
        messages = [{"id": m.id, "text": m.text, "user_id": m.user_id, "created_at": to_ns(m.at)}
                    for m in lines]
        return Truth(len(registered) + anonymous, len(registered), anonymous, peak, len(lines), messages)

    def _audience_chat(self, cid: str, now: float) -> list[_ChatItem]:
        call = self.calls.get(cid)
        if call is None:
            return []
        items = []
        for n, s in enumerate(call.stretches):
            items.append(_ChatItem(f"system-{call.id}-{n}", "The livestream started", call.created_by_id,
                                   s.start, "system"))
            items += [_ChatItem(m.id, m.text, m.user_id, s.start + m.at,
                                "deleted" if i % DELETED_EVERY == DELETED_EVERY - 1 else "regular")
                      for i, m in enumerate(s.audience.messages(s.live_time(now)))]
        return items

    # -- call payloads -------------------------------------------------------------------------------
    def _rtmp(self, call: Call) -> str:
        return self.rtmp_address.format(api_key=self.api_key, call_type=call.type, call_id=call.id)

    def _session_body(self, call: Call, now: float) -> Body:
        s = call.session
        body = payloads.skeleton("CallSessionResponse")
        participants: list[Body] = []
        by_role: dict[str, int] = {}
        if s.host_id and s.ended_at is None:
            publisher = self._user_body(s.host_id)
            participants.append(payloads.participant(publisher, call.members.get(s.host_id) or "user",
                                                     s.host_session_id, to_ns(s.host_joined_at or now)))
            by_role[publisher["role"]] = by_role.get(publisher["role"], 0) + 1  # keyed by the app role
        registered, anonymous = self._present(call, now)
        for user_id, session_id, joined in registered:
            participants.append(payloads.participant(self._user_body(user_id, joined), "user", session_id,
                                                     to_ns(joined)))
        if registered:
            by_role["user"] = by_role.get("user", 0) + len(registered)
        body.update(id=s.id, participants=participants, participants_count_by_role=by_role,
                    anonymous_participant_count=anonymous, started_at=_ns(s.started_at),
                    ended_at=_ns(s.ended_at), live_started_at=_ns(s.live_started_at),
                    live_ended_at=_ns(s.live_ended_at), timer_ends_at=None)
        return body

    def _call_body(self, call: Call) -> Body:
        now = self.clock.now()
        body = payloads.skeleton("GetCallResponse", "call")
        body.update(
            type=call.type, id=call.id, cid=call.cid, current_session_id=call.session.id,
            created_by=self._user_body(call.created_by_id), custom=call.custom,
            created_at=to_ns(call.created), updated_at=to_ns(call.updated), recording=call.recording,
            transcribing=call.transcribing, captioning=call.captioning, backstage=call.backstage,
            settings=call.settings, starts_at=_ns(call.starts_at), ended_at=_ns(call.ended_at),
            join_ahead_time_seconds=call.settings["backstage"].get("join_ahead_time_seconds") or 0,
            session=self._session_body(call, now),
        )
        body["ingress"]["rtmp"]["address"] = self._rtmp(call)
        body["ingress"]["whip"]["address"] = f"https://ingress.stream-io-video.com/whip/{call.type}/{call.id}"
        body["ingress"]["srt"]["address"] = (f"srt://ingress.stream-io-video.com:443?streamid="
                                             f"{self.api_key}.{call.type}.{call.id}")
        body["egress"] = {"broadcasting": call.hls, "rtmps": [], "hls": None}
        if call.hls:
            body["egress"]["hls"] = {"playlist_url": f"https://hls.stream-io-video.com/{call.cid}/playlist.m3u8",
                                     "status": "running"}
        return body

    def _members_body(self, call: Call) -> list[Body]:
        return [payloads.member(self._user_body(uid), role, to_ns(call.created))
                for uid, role in call.members.items()]

    def _call_response(self, call: Call) -> Body:
        return {"call": self._call_body(call), "members": self._members_body(call), "own_capabilities": []}

    # -- users and call types ------------------------------------------------------------------------
    def query_users(self, query: dict[str, str]) -> Result:
        """QueryUsers: ``payload`` is JSON in the query; ``filter_conditions.id`` ($eq / $in / a
        plain string) is what is supported."""
        import json

        try:
            payload = json.loads(query.get("payload") or "{}")
        except ValueError:
            raise input_error("payload is not valid JSON", "payload") from None
        conditions = decode.obj(payload.get("filter_conditions") if isinstance(payload, dict) else None,
                                "filter_conditions")
        cond = conditions.get("id")
        if cond is None:
            wanted = set(self.users)
        elif isinstance(cond, str):
            wanted = {cond}
        elif isinstance(cond, dict) and isinstance(cond.get("$eq"), str):
            wanted = {cond["$eq"]}
        elif isinstance(cond, dict) and isinstance(cond.get("$in"), list):
            wanted = {v for v in cond["$in"] if isinstance(v, str)}
        else:
            raise input_error("filter_conditions.id supports $eq and $in", "filter_conditions")
        users = [payloads.full_user(self._user_body(uid)) for uid in sorted(wanted) if uid in self.users]
        return 200, {"users": users}

    def update_users_partial(self, body: Body) -> Result:
        """UpdateUsersPartial: ``set`` fields change, ``unset`` ones go, the rest stays."""
        users = body.get("users")
        if not isinstance(users, list) or not users:
            raise input_error("users is a required field", "users")
        now = self.clock.now()
        out = {}
        for req in users:
            if not isinstance(req, dict) or not isinstance(req.get("id"), str) or not req["id"]:
                raise input_error("users[].id is a required field", "id")
            u = self.users.get(req["id"])
            if u is None:
                raise ApiError(404, 16, f"user {req['id']} does not exist")
            changes = decode.obj(req.get("set"), "set")
            for key, value in changes.items():
                if key == "name":
                    u.name = value if isinstance(value, str) else None
                elif key == "role":
                    if not isinstance(value, str):
                        raise input_error("role must be a string", "role")
                    u.role = value
                elif key != "id":
                    u.custom[key] = value
            for key in req.get("unset") or []:
                if key == "name":
                    u.name = None
                else:
                    u.custom.pop(key, None)
            u.updated = now
            out[u.id] = payloads.full_user(self._user_body(u.id))
        return 200, {"users": out, "membership_deletion_task_id": ""}

    def update_users(self, body: Body) -> Result:
        users = body.get("users")
        if not isinstance(users, dict) or not users:
            raise input_error("users is a required field", "users")
        now = self.clock.now()
        out = {}
        for key, req in users.items():
            if not isinstance(req, dict) or not isinstance(req.get("id"), str) or not req["id"]:
                raise input_error(f"users[{key}].id is a required field", "id")
            old = self.users.get(req["id"])
            # upsert replaces the whole user, keeping only its creation time
            self.users[req["id"]] = User(req["id"], old.created if old else now, now, req.get("name"),
                                         req.get("role") or "user", dict(req.get("custom") or {}))
            out[req["id"]] = payloads.full_user(self._user_body(req["id"]))
        return 201, {"users": out, "membership_deletion_task_id": ""}

    def _call_type_body(self, ct: CallType) -> Body:
        body = payloads.skeleton("UpdateCallTypeResponse")
        body.update(name=ct.name, grants=ct.grants, settings=ct.settings, created_at=to_ns(ct.created),
                    updated_at=to_ns(ct.updated))
        body.pop("duration", None)
        return body

    def get_call_type(self, name: str) -> Result:
        return 200, self._call_type_body(self._call_type(name))

    def update_call_type(self, name: str, body: Body) -> Result:
        ct = self._call_type(name)
        settings = body.get("settings")
        if settings is not None and not isinstance(settings, dict):
            raise input_error("settings must be an object", "settings")
        grants = body.get("grants")
        if grants is not None and (not isinstance(grants, dict)
                                   or not all(isinstance(v, list) for v in grants.values())):
            raise input_error("grants must map roles to lists of capabilities", "grants")
        if settings:
            ct.settings = payloads.deep_merge(ct.settings, settings)
        for role, caps in (grants or {}).items():
            ct.grants[role] = list(caps)  # a role's grants are replaced by what is sent
        ct.updated = self.clock.now()
        return 201, self._call_type_body(ct)

    # -- calls ---------------------------------------------------------------------------------------
    def get_or_create_call(self, call_type: str, call_id: str, body: Body) -> Result:
        ct = self._call_type(call_type)
        if len(call_id) > 64:
            raise input_error("id must be at most 64 characters", "id")
        existing = self.calls.get(f"{call_type}:{call_id}")
        if existing is not None:
            return 201, {**self._call_response(existing), "created": False}
        if not _ID_RE.match(call_id):
            raise input_error("id may only contain letters, digits, '-' and '_' (at most 64)", "id")
        data = decode.obj(body.get("data"), "data")
        creator = decode.creator(data)
        now = self.clock.now()
        if isinstance(data.get("created_by"), dict):
            self.update_users({"users": {creator: data["created_by"]}})
        self._user(creator, now)
        override = decode.obj(data.get("settings_override"), "settings_override")
        settings = payloads.deep_merge(ct.settings, override)
        call = Call(call_type, call_id, creator, now, now, settings, Session(self._uuid()),
                    backstage=bool(settings["backstage"].get("enabled")),
                    starts_at=decode.parse_time(data.get("starts_at"), "starts_at"),
                    custom=decode.obj(data.get("custom"), "custom"))
        for m in data.get("members") or []:
            if not isinstance(m, dict) or not isinstance(m.get("user_id"), str):
                raise input_error("members[].user_id is a required field", "members")
            self._user(m["user_id"], now)
            call.members[m["user_id"]] = m.get("role")
        self.calls[call.cid] = call
        return 201, {**self._call_response(call), "created": True}

    def get_call(self, call_type: str, call_id: str) -> Result:
        return 200, self._call_response(self._call(call_type, call_id))

    def update_call(self, call_type: str, call_id: str, body: Body) -> Result:
        call = self._call(call_type, call_id)
        if "starts_at" in body:
            call.starts_at = decode.parse_time(body["starts_at"], "starts_at")
        if body.get("custom") is not None:
            call.custom = decode.obj(body["custom"], "custom")
        override = decode.obj(body.get("settings_override"), "settings_override")
        if override:
            call.settings = payloads.deep_merge(call.settings, override)
        call.updated = self.clock.now()
        return 200, self._call_response(call)

    def go_live(self, call_type: str, call_id: str, body: Body) -> Result:
        call = self._call(call_type, call_id)
        flags = decode.flags(body, ("start_hls", "start_recording", "start_closed_caption",
                                    "start_transcription", "start_composite_recording",
                                    "start_individual_recording", "start_raw_recording"))
        for name in ("recording_storage_name", "transcription_storage_name"):
            if body.get(name) is not None and not isinstance(body[name], str):
                raise input_error(f"{name} must be a string", name)
        if call.ended_at is not None:
            raise ApiError(400, 4, f"call {call.cid} has ended: create a new call to go live again")
        now = self.clock.now()
        if call.live is None and call.live_due is None:
            if self.go_live_lag > 0:
                call.live_due = now + self.go_live_lag
            else:
                self._start_live(call, now)
        call.hls = call.hls or flags["start_hls"]
        call.recording = call.recording or flags["start_recording"] or flags["start_composite_recording"]
        call.captioning = call.captioning or flags["start_closed_caption"]
        call.transcribing = call.transcribing or flags["start_transcription"]
        call.updated = now
        return 201, {"call": self._call_body(call)}

    def _start_live(self, call: Call, at: float) -> None:
        # GoLive does not wait for ingest: the call leaves backstage whether or not OBS publishes;
        # the audience that now arrives starts the session if the publisher has not
        s = self._session_for_join(call, at)
        s.live_started_at, s.live_ended_at = at, None
        seed_key = f"{self.seed}:{call.cid}:{len(call.stretches)}"
        call.stretches.append(LiveStretch(at, LiveAudience(self.audience, seed_key)))
        call.backstage = False
        call.live_due = None

    def stop_live(self, call_type: str, call_id: str, body: Body) -> Result:
        call = self._call(call_type, call_id)
        flags = decode.flags(body, ("continue_hls", "continue_recording", "continue_closed_caption",
                                    "continue_transcription", "continue_composite_recording",
                                    "continue_individual_recording", "continue_raw_recording",
                                    "continue_rtmp_broadcasts"))
        now = self.clock.now()
        call.live_due = None  # a GoLive still waiting to take effect is called off
        stretch = call.live
        if stretch is not None:
            stretch.end = now  # viewers without join-backstage leave with the stretch
            call.session.live_ended_at = now
            if call.session.host_id is None:  # the last participant left: the session ends
                call.session.ended_at = now
            call.backstage = True
            call.hls = call.hls and flags["continue_hls"]
            call.recording = call.recording and flags["continue_recording"]
            call.captioning = call.captioning and flags["continue_closed_caption"]
            call.transcribing = call.transcribing and flags["continue_transcription"]
            call.updated = now
        return 201, {"call": self._call_body(call)}

    # -- the RTMP publisher (OBS) --------------------------------------------------------------------
    def _session_for_join(self, call: Call, at: float) -> Session:
        """The session a participant joins: a new one once the previous ended."""
        if call.session.ended_at is not None:
            call.session = Session(self._uuid())
        call.session.started_at = call.session.started_at or at
        return call.session

    def rtmp_publish(self, server: str, key: str, user_id: str) -> str | None:
        """OBS connected to ``server`` with a key the server layer verified for ``user_id``: join
        that user to the call whose ingress this is. Returns the call cid, or None when refused
        (no such ingress, call ended, or the user's call role may not join backstage)."""
        server = server.rstrip("/")
        call = next((c for c in self.calls.values() if self._rtmp(c).rstrip("/") == server), None)
        if call is None or call.ended_at is not None:
            return None
        self._settle(call)
        role = call.members.get(user_id) or "user"
        grants = self.call_types[call.type].grants.get(role, [])
        if call.backstage and "join-backstage" not in grants:
            return None  # GetStream refuses a stream into backstage from a user who may not join it
        self.rtmp_unpublish()
        now = self.clock.now()
        self._user(user_id, now)
        s = self._session_for_join(call, now)
        s.host_id, s.host_session_id, s.host_joined_at = user_id, self._uuid(), now
        self.publisher = (call.cid, user_id)
        return call.cid

    def rtmp_unpublish(self) -> None:
        """OBS stopped (or lost) its stream: the publisher leaves; a session with nobody left ends."""
        if self.publisher is None:
            return
        cid, _user = self.publisher
        self.publisher = None
        call = self.calls.get(cid)
        if call is None or call.session.host_id is None:
            return
        now = self.clock.now()
        call.session.host_id = None
        if call.live is None and call.session.ended_at is None:
            call.session.ended_at = now

    def end_call(self, call_type: str, call_id: str) -> Result:
        call = self._call(call_type, call_id)
        call.live_due = None
        if call.ended_at is None:
            now = self.clock.now()
            if call.live is not None:
                call.live.end = now
                call.session.live_ended_at = now
            call.backstage = True
            call.hls = call.recording = call.captioning = call.transcribing = False
            call.ended_at = call.updated = now
            if call.session.started_at is not None:
                call.session.ended_at = now
            call.session.host_id = None
        return 201, {}

    def delete_call(self, call_type: str, call_id: str, body: Body) -> Result:
        call = self._call(call_type, call_id)
        hard = body.get("hard") is True
        out: Body = {"call": self._call_body(call)}
        del self.calls[call.cid]
        if hard:
            out["task_id"] = self._uuid()
        return 201, out

    def query_participants(self, call_type: str, call_id: str, query: dict[str, str], body: Body) -> Result:
        call = self._call(call_type, call_id)
        limit = decode.int_param(query.get("limit"), "limit", default=_MAX_PARTICIPANTS_LIMIT,
                                 maximum=_MAX_PARTICIPANTS_LIMIT)
        session = self._session_body(call, self.clock.now())
        everyone = session["participants"]
        wanted = decode.user_filter(decode.obj(body.get("filter_conditions"), "filter_conditions"))
        if wanted is None:
            matched, total = everyone, len(everyone) + session["anonymous_participant_count"]
        else:
            matched = [p for p in everyone if p["user"]["id"] in wanted]
            total = len(matched)
        return 201, {**self._call_response(call), "participants": matched[:limit],
                     "total_participants": total}

    # -- chat ----------------------------------------------------------------------------------------
    def _messages(self, channel: Channel) -> list[_ChatItem]:
        now = self.clock.now()
        items = self._audience_chat(channel.cid, now)
        items += [_ChatItem(m.id, m.text, m.user_id, m.at) for m in channel.sent]  # type: regular
        mod = self.moderation
        if mod.bans or mod.deleted:  # a banned viewer's lines are refused; hard-deleted ones are gone
            items = [m for m in items
                     if not mod.hidden(m.id) and not mod.refused(m.user_id, channel.cid, m.at)]
        return sorted(items, key=lambda m: m.at)  # stable: sent messages after audience ones at a tie

    def _message_body(self, m: _ChatItem, cid: str) -> Body:
        body = payloads.message(m.id, m.text, self._user_body(m.user_id, m.at), cid, to_ns(m.at), m.kind)
        return self.moderation.decorate(body)

    def _channel_state(self, channel: Channel, page: Body) -> Body:
        items = self._messages(channel)
        messages = [self._message_body(m, channel.cid) for m in _paginate(items, page)]
        pinned = [self._message_body(m, channel.cid) for m in items if m.id in self.moderation.pinned]
        return {"channel": payloads.channel(channel.type, channel.id, self._user_body(channel.created_by_id),
                                            to_ns(channel.created), sum(m.kind == "regular" for m in items)),
                "messages": messages, "pinned_messages": pinned, "members": [], "threads": [],
                "watcher_count": 0}

    def get_or_create_channel(self, channel_type: str, channel_id: str, body: Body) -> Result:
        if channel_type not in _CHAT_TYPES:
            raise ApiError(404, 16, f"channel type {channel_type} does not exist")
        if len(channel_id) > 64:
            raise input_error("id must be at most 64 characters", "id")
        channel = self.channels.get(f"{channel_type}:{channel_id}")
        if channel is None:
            if not _ID_RE.match(channel_id):
                raise input_error("id may only contain letters, digits, '-' and '_' (at most 64)", "id")
            data = decode.obj(body.get("data"), "data")
            creator = decode.creator(data)
            now = self.clock.now()
            self._user(creator, now)
            channel = Channel(channel_type, channel_id, creator, now)
            self.channels[channel.cid] = channel
        return 201, self._channel_state(channel, decode.obj(body.get("messages"), "messages"))

    def get_channel(self, channel_type: str, channel_id: str, query: dict[str, str]) -> Result:
        channel = self._channel(channel_type, channel_id)
        page: Body = {"limit": query.get("messages_limit")}
        for key in ("id_gt", "id_gte", "id_lt", "id_lte"):
            if f"messages_{key}" in query:
                page[key] = query[f"messages_{key}"]
        return 200, self._channel_state(channel, page)

    def send_message(self, channel_type: str, channel_id: str, body: Body) -> Result:
        channel = self._channel(channel_type, channel_id)
        msg = decode.obj(body.get("message"), "message")
        if not msg:
            raise input_error("message is a required field", "message")
        user_id = msg.get("user_id") or (msg.get("user") or {}).get("id")
        if not isinstance(user_id, str) or not user_id:
            raise input_error("either message.user or message.user_id must be provided when using server "
                               "side auth.", "user_id")
        text = msg.get("text") or ""
        if not isinstance(text, str):
            raise input_error("message.text must be a string", "text")
        msg_id = msg.get("id") or f"{user_id}-{self._uuid()}"
        if any(m.id == msg_id for m in self._messages(channel)):
            raise input_error(f"a message with ID {msg_id} already exists", "id")
        now = self.clock.now()
        self.moderation.check_can_post(user_id, channel.cid, now)
        self._user(user_id, now)
        channel.sent.append(SentMessage(msg_id, text, user_id, now))
        message = payloads.message(msg_id, text, self._user_body(user_id), channel.cid, to_ns(now))
        return 201, {"message": message}

    def get_many_messages(self, channel_type: str, channel_id: str, query: dict[str, str]) -> Result:
        channel = self._channel(channel_type, channel_id)
        ids = [i for i in (query.get("ids") or "").split(",") if i]
        if not ids:
            raise input_error("ids is a required field", "ids")
        found = {m.id: m for m in self._messages(channel)}
        messages = [self._message_body(m, channel.cid) for i in ids if (m := found.get(i))]
        return 200, {"messages": messages}


def check_rtmp_template(template: str) -> str:
    """The ingress address template, refused early if it names a placeholder we can't fill."""
    try:
        template.format(api_key="k", call_type="t", call_id="i")
    except (KeyError, IndexError, ValueError):
        raise ValueError(f"the RTMP address {template!r} may only use the placeholders {{api_key}}, "
                         "{call_type} and {call_id}") from None
    return template


# -- small helpers -----------------------------------------------------------------------------------
def _default_grants() -> dict[str, list[str]]:
    return {
        "admin": ["join-backstage", "join-call", "join-ended-call", "end-call", "update-call", "send-audio",
                  "send-video", "start-broadcast-call", "stop-broadcast-call", "read-call"],
        "host": ["join-backstage", "join-call", "end-call", "update-call", "send-audio", "send-video",
                 "start-broadcast-call", "stop-broadcast-call", "read-call"],
        "user": ["join-call", "read-call"],
    }


def _ns(seconds: float | None) -> int | None:
    return None if seconds is None else to_ns(seconds)


def _paginate(items: list[_ChatItem], page: Body) -> list[_ChatItem]:
    """MessagePaginationParams over messages sorted oldest first; the page is oldest first too."""
    limit = page.get("limit")
    limit = decode.int_param(None if limit is None else str(limit), "messages.limit",
                             default=_DEFAULT_MESSAGES_LIMIT, maximum=_MAX_MESSAGES_LIMIT)
    index = {m.id: i for i, m in enumerate(items)}
    for key, offset, newer in (("id_gt", 1, True), ("id_gte", 0, True), ("id_lt", 0, False),
                               ("id_lte", 1, False)):
        cursor = page.get(key)
        if isinstance(cursor, str) and cursor in index:
            if newer:
                return items[index[cursor] + offset:][:limit]
            return items[: index[cursor] + offset][-limit:] if limit else []
    return items[-limit:] if limit else []
