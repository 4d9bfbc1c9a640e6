"""The streamer's GetStream channel, operation by operation: save the account, provision, mint and
rotate the stream key, go live, stop, end.

Shared by the CLI and the GUI (no Qt here). Every function blocks on the network: the GUI calls
them from its background-task primitive. Inputs are validated before any request so a typo is a
specific message, not a 400 from GetStream. Secrets only ever go to ``ctx.secrets`` (the keyring).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from streamdesk.core import live
from streamdesk.core.context import AppContext
from streamdesk.core.errors import InvalidInput, StreamdeskError
from streamdesk.core.getstream import (
    CallState,
    GetStreamClient,
    GetStreamError,
    NotFoundError,
    ProtocolError,
)
from streamdesk.core.keys import JWT, key_expired
from streamdesk.core.options import GoLiveOptions, StopOptions
from streamdesk.core.paths import check_api_base, is_loopback_host  # noqa: F401 - re-exported
from streamdesk.core.secrets import SecretKind, register_secret  # keyring itself is imported lazily in there
from streamdesk.core.store import ChannelConfig, Session

log = logging.getLogger(__name__)

CHAT_CHANNEL_TYPE = "livestream"
API_SECRET_ENV = "STREAMDESK_API_SECRET"

# The stream key is the broadcaster's user JWT, and OBS keeps reconnecting with it after a drop.
# Once it expires, every reconnect is refused and OBS retries forever without saying why
# (obs-studio#11304), so a key that expires mid-show silently ends the show. 24 h covers a very
# long stream plus reconnects started near its end; a shorter TTL is a --key-ttl away for anyone
# who prefers less exposure, and `streamdesk key --rotate` mints a fresh one before each show.
DEFAULT_KEY_TTL_HOURS = 24.0
#: the total time `status` and a force end may take, whatever GetStream does (issue 13)
DEFAULT_BUDGET_S = 10.0
BUDGET_ENV = "STREAMDESK_BUDGET_S"
MAX_KEY_TTL_HOURS = 24.0 * 365
MAX_JOIN_AHEAD_SECONDS = 7 * 24 * 3600

# Restricting the alphabet keeps ids safe in URLs, keyring entry names and the RTMP address.
# A call id is at most 64 characters (the spec's maxLength on the call `id`, docs/getstream.md
# "Ids"); user ids and API keys keep the looser 255.
_ID = re.compile(r"[A-Za-z0-9_-]+")
_MAX_ID = 255
MAX_CALL_ID = 64
# Storage names are the app's own labels for its external storages; dots are common there.
_STORAGE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


class NotSetUp(StreamdeskError):
    """No account, or the account's secret is missing from the keyring."""


class NotProvisioned(StreamdeskError):
    """The livestream has not been provisioned on this machine yet."""


class GoLiveStuck(StreamdeskError):
    """GetStream accepted go_live but the call never showed as live."""


class NoIngest(StreamdeskError):
    """GetStream does not see the broadcaster in the call: going live would show an empty call."""


# ---------------------------------------------------------------------------------------------
# Results and options
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProvisionResult:
    call_cid: str
    rtmps_url: str
    chat_cid: str
    key_expires_at: float | None  # Unix seconds; the key itself stays in the keyring
    call: CallState | None = None  # None after an offline key rotation
    #: set when the call type does not let hosts join backstage (GetStream would refuse OBS there)
    call_type_notice: str | None = None


@dataclass(frozen=True)
class LiveResult:
    call: CallState
    session: Session
    waited_s: float
    notices: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
def validate_id(value: str | None, what: str, max_len: int = _MAX_ID) -> str:
    """A GetStream id (user id, API key: 1-255; call id: 1-64) of ``A-Z a-z 0-9 _ -``."""
    return _validate_name(value, what, _ID, "letters, digits, '_' and '-'", max_len)


def validate_call_id(value: str | None) -> str:
    return validate_id(value, "call id", MAX_CALL_ID)


def _validate_name(value: str | None, what: str, alphabet: re.Pattern[str], allowed: str,
                   max_len: int = _MAX_ID) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"The {what} is empty.", hint=f"Enter the {what}.")
    if JWT.match(text):
        raise InvalidInput(f"The {what} looks like a token (a JWT), which is a secret and never goes in "
                           "this field.", hint=f"Enter the {what} itself ({allowed}).")
    if len(text) > max_len:
        raise InvalidInput(f"The {what} is {len(text)} characters long; GetStream allows at most {max_len}.")
    if not alphabet.fullmatch(text):
        bad = sorted({c for c in text if not alphabet.fullmatch(c)})
        shown = " ".join(repr(c) for c in bad[:5])
        raise InvalidInput(f"The {what} {text[:60]!r} contains {shown}; use only {allowed}.")
    return text


