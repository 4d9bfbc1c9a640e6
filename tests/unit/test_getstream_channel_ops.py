"""channel_ops without the network: validation, the account in store + keyring, offline key rotation.

The keyring is the in-memory backend (autouse ``memory_keyring``); the store is a real SQLite file
in the test's STREAMDESK_HOME."""

from __future__ import annotations

import copy
import json
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import jwt
import pytest

from streamdesk.core import channel_ops as ops
from streamdesk.core.context import AppContext
from streamdesk.core.errors import InvalidInput, StreamdeskError
from streamdesk.core.getstream import GetStreamClient
from streamdesk.core.keys import mask_key as mask
from streamdesk.core.secrets import SecretKind

SECRET = "demo-secret-0123456789abcdef0123456789"


@pytest.fixture
def ctx() -> AppContext:
    return AppContext()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "The call id is empty."),
        ("   ", "The call id is empty."),
        ("x" * 256, "256 characters long; GetStream allows at most 255"),
        ("my show", "contains ' '"),
        ("show/1", "contains '/'"),
        ("émission", "contains 'é'"),
    ],
)
def test_bad_ids_get_a_specific_message(value: str, message: str) -> None:
    with pytest.raises(StreamdeskError) as info:
        ops.validate_id(value, "call id")
    assert message in str(info.value)


def test_good_ids_pass_trimmed() -> None:
    assert ops.validate_id("  show_1-A  ", "call id") == "show_1-A"
    assert ops.validate_id("x" * 255, "call id") == "x" * 255


@pytest.mark.parametrize("url", ["ftp://gs.test", "chat.stream-io-api.com", "https://", "https://u:p@gs.test"])
def test_api_base_must_be_plain_http_or_https(url: str) -> None:
    with pytest.raises(StreamdeskError, match="API base URL"):
        ops.validate_api_base(url)


def test_api_base_is_normalised() -> None:
    assert ops.validate_api_base(" http://127.0.0.1:8080/ ") == "http://127.0.0.1:8080"


@pytest.mark.parametrize(("value", "message"), [("", "empty"), (" \n", "empty"), ("abc def", "spaces")])
def test_bad_secrets_are_refused(value: str, message: str) -> None:
    with pytest.raises(StreamdeskError, match=message):
        ops.validate_secret(value)


def test_pasted_secret_whitespace_is_trimmed() -> None:
    assert ops.validate_secret(f"  {SECRET}\n") == SECRET


@pytest.mark.parametrize("hours", [0, -1, 24 * 366, float("nan")])
def test_key_ttl_out_of_range(hours: float) -> None:
    with pytest.raises(StreamdeskError, match="key lifetime"):
        ops.validate_key_ttl(hours)


def test_starts_at_parsing() -> None:
    assert ops.parse_starts_at("2030-01-01T20:00:00+01:00") == datetime(2030, 1, 1, 19, tzinfo=UTC)
    assert ops.parse_starts_at("2030-01-01T19:00:00Z") == datetime(2030, 1, 1, 19, tzinfo=UTC)
    naive = ops.parse_starts_at("2030-01-01T19:00:00")
    assert naive is not None and naive.tzinfo is UTC
    assert naive == datetime(2030, 1, 1, 19).astimezone().astimezone(UTC)
    tz = timezone(timedelta(hours=-5))
    assert ops.parse_starts_at(datetime(2030, 1, 1, 14, tzinfo=tz)) == datetime(2030, 1, 1, 19, tzinfo=UTC)
    with pytest.raises(StreamdeskError, match="not an ISO 8601"):
        ops.parse_starts_at("next friday")


def test_mask_shows_only_the_last_four() -> None:
    assert mask("eyJhbGciOiJIUzI1NiJ9.payload.sig-ABCD") == "••••••••ABCD"
    assert "ABCD" not in mask("ABCD")


def test_save_account_puts_the_secret_in_the_keyring_only(ctx: AppContext, memory_keyring) -> None:
    channel = ops.save_account(ctx, api_key="key1", api_secret=f" {SECRET}\n", user_id="host-1")
    assert channel.call_id == "host-1-live" and channel.call_cid == "livestream:host-1-live"
    assert ctx.secrets.get(SecretKind.API_SECRET, "key1") == SECRET
    assert SECRET not in ctx.paths.database.read_bytes().decode("latin-1")
    assert ctx.store.channel() == channel


def test_save_account_validates_everything_before_storing_anything(ctx: AppContext, memory_keyring) -> None:
    with pytest.raises(StreamdeskError, match="user id"):
        ops.save_account(ctx, api_key="key1", api_secret=SECRET, user_id="bad user")
    assert memory_keyring.entries == {} and not ctx.store.channel().has_account


