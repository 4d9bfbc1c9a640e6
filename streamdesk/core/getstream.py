"""GetStream server-side REST client (httpx + PyJWT, no Qt).

A thin, explicit client for the dozen endpoints a livestream needs (see
``docs/getstream.md``). Chosen over the official SDK for start-up time and install size,
and because explicit parsing makes contract drift visible instead of silently ``None``.

Wire rules this module follows (docs/getstream.md "Wire" and "Authentication"):
- every request carries ``?api_key=``, the raw JWT in ``Authorization`` (no ``Bearer``) and
  ``stream-auth-type: jwt``;
- the server token is HS256 over ``{"server": true}``, the documented form (GetStream's docs, the
  Node and stream-chat SDKs). getstream 7.0.0 sends ``{}``; the service accepts both;
- response timestamps are integer Unix nanoseconds; RFC3339 strings are tolerated, like getstream-go;
- request timestamps are sent as RFC3339 strings, as GetStream's own docs and SDK do.

Every method is blocking: the GUI calls it from a worker thread. Errors are typed
:class:`GetStreamError` subclasses whose text never contains a token.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import random
import re
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from streamdesk import __version__
from streamdesk.core import cancel as cancel_scope
from streamdesk.core import remote_values
from streamdesk.core.errors import NetworkUnreachable, StreamdeskError
from streamdesk.core.keys import JWT

if TYPE_CHECKING:
    from streamdesk.core import chat

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://chat.stream-io-api.com"
DEFAULT_CALL_TYPE = "livestream"
USER_AGENT = f"streamdesk-{__version__}"

# Backoff: full jitter on an exponential base, capped per sleep and in total per call, so a
# GetStream outage costs the streamer a bounded wait and a clear error instead of a hang.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
MAX_RETRY_WAIT = 30.0

#: replies are read streaming and refused past this size: every real reply is a few kB
MAX_BODY_BYTES = 4 * 1024 * 1024

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------
class GetStreamError(StreamdeskError):
    """GetStream answered with an error (or could not be reached).

    ``status`` is the HTTP status (0 when there was no response), ``code`` GetStream's own error
    code (docs/getstream.md "Errors"; -1 when unknown) and ``api_message`` its message, with anything
    token-shaped removed."""

    hint = "Check the GetStream status page and try again."

    def __init__(self, message: str, *, status: int = 0, code: int = -1, api_message: str = "",
                 hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.api_message = api_message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code}, message={self.message!r})"


class AuthError(GetStreamError):
    hint = "Check the API key and secret (streamdesk setup) and that this machine's clock is right."


class InputError(GetStreamError):
    hint = "Check the ids and options you entered."


class NotFoundError(GetStreamError):
    hint = "Check the call id, or provision the livestream again."


class RateLimitedError(GetStreamError):
    hint = "Wait a minute before trying again."

    def __init__(self, message: str, *, reset_at: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reset_at = reset_at  # Unix seconds from X-RateLimit-Reset, when GetStream said


class ServerError(GetStreamError):
    hint = "GetStream is having trouble; try again in a minute."


class NetworkError(GetStreamError, NetworkUnreachable):
    hint = "Check your internet connection and the API base URL."


class ProtocolError(GetStreamError):
    """A reply streamdesk cannot use: not JSON, the wrong shape, an implausible value, too big.
    ``retry``: worth another attempt (a body garbled on the way) rather than a wrong answer."""

    hint = "Check that the API base URL points at GetStream (STREAMDESK_API_BASE)."

    def __init__(self, message: str, *, retry: bool = False, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry = retry


class Cancelled(GetStreamError):
    """The streamer cancelled the operation (GUI Cancel); nothing more is sent."""

    hint = ""


# ---------------------------------------------------------------------------------------------
# Typed results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CallState:
    """What streamdesk needs from a GetStream ``CallResponse``; everything else is ignored."""

    type: str
    id: str
    cid: str
    backstage: bool
    created_at: datetime | None
    starts_at: datetime | None
    ended_at: datetime | None
    live_started_at: datetime | None
    live_ended_at: datetime | None
    session_id: str | None
    rtmp_address: str
    participants_by_role: dict[str, int] = field(default_factory=dict)
    anonymous_count: int = 0
    join_ahead_time_seconds: int | None = None
    hls_playlist_url: str | None = None
    recording: bool = False
    transcribing: bool = False
    captioning: bool = False
    created_by_id: str = ""
    #: user id of every participation in the current session (a user joined twice appears twice)
    participant_user_ids: tuple[str, ...] = ()

    @property
    def is_live(self) -> bool:
        """Out of backstage on a call not ended (docs/getstream.md "Live"): GoLive's own answer
        says so; ``session.live_started_at`` is not relied on."""
        return not self.backstage and self.ended_at is None

    def has_participant(self, user_id: str) -> bool:
        """Is ``user_id`` in the call's session right now? For the broadcaster this is "GetStream
        receives your stream": the RTMP publisher joins as that user (docs/getstream.md "Ingest")."""
        return bool(user_id) and user_id in self.participant_user_ids

    def viewers(self, broadcaster_id: str | None = None) -> int:
        """People watching as GetStream counts them: every participant by role plus anonymous ones,
        minus the broadcaster's own participation(s) (``created_by_id`` unless given). HLS viewers
        never join the call and are not in this count (docs/getstream.md "Viewers")."""
        me = self.created_by_id if broadcaster_id is None else broadcaster_id
        total = sum(self.participants_by_role.values()) + self.anonymous_count
        own = sum(1 for uid in self.participant_user_ids if uid == me) if me else 0
        return max(0, total - own)


@dataclass(frozen=True)
class CallTypeState:
    name: str
    backstage_enabled: bool
    join_ahead_time_seconds: int | None
    grants: dict[str, list[str]]
    backstage: dict[str, Any] = field(default_factory=dict)  # settings.backstage as GetStream sent it