def validate_storage_name(value: str | None, what: str) -> str | None:
    """An optional external storage name (recording / transcription); blank means the default."""
    if value is None or not value.strip():
        return None
    return _validate_name(value, what, _STORAGE_NAME, "letters, digits, '.', '_' and '-'")


def validate_api_base(value: str) -> str:
    """The GetStream base URL rule (https except on loopback): ``core.paths.check_api_base``,
    where the account form can reach it without importing the HTTP stack."""
    return check_api_base(value)


def validate_secret(value: str | None) -> str:
    # Pasting adds stray newlines and spaces; a GetStream secret never contains whitespace.
    text = (value or "").strip()
    if not text:
        raise InvalidInput("The API secret is empty.", hint="Copy it from the GetStream dashboard.")
    if any(c.isspace() for c in text):
        raise InvalidInput("The API secret contains spaces; it was probably pasted incompletely.",
                           hint="Copy it again from the GetStream dashboard.")
    if JWT.match(text):
        raise InvalidInput("The API secret looks like a token (a JWT, such as the stream key), not the "
                           "API secret.", hint="Copy the secret from the GetStream dashboard's API keys.")
    return text


def validate_key_ttl(hours: float | None) -> float:
    ttl = DEFAULT_KEY_TTL_HOURS if hours is None else float(hours)
    if not (0 < ttl <= MAX_KEY_TTL_HOURS) or ttl != ttl:
        raise InvalidInput(f"The key lifetime {hours} h is out of range; use more than 0 and at most "
                              f"{MAX_KEY_TTL_HOURS:.0f} hours (default {DEFAULT_KEY_TTL_HOURS:.0f}).")
    return ttl


def validate_join_ahead(seconds: int | None) -> int | None:
    if seconds is None:
        return None
    if not 0 <= seconds <= MAX_JOIN_AHEAD_SECONDS:
        raise InvalidInput(f"The join-ahead time {seconds} s is out of range; use 0 to "
                           f"{MAX_JOIN_AHEAD_SECONDS} seconds.")
    return seconds


def parse_starts_at(value: datetime | str | None) -> datetime | None:
    """An ISO 8601 time → aware UTC; a time without an offset is taken as this computer's local time."""
    if value is None or isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"The start time {value[:40]!r} is not an ISO 8601 date and time.",
                               hint="For example 2030-01-01T20:00:00+01:00.") from None
    if parsed is None:
        return None
    return (parsed.astimezone() if parsed.tzinfo is None else parsed).astimezone(UTC)


def derive_call_id(user_id: str) -> str:
    """The default call id: one stable livestream per broadcaster, within GetStream's 64. A long
    user id is cut and a short hash of the whole id keeps two such users apart."""
    whole = f"{user_id}-live"
    if len(whole) <= MAX_CALL_ID:
        return whole
    digest = hashlib.sha256(user_id.encode()).hexdigest()[:8]
    return f"{user_id[:MAX_CALL_ID - len(digest) - 6]}-{digest}-live"


# ---------------------------------------------------------------------------------------------
# Account and client
# ---------------------------------------------------------------------------------------------
def save_account(ctx: AppContext, *, api_key: str, api_secret: str | None, user_id: str,
                 call_id: str | None = None, api_base: str | None = None) -> ChannelConfig:
    """Validate and save the account: the secret to the keyring, the rest to the store.

    ``api_secret=None`` keeps the secret already in the keyring for this API key (changing the
    user or call id should not require pasting the secret again). Switching to another API key,
    user or call forgets the old provisioning, which belonged to the old call."""
    api_key = validate_id(api_key, "API key")
    user_id = validate_id(user_id, "user id")
    call_id = validate_call_id(call_id) if call_id and call_id.strip() else derive_call_id(user_id)
    base = validate_api_base(api_base) if api_base and api_base.strip() else ""
    secret = validate_secret(api_secret) if api_secret is not None else None
    if secret is None and not ctx.secrets.get(SecretKind.API_SECRET, api_key):
        raise NotSetUp(f"No API secret is stored for API key {api_key}.",
                       hint="Hand it in with STREAMDESK_API_SECRET or --secret-stdin.")
    old = ctx.store.channel()
    same_call = (old.api_key, old.user_id, old.call_id) == (api_key, user_id, call_id)
    if not same_call and old.call_cid and ctx.store.open_session(old.call_cid) is not None:
        # switching would forget the provisioning of a call that may be on air: nothing could
        # stop it from here any more (the GUI's flow refuses this too)
        raise LiveNow(f"A live session of {old.call_cid} is still open: end it before switching to "
                      "another account or call.",
                      hint="Run streamdesk stop (it also closes a session left open after a show).")
    # The keyring first: if it is locked or missing, nothing is half-saved.
    if secret is not None:
        ctx.secrets.set(SecretKind.API_SECRET, secret, api_key)
    channel = old if same_call else ChannelConfig()
    channel = replace(channel, api_key=api_key, user_id=user_id, call_id=call_id,
                      api_base=base or old.api_base)
    ctx.store.save_channel(channel)
    return channel