def test_save_account_without_a_secret_keeps_the_stored_one(ctx: AppContext) -> None:
    with pytest.raises(ops.NotSetUp, match="No API secret is stored for API key key1"):
        ops.save_account(ctx, api_key="key1", api_secret=None, user_id="host-1")
    ops.save_account(ctx, api_key="key1", api_secret=SECRET, user_id="host-1")
    ops.save_account(ctx, api_key="key1", api_secret=None, user_id="host-1", call_id="show-2")
    assert ctx.store.channel().call_id == "show-2"
    assert ctx.secrets.get(SecretKind.API_SECRET, "key1") == SECRET


def test_changing_the_call_forgets_the_old_provisioning(ctx: AppContext) -> None:
    ops.save_account(ctx, api_key="key1", api_secret=SECRET, user_id="host-1", call_id="show-1")
    ctx.store.save_channel(replace(ctx.store.channel(), rtmps_url="rtmps://x/y", provisioned_at=1.0))
    ops.save_account(ctx, api_key="key1", api_secret=None, user_id="host-1", call_id="show-1")
    assert ctx.store.channel().is_provisioned  # same call: kept
    ops.save_account(ctx, api_key="key1", api_secret=None, user_id="host-1", call_id="show-2")
    assert not ctx.store.channel().is_provisioned


def test_operations_say_what_to_do_first(ctx: AppContext) -> None:
    with pytest.raises(ops.NotSetUp, match="No GetStream account"):
        ops.provision(ctx)
    ops.save_account(ctx, api_key="key1", api_secret=SECRET, user_id="host-1")
    with pytest.raises(ops.NotProvisioned, match="not provisioned"):
        ops.go_live(ctx)
    with pytest.raises(ops.NotProvisioned, match="not provisioned"):
        ops.stream_key(ctx)


def test_client_needs_the_secret_in_the_keyring(ctx: AppContext, memory_keyring) -> None:
    ops.save_account(ctx, api_key="key1", api_secret=SECRET, user_id="host-1")
    memory_keyring.entries.clear()
    with pytest.raises(ops.NotSetUp, match="not in the keyring"):
        ops.client(ctx)


def test_rotate_key_mints_a_user_jwt_offline(ctx: AppContext) -> None:
    ops.save_account(ctx, api_key="key1", api_secret=SECRET, user_id="host-1",
                     api_base="http://127.0.0.1:9")  # nothing listens there: rotation needs no network
    ctx.store.save_channel(replace(ctx.store.channel(), rtmps_url="rtmps://x/y", provisioned_at=1.0))
    before = time.time()
    result = ops.rotate_key(ctx, key_ttl_hours=2)
    key = ops.stream_key(ctx)
    claims = jwt.decode(key, SECRET, algorithms=["HS256"])
    assert claims["user_id"] == "host-1"
    assert claims["exp"] == result.key_expires_at == ctx.store.channel().key_expires_at
    assert before + 2 * 3600 - 2 <= claims["exp"] <= time.time() + 2 * 3600
    assert claims["iat"] <= before
    assert SECRET not in repr(result)


# -- go live confirmation (GetStream scripted at the transport level) ---------------------------------
EXAMPLES = json.loads((Path(__file__).resolve().parents[1] / "data" / "getstream-examples.json").read_text())
LIVE_AT_NS = 1_767_225_661_000_000_000


def _call(*, live: bool) -> dict:
    body = copy.deepcopy(EXAMPLES["GetCallResponse"])
    body["call"]["id"], body["call"]["cid"] = "host-1-live", "livestream:host-1-live"
    if live:
        body["call"]["backstage"] = False
        body["call"]["session"] = {**EXAMPLES["CallSessionResponse"], "id": "sess-9",
                                   "live_started_at": LIVE_AT_NS}
    return body


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def provisioned(ctx: AppContext) -> AppContext:
    ops.save_account(ctx, api_key="key1", api_secret=SECRET, user_id="host-1")
    ctx.store.save_channel(replace(ctx.store.channel(), rtmps_url="rtmps://ingest.test/app",
                                   provisioned_at=1.0, key_expires_at=time.time() + 24 * 3600))
    return ctx