@dataclass(frozen=True)
class UserInfo:
    """A GetStream user as QueryUsers returns it (only what provisioning compares)."""

    id: str
    name: str | None
    role: str


@dataclass(frozen=True)
class ChatMessage:
    id: str
    text: str
    user_id: str
    created_at: datetime | None
    type: str = "regular"  # GetStream's message type: regular, system, deleted, error, ephemeral, reply
    deleted: bool = False

    @property
    def is_chat(self) -> bool:
        """A message a viewer wrote and that still stands: ``type == "regular"``, not deleted
        (docs/getstream.md "Chat")."""
        return self.type == "regular" and not self.deleted


@dataclass(frozen=True)
class CallFile:
    """One recording or transcription of a call (ListRecordings / ListTranscriptions).

    ``url`` is signed and expires (kept out of ``repr``, so it never lands in a log by accident)."""

    kind: str  # "recording" | "transcription"
    filename: str
    url: str = field(repr=False)
    start_time: datetime | None
    end_time: datetime | None
    session_id: str
    recording_type: str = ""  # composite, individual, raw … (recordings only)

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "filename": self.filename, "url": self.url,
                "start_time": self.start_time.isoformat() if self.start_time else None,
                "end_time": self.end_time.isoformat() if self.end_time else None,
                "session_id": self.session_id, "recording_type": self.recording_type or None}


@dataclass(frozen=True)
class CallReport:
    """GetStream's figures for one call session (GetCallReport), as far as it reported them."""

    session_id: str
    unique_participants: int | None
    max_concurrent: int | None
    countries: tuple[tuple[str, int], ...] = ()  # (name, unique participants), largest first
    devices: tuple[tuple[str, int], ...] = ()
    operating_systems: tuple[tuple[str, int], ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"session_id": self.session_id, "unique_participants": self.unique_participants,
                "max_concurrent": self.max_concurrent,
                "countries": dict(self.countries), "devices": dict(self.devices),
                "operating_systems": dict(self.operating_systems)}


# ---------------------------------------------------------------------------------------------
# Parsing helpers: every field read goes through these, so a wrong shape is one clear
# ProtocolError naming the field instead of a KeyError deep in the GUI.
# ---------------------------------------------------------------------------------------------
def parse_timestamp(value: Any, what: str = "timestamp") -> datetime | None:
    """Integer Unix nanoseconds (GetStream's wire format) or an RFC3339 string → aware UTC,
    within sane years (``core.remote_values``)."""
    if value is None:
        return None
    try:
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ProtocolError(f"GetStream sent a malformed {what} ({value[:40]!r}).") from None
            return remote_values.sane_datetime(parsed)
        return remote_values.unix_nanoseconds(value)
    except remote_values.ImplausibleValue as e:
        raise ProtocolError(f"GetStream sent an implausible {what} ({e}).") from None