def require_account(ctx: AppContext) -> ChannelConfig:
    channel = ctx.store.channel()
    if not channel.has_account:
        raise NotSetUp("No GetStream account is set up yet.",
                       hint="Run: STREAMDESK_API_SECRET=… streamdesk setup --api-key KEY --user-id USER")
    return channel


def require_provisioned(ctx: AppContext) -> ChannelConfig:
    channel = require_account(ctx)
    if not channel.is_provisioned:
        raise NotProvisioned(f"The livestream {channel.call_cid} is not provisioned on this computer yet.",
                             hint="Run: streamdesk provision")
    return channel


def client(ctx: AppContext, *, timeout: float = 10.0, max_retries: int = 4,
           sleep: Callable[[float], None] = time.sleep,
           clock: Callable[[], float] = time.time) -> GetStreamClient:
    """A client for the saved account (the caller closes it; use it as a context manager)."""
    channel = require_account(ctx)
    # A script's STREAMDESK_API_SECRET wins (CI machines may have no keyring); else the keyring.
    secret: str | None = os.environ.get(API_SECRET_ENV, "").strip()
    if secret:
        register_secret(secret)  # the keyring path registers on read; this one must do it itself
    else:
        secret = ctx.secrets.get(SecretKind.API_SECRET, channel.api_key)
    if not secret:
        raise NotSetUp(f"The API secret for API key {channel.api_key} is not in the keyring.",
                       hint="Run streamdesk setup again with STREAMDESK_API_SECRET or --secret-stdin.")
    base = validate_api_base(ctx.api_base())
    return GetStreamClient(channel.api_key, secret, base_url=base, timeout=timeout,
                           max_retries=max_retries, sleep=sleep, clock=clock)