def scripted(answers: list[tuple[str, dict]]) -> tuple[GetStreamClient, list[str]]:
    """A client whose GetStream answers GoLive / GetCall from ``answers`` in order."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path.rsplit("/", 1)[-1])
        name, body = answers.pop(0) if len(answers) > 1 else answers[0]
        status = 201 if request.method == "POST" else 200
        if name == "golive-garbled":
            return httpx.Response(status, content=b'{"call": {"backst')
        if name == "golive":
            body = {"call": body["call"], "duration": "1ms"}
        return httpx.Response(status, json=body)

    gs = GetStreamClient("key1", SECRET, base_url="https://gs.test", transport=httpx.MockTransport(handler))
    return gs, seen


def test_go_live_polls_until_getstream_confirms_then_opens_the_session(provisioned: AppContext) -> None:
    gs, seen = scripted([("golive", _call(live=False)), ("get", _call(live=False)),
                         ("get", _call(live=True))])
    t = FakeTime()
    result = ops.go_live(provisioned, timeout=30, poll_interval=2, sleep=t.sleep, clock=t.clock, gs=gs)
    assert seen == ["go_live", "host-1-live", "host-1-live"]
    assert result.waited_s == 4 and result.call.is_live
    assert result.session.started_at == LIVE_AT_NS / 1e9 and result.session.gs_session_id == "sess-9"
    assert provisioned.store.open_session("livestream:host-1-live") == result.session


def test_go_live_stuck_in_backstage_says_what_to_check(provisioned: AppContext) -> None:
    gs, seen = scripted([("golive", _call(live=False)), ("get", _call(live=False))])
    t = FakeTime()
    with pytest.raises(ops.GoLiveStuck) as info:
        ops.go_live(provisioned, timeout=10, poll_interval=1, sleep=t.sleep, clock=t.clock, gs=gs)
    text = info.value.one_line()
    assert "still shows livestream:host-1-live in backstage 10 s after go live" in text
    assert "OBS is streaming" in text and "rtmps://ingest.test/app" in text and "stream key" in text
    assert len(seen) == 11 and t.now == 1010
    assert provisioned.store.open_session() is None  # no show recorded that did not happen


def test_go_live_stuck_with_an_expired_key_points_at_the_key(provisioned: AppContext) -> None:
    provisioned.store.save_channel(replace(provisioned.store.channel(), key_expires_at=time.time() - 60))
    gs, _ = scripted([("golive", _call(live=False)), ("get", _call(live=False))])
    t = FakeTime()
    with pytest.raises(ops.GoLiveStuck) as info:
        ops.go_live(provisioned, timeout=3, sleep=t.sleep, clock=t.clock, gs=gs)
    assert re.search(r"stream key, which expired at .* key --rotate", info.value.one_line())


def test_an_unreadable_go_live_reply_is_confirmed_with_get_call(provisioned: AppContext) -> None:
    gs, seen = scripted([("golive-garbled", {}), ("get", _call(live=True))])
    t = FakeTime()
    result = ops.go_live(provisioned, sleep=t.sleep, clock=t.clock, gs=gs)
    assert seen == ["go_live", "host-1-live"] and result.call.is_live and result.session.is_open


def test_go_live_warns_when_the_key_expires_during_the_show(provisioned: AppContext) -> None:
    gs, _ = scripted([("golive", _call(live=True))])
    t = FakeTime()
    assert ops.go_live(provisioned, sleep=t.sleep, clock=t.clock, gs=gs).notices == ()
    provisioned.store.save_channel(replace(provisioned.store.channel(), key_expires_at=time.time() + 1800))
    notices = ops.go_live(provisioned, sleep=t.sleep, clock=t.clock, gs=gs).notices
    assert len(notices) == 1 and re.search(r"expires in (29|30) min", notices[0])
    assert "key --rotate" in notices[0]


def test_go_live_is_confirmed_by_backstage_false_without_live_started_at(provisioned: AppContext) -> None:
    # GoLive's own answer says backstage false; no live_started_at (undocumented when set): live now,
    # with no GetCall poll after it
    answer = _call(live=True)
    answer["call"]["session"]["live_started_at"] = None
    gs, seen = scripted([("golive", answer)])
    t = FakeTime()
    result = ops.go_live(provisioned, timeout=30, poll_interval=2, sleep=t.sleep, clock=t.clock, gs=gs)
    assert seen == ["go_live"] and result.call.is_live and result.session.started_at > 0


def test_a_derived_call_id_stays_within_64_and_apart() -> None:
    a, b = ops.derive_call_id("u" * 100), ops.derive_call_id("u" * 99 + "v")
    assert len(a) <= 64 and len(b) <= 64 and a != b
    assert ops.derive_call_id("host-1") == "host-1-live"
    assert ops.validate_call_id(a) == a
    with pytest.raises(InvalidInput):
        ops.validate_call_id("c" * 65)