def _obj(data: Any, key: str, where: str, *, required: bool = True) -> dict[str, Any] | None:
    value = data.get(key) if isinstance(data, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise ProtocolError(f"GetStream's reply has no readable {where}.{key}.")
    return value


def _str(data: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"GetStream's reply has no readable {where}.{key}.")
    return value


def _int(data: dict[str, Any], key: str, where: str, default: int | None = 0) -> int | None:
    value = data.get(key)
    if value is None:
        return default
    return _checked_count(value, f"{where}.{key}")


def _checked_count(value: Any, what: str) -> int:
    """A count from GetStream, checked finite and within 0..10^7 (``core.remote_values``)."""
    try:
        return remote_values.count(value)
    except remote_values.ImplausibleValue as e:
        raise ProtocolError(f"GetStream's reply has an implausible {what} ({e}).") from None


def _bool(data: dict[str, Any], key: str) -> bool:
    return data.get(key) is True


def parse_call(data: Any, where: str = "call") -> CallState:
    """A ``CallResponse`` object → :class:`CallState` (unknown fields ignored)."""
    if not isinstance(data, dict):
        raise ProtocolError(f"GetStream's reply has no readable {where}.")
    ingress = _obj(data, "ingress", where) or {}
    rtmp = _obj(ingress, "rtmp", f"{where}.ingress") or {}
    rtmp_address = _str(rtmp, "address", f"{where}.ingress.rtmp") or ""
    session = _obj(data, "session", where, required=False) or {}
    by_role_raw = session.get("participants_count_by_role") or {}
    if not isinstance(by_role_raw, dict):
        raise ProtocolError(f"GetStream's reply has no readable {where}.session.participants_count_by_role.")
    by_role: dict[str, int] = {}
    for role, n in by_role_raw.items():
        by_role[str(role)] = _checked_count(n, f"participant count for role {str(role)[:40]!r}")
    egress = _obj(data, "egress", where, required=False) or {}
    hls = _obj(egress, "hls", f"{where}.egress", required=False) or {}
    backstage = data.get("backstage")
    if not isinstance(backstage, bool):
        raise ProtocolError(f"GetStream's reply has no readable {where}.backstage.")
    call_type = _str(data, "type", where) or ""
    call_id = _str(data, "id", where) or ""
    session_id = session.get("id") or data.get("current_session_id") or None
    participants_raw = session.get("participants") or []
    if not isinstance(participants_raw, list):
        raise ProtocolError(f"GetStream's reply has no readable {where}.session.participants.")
    participant_ids: list[str] = []
    for p in participants_raw:
        user = p.get("user") if isinstance(p, dict) else None
        uid = (user.get("id") if isinstance(user, dict) else None) or (
            p.get("user_id") if isinstance(p, dict) else None)
        if isinstance(uid, str) and uid:
            participant_ids.append(uid)
    created_by = data.get("created_by")
    created_by_id = created_by.get("id") if isinstance(created_by, dict) else None
    return CallState(
        type=call_type,
        id=call_id,
        cid=_str(data, "cid", where, required=False) or f"{call_type}:{call_id}",
        backstage=backstage,
        created_at=parse_timestamp(data.get("created_at"), f"{where}.created_at"),
        starts_at=parse_timestamp(data.get("starts_at"), f"{where}.starts_at"),
        ended_at=parse_timestamp(data.get("ended_at"), f"{where}.ended_at"),
        live_started_at=parse_timestamp(session.get("live_started_at"), f"{where}.session.live_started_at"),
        live_ended_at=parse_timestamp(session.get("live_ended_at"), f"{where}.session.live_ended_at"),
        session_id=str(session_id) if session_id else None,
        rtmp_address=rtmp_address,
        participants_by_role=by_role,
        anonymous_count=_int(session, "anonymous_participant_count", f"{where}.session") or 0,
        join_ahead_time_seconds=_int(data, "join_ahead_time_seconds", where, default=None),
        hls_playlist_url=hls.get("playlist_url") or None,
        recording=_bool(data, "recording"),
        transcribing=_bool(data, "transcribing"),
        captioning=_bool(data, "captioning"),
        created_by_id=created_by_id if isinstance(created_by_id, str) else "",
        participant_user_ids=tuple(participant_ids),
    )


def parse_message(data: Any) -> ChatMessage:
    if not isinstance(data, dict):
        raise ProtocolError("GetStream's reply has an unreadable chat message.")
    raw_user = data.get("user")
    user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
    text = data.get("text")
    kind = data.get("type")
    return ChatMessage(
        id=_str(data, "id", "message") or "",
        text=text if isinstance(text, str) else "",
        user_id=str(user.get("id") or data.get("user_id") or ""),
        created_at=parse_timestamp(data.get("created_at"), "message.created_at"),
        type=kind if isinstance(kind, str) else "regular",  # GetStream: every message has a type
        deleted=data.get("deleted_at") is not None,
    )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once per process: building it loads the CA bundle
    (~50 ms of CPU, more on a loaded machine), and every operation opens a fresh client (so the GUI
    paid it on each click: bench/golive_latency.py). An SSLContext is safe to share across threads."""
    return httpx.create_ssl_context()


def _rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _clean_api_message(text: Any) -> str:
    """GetStream's error message, trimmed and with anything JWT-shaped removed: a misbehaving
    proxy could echo the Authorization header, and these strings reach the screen and the log."""
    if not isinstance(text, str):
        return ""
    return remote_values.terminal_safe(JWT.sub("[redacted]", text.strip()))[:300]


# ---------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------
class GetStreamClient:
    """One app's server-side client: one ``httpx.Client``, explicit timeouts, bounded retries."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        max_retries: int = 4,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_retry_wait: float = MAX_RETRY_WAIT,
        rng: random.Random | None = None,
        budget: float | None = None,
    ) -> None:
        """``timeout``: the total deadline of one attempt (connect, send, the whole body);
        ``budget``: the total deadline of one operation, attempts and waits included (None: only
        ``max_retries`` and ``max_retry_wait`` bound it)."""
        if not api_key or not api_key.strip():
            raise InputError("The GetStream API key is empty.", hint="Enter the API key from the dashboard.")
        if not api_secret or not api_secret.strip():
            raise InputError("The GetStream API secret is empty.",
                             hint="Enter the API secret from the dashboard.")
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.timeout = timeout
        self.budget = budget
        self._cancelled = threading.Event()
        self._inflight: set[threading.Event] = set()
        self._inflight_lock = threading.Lock()
        token = cancel_scope.current()  # the GUI's Cancel reaches this client through its task's scope
        if token is not None:
            token.on_cancel(self.cancel)
        self._secret = api_secret
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        import jwt  # lazy: PyJWT pulls in cryptography (~100 ms), and the GUI imports this at start-up

        # Server tokens carry no exp, so one per client is enough (and cheap to keep in memory only).
        self._server_token = jwt.encode({"server": True}, api_secret, algorithm="HS256")
        self._http = httpx.Client(
            base_url=self.base_url,
            # Per socket operation; each attempt also has a total deadline (``_attempt``).
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            transport=transport,
            verify=_tls_context() if transport is None else True,
            headers={"X-Stream-Client": USER_AGENT, "stream-auth-type": "jwt"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:  # never the secret or a token
        return f"GetStreamClient(api_key={self.api_key!r}, base_url={self.base_url!r})"

    def __enter__(self) -> GetStreamClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- tokens -----------------------------------------------------------------------------
    def user_token(self, user_id: str, ttl_seconds: float | None) -> tuple[str, int | None]:
        """The broadcaster's user JWT (the OBS stream key) and its expiry (Unix seconds).

        ``iat`` is backdated 5 s like the official SDK, so a server clock slightly behind ours
        does not reject a token "issued in the future" (code 42). ``ttl_seconds=None`` omits
        ``exp`` (a key that never expires) - possible, but the CLI never chooses it."""
        import jwt

        now = int(self._clock())
        claims: dict[str, Any] = {"user_id": user_id, "iat": now - 5}
        exp = None
        if ttl_seconds is not None:
            exp = now + int(ttl_seconds)
            claims["exp"] = exp
        return jwt.encode(claims, self._secret, algorithm="HS256"), exp

    # -- operations -------------------------------------------------------------------------
    def query_user(self, user_id: str) -> UserInfo | None:
        """The user with this id, or None (QueryUsers: a read, creates nothing)."""
        import json as _json

        payload = {"filter_conditions": {"id": {"$eq": user_id}}, "limit": 1}
        data = self._request("QueryUsers", "GET", "/api/v2/users",
                             params={"payload": _json.dumps(payload, separators=(",", ":"))})
        users = data.get("users")
        if not isinstance(users, list):
            raise ProtocolError("GetStream's reply has no readable response.users.")
        for u in users:
            if isinstance(u, dict) and u.get("id") == user_id:
                name = u.get("name")
                role = u.get("role")
                return UserInfo(user_id, name if isinstance(name, str) else None,
                                role if isinstance(role, str) else "user")
        return None

    def create_user(self, user_id: str, name: str | None = None) -> None:
        """UpdateUsers (POST) replaces a whole user: only for a user QueryUsers did not find."""
        user: dict[str, Any] = {"id": user_id}
        if name:
            user["name"] = name
        self._request("UpdateUsers", "POST", "/api/v2/users", json={"users": {user_id: user}})

    def update_user_partial(self, user_id: str, fields: Mapping[str, Any]) -> None:
        """UpdateUsersPartial (PATCH): sets ``fields`` and leaves the rest of the profile alone."""
        self._request("UpdateUsersPartial", "PATCH", "/api/v2/users",
                      json={"users": [{"id": user_id, "set": dict(fields)}]})

    def get_call_type(self, name: str = DEFAULT_CALL_TYPE) -> CallTypeState:
        data = self._request("GetCallType", "GET", f"/api/v2/video/calltypes/{_seg(name)}")
        return _parse_call_type(data)

    def update_call_type(self, name: str, *, backstage: Mapping[str, Any] | None = None,
                         grants: Mapping[str, list[str]] | None = None) -> CallTypeState:
        """UpdateCallType: app-wide, so only ever called on the streamer's explicit opt-in.
        A role named in ``grants`` gets exactly the list sent (GetStream replaces it): callers
        send the existing list merged with what they add (``core.call_type_settings``)."""
        body: dict[str, Any] = {}
        if backstage:
            body["settings"] = {"backstage": dict(backstage)}
        if grants:
            body["grants"] = {role: list(caps) for role, caps in grants.items()}
        data = self._request("UpdateCallType", "PUT", f"/api/v2/video/calltypes/{_seg(name)}", json=body)
        return _parse_call_type(data)

    def get_or_create_call(self, call_type: str, call_id: str, *, created_by_id: str,
                           starts_at: datetime | None = None,
                           join_ahead_seconds: int | None = None) -> CallState:
        backstage: dict[str, Any] = {"enabled": True}
        if join_ahead_seconds is not None:
            backstage["join_ahead_time_seconds"] = join_ahead_seconds
        call: dict[str, Any] = {
            "created_by_id": created_by_id,
            "members": [{"user_id": created_by_id, "role": "host"}],
            "settings_override": {"backstage": backstage},
        }
        if starts_at is not None:
            call["starts_at"] = _rfc3339(starts_at)
        data = self._request("GetOrCreateCall", "POST", _call_path(call_type, call_id), json={"data": call})
        return parse_call(_obj(data, "call", "response"))

    def get_call(self, call_type: str, call_id: str) -> CallState:
        data = self._request("GetCall", "GET", _call_path(call_type, call_id))
        return parse_call(_obj(data, "call", "response"))

    def update_call(self, call_type: str, call_id: str, *, starts_at: datetime | None = None,
                    join_ahead_seconds: int | None = None) -> CallState:
        body: dict[str, Any] = {}
        if starts_at is not None:
            body["starts_at"] = _rfc3339(starts_at)
        if join_ahead_seconds is not None:
            body["settings_override"] = {"backstage": {"join_ahead_time_seconds": join_ahead_seconds}}
        data = self._request("UpdateCall", "PATCH", _call_path(call_type, call_id), json=body)
        return parse_call(_obj(data, "call", "response"))

    def go_live(self, call_type: str, call_id: str, *, hls: bool = False, recording: bool = False,
                captions: bool = False, transcription: bool = False, recording_storage: str | None = None,
                transcription_storage: str | None = None) -> CallState:
        body: dict[str, Any] = {
            "start_hls": hls,
            "start_recording": recording,
            "start_closed_caption": captions,
            "start_transcription": transcription,
        }
        if recording_storage:
            body["recording_storage_name"] = recording_storage
        if transcription_storage:
            body["transcription_storage_name"] = transcription_storage
        data = self._request("GoLive", "POST", _call_path(call_type, call_id, "go_live"), json=body)
        return parse_call(_obj(data, "call", "response"))

    def stop_live(self, call_type: str, call_id: str, *, continue_hls: bool = False,
                  continue_recording: bool = False, continue_captions: bool = False,
                  continue_transcription: bool = False) -> CallState:
        body = {
            "continue_hls": continue_hls,
            "continue_recording": continue_recording,
            "continue_closed_caption": continue_captions,
            "continue_transcription": continue_transcription,
        }
        data = self._request("StopLive", "POST", _call_path(call_type, call_id, "stop_live"), json=body)
        return parse_call(_obj(data, "call", "response"))

    def end_call(self, call_type: str, call_id: str) -> None:
        """``mark_ended``: the call ends for everyone (EndCall has no request body)."""
        self._request("EndCall", "POST", _call_path(call_type, call_id, "mark_ended"))

    # -- after the show (aftershow): recordings, transcriptions, the call report, HLS ------------
    def list_recordings(self, call_type: str, call_id: str) -> list[CallFile]:
        """The call's recordings, with signed links that expire: use them now, never store them."""
        data = self._request("ListRecordings", "GET", _call_path(call_type, call_id, "recordings"))
        return _parse_files(data, "recordings", "recording")

    def list_transcriptions(self, call_type: str, call_id: str) -> list[CallFile]:
        data = self._request("ListTranscriptions", "GET", _call_path(call_type, call_id, "transcriptions"))
        return _parse_files(data, "transcriptions", "transcription")

    def call_report(self, call_type: str, call_id: str, session_id: str | None = None) -> CallReport:
        """GetStream's own figures for one call session (the latest when ``session_id`` is None)."""
        params = {"session_id": session_id} if session_id else None
        data = self._request("GetCallReport", "GET", _call_path(call_type, call_id, "report"), params=params)
        return _parse_report(data)

    def start_hls(self, call_type: str, call_id: str) -> str:
        """Start HLS on the call; returns the playlist URL viewers open in a plain player."""
        path = _call_path(call_type, call_id, "start_broadcasting")
        data = self._request("StartHLSBroadcasting", "POST", path)
        url = data.get("playlist_url")
        if not isinstance(url, str) or not _is_web_url(url):
            raise ProtocolError("GetStream's reply has no readable response.playlist_url.")
        return url

    def stop_hls(self, call_type: str, call_id: str) -> None:
        self._request("StopHLSBroadcasting", "POST", _call_path(call_type, call_id, "stop_broadcasting"))

    def is_participant(self, call_type: str, call_id: str, user_id: str) -> bool:
        """QueryCallParticipants filtered to ``user_id``: is that user in the call's session?"""
        data = self._request("QueryCallParticipants", "POST", _call_path(call_type, call_id, "participants"),
                             params={"limit": 10}, json={"filter_conditions": {"user_id": user_id}})
        found = data.get("participants")
        if not isinstance(found, list):
            raise ProtocolError("GetStream's reply has no readable response.participants.")
        return any(isinstance(p, dict) and isinstance(p.get("user"), dict) and p["user"].get("id") == user_id
                   for p in found)

    def participants_total(self, call_type: str, call_id: str) -> int:
        # limit=1: only total_participants is wanted, not the page of participants.
        data = self._request("QueryCallParticipants", "POST", _call_path(call_type, call_id, "participants"),
                             params={"limit": 1}, json={"filter_conditions": {}})
        total = _int(data, "total_participants", "response", default=None)
        if total is None:
            raise ProtocolError("GetStream's reply has no readable response.total_participants.")
        return total

    def get_or_create_channel(self, channel_type: str, channel_id: str, *, created_by_id: str) -> str:
        body = {"data": {"created_by_id": created_by_id}, "state": False}
        data = self._request("GetOrCreateChannel", "POST", _channel_path(channel_type, channel_id, "query"),
                             json=body)
        channel = _obj(data, "channel", "response", required=False) or {}
        cid = channel.get("cid")
        return cid if isinstance(cid, str) else f"{channel_type}:{channel_id}"

    def messages_since(self, channel_type: str, channel_id: str, last_id: str | None,
                       limit: int = 100) -> list[ChatMessage]:
        """Messages newer than ``last_id`` (all recent ones when None), oldest first, of every
        type: the cursor must move past system and deleted ones too; count only ``is_chat``.

        Uses the read-only GetChannel form, so a poll never creates anything. When more than
        ``limit`` messages arrived, the next poll picks up after the last one returned."""
        parsed = [parse_message(m) for m in self._channel_messages(channel_type, channel_id, last_id, limit)]
        # Oldest first is the documented order; sort defensively (ids are opaque, times are not).
        if any(m.created_at is None for m in parsed):
            return parsed
        return sorted(parsed, key=lambda m: m.created_at)  # type: ignore[arg-type, return-value]

    def _channel_messages(self, channel_type: str, channel_id: str, after_id: str | None,
                          limit: int) -> list[Any]:
        """The raw messages of the read-only GetChannel form, after ``after_id`` (all recent ones
        when None): one read shared by the recorder's count and the chat feed."""
        params: dict[str, Any] = {"state": "true", "messages_limit": limit}
        if after_id:
            params["messages_id_gt"] = after_id
        data = self._request("GetChannel", "GET", _channel_path(channel_type, channel_id), params=params)
        messages = data.get("messages")
        if not isinstance(messages, list):
            raise ProtocolError("GetStream's reply has no readable response.messages.")
        return messages

    # -- chat feed and moderation (typed results and parsing in core/chat.py) ---------------------
    # core.chat imports this module for ProtocolError and parse_timestamp, so it is imported here
    # inside each method rather than at the top (a cycle otherwise).
    def chat_page(self, channel_type: str, channel_id: str, after_id: str | None = None,
                  limit: int = 100) -> list[chat.ChatEntry]:
        """The feed's view of the chat: every message type, author name, pinned flag; oldest first.
        Read-only GetChannel, paged with ``messages_id_gt`` like :meth:`messages_since`."""
        from streamdesk.core import chat

        messages = self._channel_messages(channel_type, channel_id, after_id, limit)
        return [chat.parse_entry(m) for m in messages]

    def send_message(self, channel_type: str, channel_id: str, text: str, *, user_id: str) -> chat.ChatEntry:
        """SendMessage as ``user_id`` (the broadcaster). The message id is chosen here, so a retry
        after a lost answer cannot post the text twice: GetStream refuses the repeated id."""
        from streamdesk.core import chat

        msg_id = f"{user_id}-{uuid.uuid4()}"
        body = {"message": {"id": msg_id, "text": text, "user_id": user_id}}
        try:
            data = self._request("SendMessage", "POST", _channel_path(channel_type, channel_id, "message"),
                                 json=body)
        except InputError as e:
            if msg_id not in e.api_message and "already exists" not in e.api_message:
                raise
            # an earlier attempt landed and only its answer was lost
            return chat.ChatEntry(msg_id, chat.plain(text), user_id, "", "regular", None)
        return chat.parse_entry(_obj(data, "message", "response"))

    def delete_message(self, message_id: str, *, deleted_by: str | None = None,
                       hard: bool = False) -> chat.ChatEntry | None:
        from streamdesk.core import chat

        params: dict[str, Any] = {"hard": "true" if hard else "false"}
        if deleted_by:
            params["deleted_by"] = deleted_by
        data = self._request("DeleteMessage", "DELETE", f"/api/v2/chat/messages/{_seg(message_id)}",
                             params=params)
        message = _obj(data, "message", "response", required=False)
        return chat.parse_entry(message) if message else None

    def set_pinned(self, message_id: str, pinned: bool, *, user_id: str) -> chat.ChatEntry | None:
        """Pin or unpin with UpdateMessagePartial ``set: {"pinned": …}`` (absolute, safe to repeat)."""
        from streamdesk.core import chat

        body = {"set": {"pinned": pinned}, "user_id": user_id}
        data = self._request("UpdateMessagePartial", "PUT", f"/api/v2/chat/messages/{_seg(message_id)}",
                             json=body)
        message = _obj(data, "message", "response", required=False)
        return chat.parse_entry(message) if message else None

    def pinned_messages(self, channel_type: str, channel_id: str, limit: int = 20) -> list[chat.ChatEntry]:
        from streamdesk.core import chat

        path = _channel_path(channel_type, channel_id, "pinned_messages")
        data = self._request("GetPinnedMessages", "GET", path, params={"limit": limit})
        messages = data.get("messages")
        if not isinstance(messages, list):
            raise ProtocolError("GetStream's reply has no readable response.messages.")
        return [chat.parse_entry(m) for m in messages]

    def ban_user(self, target_user_id: str, *, banned_by_id: str, channel_cid: str | None,
                 timeout_minutes: int | None = None, reason: str | None = None) -> None:
        """Ban (or, with ``timeout_minutes``, time out) a user in ``channel_cid`` (app-wide if None)."""
        body: dict[str, Any] = {"target_user_id": target_user_id, "banned_by_id": banned_by_id}
        if channel_cid:
            body["channel_cid"] = channel_cid
        if timeout_minutes is not None:
            body["timeout"] = timeout_minutes
        if reason:
            body["reason"] = reason
        self._request("ban", "POST", "/api/v2/moderation/ban", json=body)

    def unban_user(self, target_user_id: str, *, unbanned_by_id: str, channel_cid: str | None) -> None:
        params: dict[str, Any] = {"target_user_id": target_user_id, "created_by": unbanned_by_id}
        if channel_cid:
            params["channel_cid"] = channel_cid
        self._request("unban", "POST", "/api/v2/moderation/unban", params=params,
                      json={"unbanned_by_id": unbanned_by_id})

    def banned_users(self, channel_cid: str | None, limit: int = 100) -> list[chat.Ban]:
        """Bans in force (expired time-outs left out)."""
        import json as _json

        from streamdesk.core import chat

        conditions: dict[str, Any] = {"channel_cid": {"$eq": channel_cid}} if channel_cid else {}
        payload = {"filter_conditions": conditions, "exclude_expired_bans": True, "limit": limit}
        data = self._request("QueryBannedUsers", "GET", "/api/v2/chat/query_banned_users",
                             params={"payload": _json.dumps(payload, separators=(",", ":"))})
        bans = data.get("bans")
        if not isinstance(bans, list):
            raise ProtocolError("GetStream's reply has no readable response.bans.")
        return [chat.parse_ban(b) for b in bans]

    # -- transport ----------------------------------------------------------------------------
    def cancel(self) -> None:
        """Abandon the request in flight and refuse further ones (any thread may call this): the
        waiting operation raises :class:`Cancelled` at once."""
        self._cancelled.set()
        with self._inflight_lock:
            for wake in self._inflight:
                wake.set()

    def _request(self, operation: str, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                 json: Any = None) -> dict[str, Any]:
        """Send one request, retrying on 429, 5xx and network errors.

        Every operation this client exposes is safe to repeat, which is why all of them retry:
        reads and upserts trivially; get-or-create returns the existing call; UpdateCallType and
        UpdateCall set absolute values; GoLive on a live call, StopLive on a call in backstage and
        EndCall on an ended call leave the state as it was (the effect is a state, not a counter).
        Each attempt has one total deadline (``timeout``: connect, send and the whole body); the
        total time slept is capped by ``max_retry_wait`` and everything by ``budget``."""
        query = {"api_key": self.api_key, **(params or {})}
        # One request id for all attempts, so GetStream support can match retries of one call.
        headers = {"Authorization": self._server_token, "x-client-request-id": str(uuid.uuid4())}
        budget_end = time.monotonic() + self.budget if self.budget is not None else math.inf
        attempt = 0
        waited = 0.0
        while True:
            started = time.monotonic()
            try:
                response = self._attempt(operation, method, path, query, json, headers,
                                         min(started + self.timeout, budget_end))
            except (NetworkError, ProtocolError) as e:
                if isinstance(e, ProtocolError) and not e.retry:
                    raise
                error: GetStreamError = e
            else:
                log.debug("GetStream %s -> %d in %.0f ms", operation, response.status_code,
                          (time.monotonic() - started) * 1000)
                if 200 <= response.status_code < 300:
                    return _json_body(response, operation)
                error = _error_from(response, operation, self._clock)
                if response.status_code not in _RETRY_STATUSES or _unrecoverable(response):
                    raise error
            if attempt >= self.max_retries:
                raise error
            delay = self._delay(attempt, error)
            if waited + delay > self.max_retry_wait or time.monotonic() + delay >= budget_end:
                raise error
            log.info("GetStream %s failed (%s); retry %d in %.1fs", operation, type(error).__name__,
                     attempt + 1, delay)
            if self._sleep is time.sleep:  # the real wait ends early on cancel()
                self._cancelled.wait(delay)
            else:
                self._sleep(delay)
            waited += delay
            attempt += 1
            if self._cancelled.is_set():
                raise Cancelled(f"Cancelled {operation}.")

    def _attempt(self, operation: str, method: str, path: str, query: dict[str, Any], json: Any,
                 headers: dict[str, str], deadline: float) -> httpx.Response:
        """One exchange, bounded by ``deadline`` (monotonic) whatever the server does.

        httpx's timeouts apply per socket operation, so a server trickling one byte a second
        never trips them. The exchange therefore runs on a short-lived worker thread while this
        one waits for it until the deadline (or a :meth:`cancel`); at the deadline the socket is
        shut down, which ends the worker's blocked read, and the caller gets its NetworkError."""
        if self._cancelled.is_set():
            raise Cancelled(f"Cancelled {operation}.")
        wake = threading.Event()
        abort = threading.Event()
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["response"] = self._exchange(operation, method, path, query, json, headers,
                                                 deadline, abort, box)
            except BaseException as e:  # handed to the waiting thread, never lost in this one
                box["error"] = e
            finally:
                wake.set()

        with self._inflight_lock:
            self._inflight.add(wake)
        try:
            threading.Thread(target=run, name=f"getstream-{operation}", daemon=True).start()
            wake.wait(max(0.0, deadline - time.monotonic()))
        finally:
            with self._inflight_lock:
                self._inflight.discard(wake)
        if "response" in box:
            return box["response"]  # type: ignore[no-any-return]
        if "error" in box:
            raise box["error"]
        abort.set()
        _shutdown(box.get("stream"))
        if self._cancelled.is_set():
            raise Cancelled(f"Cancelled {operation}.")
        raise self._late(operation)

    def _exchange(self, operation: str, method: str, path: str, query: dict[str, Any], json: Any,
                  headers: dict[str, str], deadline: float, abort: threading.Event,
                  box: dict[str, Any]) -> httpx.Response:
        """The request and its whole body (streamed, capped at ``MAX_BODY_BYTES``), on the worker."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._late(operation)
        timeout = httpx.Timeout(remaining, connect=min(5.0, remaining))
        try:
            request = self._http.build_request(method, path, params=query, json=json, headers=headers,
                                               timeout=timeout)
            response = self._http.send(request, stream=True)
            box["stream"] = response
            try:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                    raise _too_big(operation, response.status_code)
                body = bytearray()
                for chunk in response.iter_bytes():  # decoded, so a compression bomb is capped too
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise _too_big(operation, response.status_code)
                    if abort.is_set() or time.monotonic() > deadline:
                        raise self._late(operation)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise self._late(operation) from None
        except httpx.DecodingError:
            raise ProtocolError(f"GetStream sent an unreadable reply to {operation} (bad encoding).",
                                retry=True) from None
        except httpx.TransportError as e:
            if abort.is_set():
                raise self._late(operation) from None
            raise self._unreachable(_transport_reason(e)) from None
        except httpx.HTTPError as e:
            raise self._unreachable(type(e).__name__) from None
        # A plain, fully read response: the body is already decoded, so its encoding headers go.
        kept = [(k, v) for k, v in response.headers.multi_items()
                if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=kept, content=bytes(body), request=request)

    def _late(self, operation: str) -> NetworkError:
        return NetworkError(f"GetStream did not answer {operation} in time ({self.base_url}).")

    def _unreachable(self, reason: str) -> NetworkError:
        return NetworkError(f"Could not reach GetStream at {self.base_url} ({reason}).")

    def _delay(self, attempt: int, error: GetStreamError) -> float:
        backoff = min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt)
        delay = backoff / 2 + self._rng.uniform(0, backoff / 2)  # "equal jitter": never zero, spread
        if isinstance(error, RateLimitedError) and error.reset_at is not None:
            # Waiting less than the reset just earns another 429; add a little jitter so several
            # clients do not all return on the same second.
            until_reset = error.reset_at - self._clock()
            if until_reset > 0:
                delay = until_reset + self._rng.uniform(0, 0.25)
        return delay


def _too_big(operation: str, status: int) -> ProtocolError:
    return ProtocolError(f"GetStream's reply to {operation} is larger than "
                         f"{MAX_BODY_BYTES // (1024 * 1024)} MB; streamdesk did not read it.", status=status)


def _shutdown(response: Any) -> None:
    """Shut the socket under a streaming response down, which wakes a read blocked on it (closing
    the file descriptor alone does not, on Linux)."""
    stream = getattr(response, "extensions", {}).get("network_stream") if response is not None else None
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _parse_call_type(data: dict[str, Any]) -> CallTypeState:
    settings = _obj(data, "settings", "response")
    backstage = _obj(settings, "backstage", "response.settings", required=False) or {}
    grants_raw = data.get("grants") or {}
    if not isinstance(grants_raw, dict):
        raise ProtocolError("GetStream's reply has no readable response.grants.")
    return CallTypeState(
        name=_str(data, "name", "response") or "",
        backstage_enabled=_bool(backstage, "enabled"),
        backstage=dict(backstage),
        join_ahead_time_seconds=_int(backstage, "join_ahead_time_seconds", "response.settings.backstage",
                                     default=None),
        grants={str(k): [str(c) for c in v] for k, v in grants_raw.items() if isinstance(v, list)},
    )


_FILENAME_RE = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


def _is_web_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and len(url) <= 8192 and not any(c.isspace() for c in url)


def _parse_files(data: dict[str, Any], key: str, kind: str) -> list[CallFile]:
    items = data.get(key)
    if not isinstance(items, list):
        raise ProtocolError(f"GetStream's reply has no readable response.{key}.")
    out: list[CallFile] = []
    for i, item in enumerate(items):
        where = f"response.{key}[{i}]"
        if not isinstance(item, dict):
            raise ProtocolError(f"GetStream's reply has an unreadable {where}.")
        filename = _str(item, "filename", where) or ""
        url = _str(item, "url", where) or ""
        if not _FILENAME_RE.match(filename) or filename in (".", ".."):
            raise ProtocolError(f"GetStream's reply has an unusable file name in {where}.")
        if not _is_web_url(url):
            raise ProtocolError(f"GetStream's reply has no usable link in {where}.")
        out.append(CallFile(
            kind=kind, filename=filename, url=url,
            start_time=parse_timestamp(item.get("start_time"), f"{where}.start_time"),
            end_time=parse_timestamp(item.get("end_time"), f"{where}.end_time"),
            session_id=_str(item, "session_id", where, required=False) or "",
            recording_type=_str(item, "recording_type", where, required=False) or "",
        ))
    return out


def _groups(data: dict[str, Any], key: str, where: str) -> tuple[tuple[str, int], ...]:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise ProtocolError(f"GetStream's reply has no readable {where}.{key}.")
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue  # GetStream sends null entries in these lists (nullable items)
        name = item.get("name")
        n = _int(item, "unique", f"{where}.{key}[]", default=None)
        if isinstance(name, str) and n is not None:
            out.append((name[:80], n))
    return tuple(sorted(out, key=lambda g: (-g[1], g[0])))


def _parse_report(data: dict[str, Any]) -> CallReport:
    report = _obj(data, "report", "response") or {}
    participants = _obj(report, "participants", "response.report", required=False) or {}
    where = "response.report.participants"
    return CallReport(
        session_id=_str(data, "session_id", "response", required=False) or "",
        unique_participants=_int(participants, "unique", where, default=None),
        max_concurrent=_int(participants, "max_concurrent", where, default=None),
        countries=_groups(participants, "by_country", where),
        devices=_groups(participants, "by_device", where),
        operating_systems=_groups(participants, "by_operating_system", where),
    )


def _seg(value: str) -> str:
    # Percent-encode like the SDK (quote(v, safe="")); ids are validated before they get here.
    return quote(value, safe="")


def _call_path(call_type: str, call_id: str, action: str | None = None) -> str:
    path = f"/api/v2/video/call/{_seg(call_type)}/{_seg(call_id)}"
    return f"{path}/{action}" if action else path


def _channel_path(channel_type: str, channel_id: str, action: str | None = None) -> str:
    path = f"/api/v2/chat/channels/{_seg(channel_type)}/{_seg(channel_id)}"
    return f"{path}/{action}" if action else path


def _json_body(response: httpx.Response, operation: str) -> dict[str, Any]:
    content_type = response.headers.get("content-type", "")
    if content_type and "json" not in content_type.lower():
        kind = remote_values.terminal_safe(content_type.split(";")[0].strip())[:40]
        raise ProtocolError(f"GetStream answered {operation} with {kind} instead of JSON.",
                            status=response.status_code)
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(f"GetStream sent an unreadable reply to {operation} (not JSON).",
                            status=response.status_code) from None
    if not isinstance(data, dict):
        raise ProtocolError(f"GetStream sent an unexpected reply to {operation} (not a JSON object).",
                            status=response.status_code)
    return data


def _unrecoverable(response: httpx.Response) -> bool:
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and data.get("unrecoverable") is True


def _first_header(response: httpx.Response, name: str) -> str | None:
    # Both Python SDKs split on "," and take the first non-empty value (duplicated headers occur).
    raw = response.headers.get(name)
    if not raw:
        return None
    return next((part.strip() for part in raw.split(",") if part.strip()), None)


def _reset_at(response: httpx.Response, clock: Callable[[], float]) -> float | None:
    """When a 429 lifts, in Unix seconds: ``X-RateLimit-Reset`` (absolute seconds), else
    ``Retry-After`` (delta seconds); None when absent or implausible (not within a day of now)."""
    now = clock()
    reset = remote_values.rate_limit_reset(_first_header(response, "X-RateLimit-Reset"), now)
    if reset is not None:
        return reset
    return remote_values.retry_after(_first_header(response, "Retry-After"), now)


def _error_from(response: httpx.Response, operation: str, clock: Callable[[], float]) -> GetStreamError:
    status = response.status_code
    code, api_message = -1, ""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict):
        if isinstance(data.get("code"), int) and not isinstance(data.get("code"), bool) \
                and -1 <= data["code"] <= 1_000_000:
            code = data["code"]
        api_message = _clean_api_message(data.get("message"))
    detail = f" (code {code}: {api_message})" if api_message else f" (HTTP {status})"
    kw: dict[str, Any] = {"status": status, "code": code, "api_message": api_message}
    if status == 401:
        return AuthError(f"GetStream refused the API key or secret{detail}.", **kw)
    if status == 404:
        return NotFoundError(f"GetStream could not find what {operation} asked for{detail}.", **kw)
    if status == 429:
        reset_at = _reset_at(response, clock)
        when = (f"; it resets at {datetime.fromtimestamp(reset_at, UTC):%H:%M:%S} UTC"
                if reset_at is not None else "")
        return RateLimitedError(f"GetStream is rate limiting {operation}{when}.", reset_at=reset_at, **kw)
    if status >= 500:
        return ServerError(f"GetStream had a server error during {operation}{detail}.", **kw)
    if 300 <= status < 400:
        return ProtocolError(f"GetStream answered {operation} with a redirect (HTTP {status}); "
                             "streamdesk does not follow redirects.", **kw)
    if status == 400:
        return InputError(f"GetStream rejected {operation}{detail}.", **kw)
    if status == 403:
        return GetStreamError(f"GetStream does not allow {operation} for this app{detail}.",
                              hint="Check the app's permissions in the GetStream dashboard.", **kw)
    return GetStreamError(f"GetStream answered {operation} with an error{detail}.", **kw)


def _transport_reason(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.ConnectError):
        return "connection failed"
    if isinstance(error, httpx.RemoteProtocolError):
        return "the connection was dropped"
    return type(error).__name__