# ---------------------------------------------------------------------------------------------
# Provisioning and the stream key
# ---------------------------------------------------------------------------------------------
def provision(ctx: AppContext, *, join_ahead: int | None = None, starts_at: datetime | str | None = None,
              key_ttl_hours: float | None = None, display_name: str | None = None) -> ProvisionResult:
    """Create (or find) the broadcaster user, the call and its chat channel, then mint the key.

    Touches nothing else in the app (docs/getstream.md "Provisioning"): the user is created only
    when QueryUsers finds none, otherwise only ``display_name`` (when given) is set with a partial
    update; backstage and join-ahead go on the call (``settings_override``); the call type is only
    read, and a missing join-backstage grant for hosts is reported, never fixed here (see
    ``core.call_type_settings``). Provisioning again is safe and repairs a partial run."""
    channel = require_account(ctx)
    validate_call_id(channel.call_id)  # a call id saved before the 64 limit: refused before any request
    join_ahead = validate_join_ahead(join_ahead)
    start = parse_starts_at(starts_at)
    ttl_hours = validate_key_ttl(key_ttl_hours)
    name = display_name.strip() if display_name and display_name.strip() else None
    if name is not None and len(name) > 200:
        raise InvalidInput("The display name is longer than 200 characters.")
    from streamdesk.core import call_type_settings

    with client(ctx) as gs:
        _refuse_while_live(ctx, channel, gs, "provisioning again")
        user = gs.query_user(channel.user_id)
        if user is None:
            gs.create_user(channel.user_id, name)
        elif name is not None and user.name != name:
            gs.update_user_partial(channel.user_id, {"name": name})
        call_type = gs.get_call_type(channel.call_type)
        notice = (None if call_type_settings.host_may_join_backstage(call_type)
                  else call_type_settings.MISSING_GRANT.format(name=channel.call_type))
        call = gs.get_or_create_call(channel.call_type, channel.call_id, created_by_id=channel.user_id,
                                     starts_at=start, join_ahead_seconds=join_ahead)
        if call.ended_at is not None:
            raise StreamdeskError(f"The call {call.cid} was ended for everyone and cannot go live again.",
                                  hint="Choose a new call id: streamdesk setup --call-id NEW_ID …")
        # GetOrCreateCall ignores `data` for a call that already exists (docs/getstream.md
        # "Provisioning"): apply a changed schedule with UpdateCall instead of keeping the old one.
        if (start is not None and call.starts_at != start) or (
            join_ahead is not None and call.join_ahead_time_seconds != join_ahead
        ):
            call = gs.update_call(channel.call_type, channel.call_id, starts_at=start,
                                  join_ahead_seconds=join_ahead)
        chat_cid = gs.get_or_create_channel(CHAT_CHANNEL_TYPE, channel.call_id, created_by_id=channel.user_id)
        if not call.rtmp_address:
            raise ProtocolError(f"GetStream returned no RTMP ingress address for {call.cid}.")
        key, exp = gs.user_token(channel.user_id, ttl_hours * 3600)
    ctx.secrets.set(SecretKind.STREAM_KEY, key, channel.call_cid)
    channel = replace(ctx.store.channel(), chat_cid=chat_cid, rtmps_url=call.rtmp_address,
                      key_expires_at=float(exp) if exp else None, provisioned_at=time.time())
    ctx.store.save_channel(channel)
    return ProvisionResult(call.cid, call.rtmp_address, chat_cid, channel.key_expires_at, call, notice)


def stream_key(ctx: AppContext) -> str:
    channel = require_provisioned(ctx)
    key = ctx.secrets.get(SecretKind.STREAM_KEY, channel.call_cid)
    if not key:
        raise NotProvisioned(f"There is no stream key for {channel.call_cid} in the keyring.",
                             hint="Mint one with: streamdesk key --rotate")
    return key


def rotate_key(ctx: AppContext, key_ttl_hours: float | None = None) -> ProvisionResult:
    """Mint a fresh stream key (no network needed: it is a JWT signed with the API secret).

    The previous key stays valid until it expires: GetStream has no per-token revocation short
    of revoking every token of the user, which would also cut off the broadcaster's apps."""
    channel = require_provisioned(ctx)
    ttl_hours = validate_key_ttl(key_ttl_hours)
    # no retries: the only request is the on-air check, and the streamer can simply try again
    with client(ctx, max_retries=0) as gs:
        _refuse_while_live(ctx, channel, gs, "rotating the stream key")
        key, exp = gs.user_token(channel.user_id, ttl_hours * 3600)
    ctx.secrets.set(SecretKind.STREAM_KEY, key, channel.call_cid)
    channel = replace(channel, key_expires_at=float(exp) if exp else None)
    ctx.store.save_channel(channel)
    return ProvisionResult(channel.call_cid, channel.rtmps_url, channel.chat_cid, channel.key_expires_at)


class LiveNow(StreamdeskError):
    """The call is on air: an operation that would replace its key or settings is refused."""


def _refuse_while_live(ctx: AppContext, channel: ChannelConfig, gs: GetStreamClient, what: str) -> None:
    """Refuse ``what`` while the show is on air: the keyring would hold a key OBS does not use (a
    later Configure or reconnect would switch keys mid-show) and provisioning rewrites the call.
    The GUI's flow already refuses it; this is the same rule for the CLI and any other caller.

    Offline first: with no open session row the call is not live as far as we know, and no request
    is made (rotation stays offline). An open row is confirmed with GetCall, because a row can
    outlive its show (the app was closed when it ended); if GetStream cannot answer, refuse."""
    if ctx.store.open_session(channel.call_cid) is None:
        return
    try:
        live = gs.get_call(channel.call_type, channel.call_id).is_live
    except NotFoundError:
        return
    except GetStreamError as e:
        log.info("could not confirm the call is off air: %s", type(e).__name__)
        raise LiveNow(f"Not {what}: a live session of {channel.call_cid} is still open and GetStream could "
                      "not confirm the show has ended.",
                      hint="Check your connection, or end the stream first (streamdesk stop).") from None
    if live:
        raise LiveNow(f"The call {channel.call_cid} is live: end the stream before {what}.",
                      hint="OBS keeps streaming with its current key; run streamdesk stop after the show.")


def fetch_call(ctx: AppContext, *, timeout: float = 10.0, max_retries: int = 4) -> CallState | None:
    """The call as GetStream sees it now; None when there is no account or no such call."""
    channel = ctx.store.channel()
    if not channel.has_account:
        return None
    with client(ctx, timeout=timeout, max_retries=max_retries) as gs:
        try:
            return gs.get_call(channel.call_type, channel.call_id)
        except NotFoundError:
            return None


# ---------------------------------------------------------------------------------------------
# Live
# ---------------------------------------------------------------------------------------------
def go_live(ctx: AppContext, options: GoLiveOptions = GoLiveOptions(), *, timeout: float = 30.0,
            poll_interval: float = 1.0, sleep: Callable[[float], None] = time.sleep,
            clock: Callable[[], float] = time.monotonic, gs: GetStreamClient | None = None,
            announce: bool = True, check_ingest: bool = False) -> LiveResult:
    """Take the call out of backstage, confirmed from GoLive's own answer.

    GoLive returns the call: ``backstage`` false on a call not ended is the confirmation
    (docs/getstream.md "Live"), so a healthy go-live costs one request. Only when that answer is
    unreadable or still shows backstage is GetCall polled until ``timeout``. The session row opens
    only then, so history never records a show that did not happen. ``gs`` is an already-open
    client to use (the caller keeps ownership). ``announce=False`` leaves the Discord message to
    the caller; then call ``announce(ctx, "live", result.session)``. ``check_ingest``: first refuse
    (``NoIngest``, no GoLive sent) unless GetStream sees the broadcaster or the call is already live."""
    channel = require_provisioned(ctx)
    recording_storage = validate_storage_name(options.recording_storage, "recording storage name")
    transcription_storage = validate_storage_name(options.transcription_storage, "transcription storage name")
    start = clock()
    with _use(gs) if gs is not None else client(ctx, sleep=sleep) as gs:
        if check_ingest:
            now = gs.get_call(channel.call_type, channel.call_id)
            if now.ended_at is not None:
                raise _stuck(channel, now, 0)  # ended for everyone: that, not ingest, is the cause
            if not now.is_live and not now.has_participant(channel.user_id):
                raise NoIngest(NO_INGEST, hint=f"Start streaming in OBS to {channel.rtmps_url} with the "
                               "stream key (streamdesk obs configure, streamdesk obs start), or pass "
                               "--skip-ingest-check.")
        try:
            call = gs.go_live(channel.call_type, channel.call_id, hls=options.hls,
                              recording=options.recording, captions=options.captions,
                              transcription=options.transcription,
                              recording_storage=recording_storage,
                              transcription_storage=transcription_storage)
        except ProtocolError as e:
            # GoLive was answered but its reply was unreadable: the call may well be live.
            log.warning("unreadable GoLive reply (%s); confirming with GetCall", e.message)
            call = gs.get_call(channel.call_type, channel.call_id)
        while not call.is_live:
            if call.ended_at is not None or clock() - start >= timeout:
                raise _stuck(channel, call, timeout)
            sleep(poll_interval)
            call = gs.get_call(channel.call_type, channel.call_id)
    started = call.live_started_at.timestamp() if call.live_started_at else time.time()
    session = live.open_session(ctx, channel.call_cid, started, call.session_id)
    sent = _announce(ctx, "live", session) if announce else None
    notices = tuple(n for n in (_key_expiry_notice(channel), sent) if n)
    return LiveResult(call, session, clock() - start, notices)


def ingest_seen(ctx: AppContext, *, call: CallState | None = None, gs: GetStreamClient | None = None,
                timeout: float = 10.0) -> bool:
    """Does GetStream receive the broadcaster's stream? True when the broadcaster's user id is
    among the call session's participants (the RTMP publisher joins as that user; docs/getstream.md
    "Ingest"). ``call``: a GetCall answer already at hand (no request then)."""
    channel = require_provisioned(ctx)
    if call is None:
        with _use(gs) if gs is not None else client(ctx, timeout=timeout) as c:
            call = c.get_call(channel.call_type, channel.call_id)
    return call.has_participant(channel.user_id)


NO_INGEST = ("GetStream does not receive your stream yet: OBS is not publishing to this call, so going "
             "live would show viewers an empty call.")


#: warn at go-live when the key would expire within this many hours of the show's start
KEY_EXPIRY_WARNING_HOURS = 4.0


def _key_expiry_notice(channel: ChannelConfig, now: float | None = None) -> str | None:
    """OBS keeps the key it has; if that expires during the show, the next reconnect (any network
    blip) is refused and OBS retries forever. Say so while there is still time to act."""
    if channel.key_expires_at is None:
        return None
    left = channel.key_expires_at - (time.time() if now is None else now)
    if left > KEY_EXPIRY_WARNING_HOURS * 3600:
        return None
    if key_expired(channel.key_expires_at, now):
        return ("The stream key has expired: if OBS reconnects it will be refused. After the show, run "
                "streamdesk key --rotate and streamdesk obs configure.")
    return (f"The stream key expires in {int(left // 60)} min: a reconnect after that is refused. "
            "After the show, run streamdesk key --rotate and streamdesk obs configure.")


@contextmanager
def _use(gs: GetStreamClient) -> Iterator[GetStreamClient]:
    yield gs  # borrowed: not closed here


def _stuck(channel: ChannelConfig, call: CallState, timeout: float) -> GoLiveStuck:
    if call.ended_at is not None:
        return GoLiveStuck(f"The call {call.cid} has been ended for everyone, so it cannot go live.",
                           hint="Choose a new call id with streamdesk setup --call-id, then provision.")
    checks = ["that OBS is streaming (streamdesk obs status)",
              f"that OBS's server is {channel.rtmps_url}"]
    if channel.key_expires_at is not None and key_expired(channel.key_expires_at):
        expired = datetime.fromtimestamp(channel.key_expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        checks.append(f"the stream key, which expired at {expired} (streamdesk key --rotate, then "
                      "streamdesk obs configure)")
    else:
        checks.append("that OBS has the current stream key (streamdesk obs configure)")
    # name what was observed: whether GetStream has the broadcaster in the call at all
    seen = ("" if call.has_participant(channel.user_id)
            else ", and it does not receive your stream (you are not in the call)")
    return GoLiveStuck(f"GetStream still shows {call.cid} in backstage {timeout:.0f} s after go live{seen}.",
                       hint="Check " + "; ".join(checks) + ".")


def stop_live(ctx: AppContext, options: StopOptions = StopOptions(), *,
              notices: list[str] | None = None, announce: bool = True) -> Session | None:
    """Back to backstage; closes the open session row (if any) at GetStream's ``live_ended_at``.
    ``announce=False``: no Discord message here (the caller sends it, see ``go_live``)."""
    channel = require_provisioned(ctx)
    with client(ctx) as gs:
        call = gs.stop_live(channel.call_type, channel.call_id, continue_hls=options.continue_hls,
                            continue_recording=options.continue_recording,
                            continue_captions=options.continue_captions,
                            continue_transcription=options.continue_transcription)
    ended_at = call.live_ended_at.timestamp() if call.live_ended_at else time.time()
    return _finish_session(ctx, channel, ended_at, "stopped", notices, announce)


def end(ctx: AppContext, *, mark_ended: bool = False, stop_obs: bool = True,
        notices: list[str] | None = None) -> Session | None:
    """The normal end of a show: stop live (then mark the call ended if asked), then stop OBS.

    Live stops first so viewers see a clean cut to backstage rather than a frozen last frame."""
    channel = require_provisioned(ctx)
    session = stop_live(ctx, StopOptions(), notices=notices)
    if mark_ended:
        with client(ctx) as gs:
            gs.end_call(channel.call_type, channel.call_id)
    if stop_obs:
        _stop_obs(ctx, notices)
    return session


def command_budget() -> float:
    """The total time a user-facing command (``status``, force end) may take: 10 s, or
    ``STREAMDESK_BUDGET_S`` (tests shorten it; a value that is not a positive finite number is
    ignored)."""
    try:
        value = float(os.environ.get(BUDGET_ENV, ""))
    except ValueError:
        return DEFAULT_BUDGET_S
    return value if math.isfinite(value) and 0 < value <= 600 else DEFAULT_BUDGET_S


def force_end(ctx: AppContext, *, mark_ended: bool = False, stop_obs: bool = True,
              notices: list[str] | None = None, announce: bool = True,
              budget: float | None = None) -> Session | None:
    """End now, whatever anyone believes the state is: stop_live (and mark_ended if asked) without
    waiting for any confirmation, close the local session row, stop OBS.

    The whole thing fits in ``budget`` (default :func:`command_budget`): GetStream gets one
    attempt within half of it and no rate-limit wait; the local row is closed and OBS stopped
    whatever GetStream did (hung, 429, garbage); Discord gets what is left. A server failure is
    raised at the end, after the local cleanup, so the streamer knows GetStream may still show
    the call live."""
    budget = command_budget() if budget is None else budget
    deadline = time.monotonic() + budget
    channel = require_account(ctx)
    failure: StreamdeskError | None = None
    ended_at = time.time()
    try:
        gs_deadline = time.monotonic() + budget / 2
        with client(ctx, timeout=budget / 2, max_retries=0) as gs:
            try:
                call = gs.stop_live(channel.call_type, channel.call_id)
                if call.live_ended_at:
                    ended_at = min(time.time(), call.live_ended_at.timestamp())
            except GetStreamError as e:
                failure = e
            if mark_ended:
                gs.timeout = max(0.1, gs_deadline - time.monotonic())
                try:
                    gs.end_call(channel.call_type, channel.call_id)
                except GetStreamError as e:
                    failure = failure or e
    except StreamdeskError as e:  # no secret in the keyring, keyring locked, a refused base URL …
        failure = e
    except Exception as e:  # a bug must not keep the row open or OBS streaming: clean up, then raise
        log.exception("force end: GetStream step failed")
        failure = StreamdeskError(f"Could not tell GetStream to stop ({type(e).__name__}).")
    # the row's last chat is counted within a third of what is left; then OBS and Discord
    session = _finish_session(ctx, channel, ended_at, "force_end", notices, announce=False,
                              budget_s=max(0.0, deadline - time.monotonic()) / 3)
    if stop_obs:
        _stop_obs(ctx, notices)
    left = deadline - time.monotonic()
    if announce and session is not None:
        if left >= 1.0:
            note = _announce(ctx, "ended", session, budget_s=left, timeout=min(5.0, left))
        else:
            note = "Discord was not told: the force end used its whole time budget."
        if note and notices is not None:
            notices.append(note)
    if failure is not None:
        note = " The local session was closed, but GetStream may still show the call live."
        if notices:  # the error is all a CLI prints: what did happen (OBS stopped…) goes with it
            note += " " + " ".join(notices)
        if isinstance(failure, GetStreamError):
            raise type(failure)(failure.message + note, status=failure.status, code=failure.code,
                                api_message=failure.api_message, hint=failure.hint)
        kind = InvalidInput if isinstance(failure, InvalidInput) else StreamdeskError
        raise kind(failure.message + note, hint=failure.hint)
    return session


def _finish_session(ctx: AppContext, channel: ChannelConfig, ended_at: float, reason: str,
                    notices: list[str] | None, announce: bool = True,
                    budget_s: float | None = None) -> Session | None:
    """The session API closes the row with its final chat count; then Discord hears the totals."""
    session = live.finish_session(ctx, channel.call_cid, ended_at=ended_at, reason=reason, budget_s=budget_s)
    if session is None:
        return None
    notice = _announce(ctx, "ended", session) if announce else None
    if notice and notices is not None:
        notices.append(notice)
    return session


def announce(ctx: AppContext, kind: Literal["live", "ended"], session: Session) -> str | None:
    """The Discord go-live / end message for ``session`` (blocking, up to discord's 15 s budget;
    never raises). ``None`` when sent or not configured, else a notice for the streamer."""
    return _announce(ctx, kind, session)


def _announce(ctx: AppContext, kind: Literal["live", "ended"], session: Session,
              **send_options: float) -> str | None:
    from streamdesk.core import discord  # lazy: only a show that starts or ends needs it

    return discord.announce(ctx, kind, session, **send_options)


def _stop_obs(ctx: AppContext, notices: list[str] | None) -> None:
    from streamdesk.core import obs_ops  # lazy: the OBS client only when OBS is to be stopped

    note: str | None
    try:
        note = obs_ops.stop_quietly(ctx)
    except Exception as e:  # stop_quietly promises not to raise; a bug there must not hide the end
        log.warning("obs stop_quietly raised %s", type(e).__name__)
        note = f"OBS may still be streaming ({type(e).__name__}); stop it in OBS."
    if note and notices is not None:
        notices.append(note)
