"""GetStream client at the transport level: auth, tokens, parsing, errors, retries.

``httpx.MockTransport`` stands in for the network (not for our code): each test scripts what
GetStream answers and checks what the client sent and what it made of the reply."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
import pytest

from streamdesk.core import getstream as gs
from streamdesk.core.getstream import (
    AuthError,
    GetStreamClient,
    InputError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    ServerError,
)

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLES = json.loads((DATA / "getstream-examples.json").read_text())
SECRET = "s3cret-for-tests-0123456789abcdef"
NOW = 1_767_225_600.0


def call_body(**call_changes: object) -> dict:
    body = copy.deepcopy(EXAMPLES["GetCallResponse"])
    body["call"].update(call_changes)
    return body


def api_error(status: int, code: int, message: str) -> dict:
    return {"StatusCode": status, "code": code, "message": message, "duration": "0",
            "more_info": "https://getstream.io/chat/docs/api_errors_response", "details": []}


Answer = tuple[int, object, dict[str, str]] | Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers requests from a list of (status, body, headers) in order, recording each request."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if callable(answer):
            return answer(request)
        status, body, headers = answer
        if isinstance(body, bytes | str):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(script: Script, sleeps: Sleeps | None = None, **kw: object) -> GetStreamClient:
    return GetStreamClient("key-1", SECRET, base_url="https://gs.test", transport=httpx.MockTransport(script),
                           sleep=sleeps if sleeps is not None else Sleeps(), clock=lambda: NOW, **kw)


# -- auth and tokens ------------------------------------------------------------------------------
def test_every_request_carries_api_key_raw_server_jwt_and_auth_type() -> None:
    script = Script((200, call_body(), {}))
    make_client(script).get_call("livestream", "show-1")
    req = script.requests[0]
    assert req.url.params["api_key"] == "key-1"
    assert req.headers["stream-auth-type"] == "jwt"
    token = req.headers["authorization"]
    assert not token.lower().startswith("bearer")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    # Server token: signed with the secret, no user_id (server-side = all permissions).
    assert jwt.decode(token, SECRET, algorithms=["HS256"]) == {"server": True}


def test_user_token_is_the_broadcasters_jwt_with_backdated_iat_and_exp() -> None:
    client = make_client(Script((200, {}, {})))
    token, exp = client.user_token("host-1", 24 * 3600)
    no_time_checks = {"verify_exp": False, "verify_iat": False}
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options=no_time_checks)
    assert claims == {"user_id": "host-1", "iat": int(NOW) - 5, "exp": int(NOW) + 24 * 3600}
    assert exp == int(NOW) + 24 * 3600


def test_empty_credentials_are_refused_before_any_request() -> None:
    with pytest.raises(InputError, match="API secret is empty"):
        GetStreamClient("key-1", "   ")
    with pytest.raises(InputError, match="API key is empty"):
        GetStreamClient("", SECRET)


def test_repr_and_errors_never_show_the_secret_or_token() -> None:
    script = Script((401, api_error(401, 43, "GetCall failed with error: \"signature invalid\""), {}))
    client = make_client(script)
    with pytest.raises(AuthError) as info:
        client.get_call("livestream", "show-1")
    token = script.requests[0].headers["authorization"]
    for text in (repr(client), str(info.value), repr(info.value), info.value.one_line()):
        assert SECRET not in text and token not in text


def test_a_server_echoing_a_token_in_its_message_is_redacted() -> None:
    leaked = jwt.encode({"user_id": "x"}, SECRET, algorithm="HS256")
    script = Script((400, api_error(400, 4, f"bad token {leaked}"), {}))
    with pytest.raises(InputError) as info:
        make_client(script).get_call("livestream", "show-1")
    assert leaked not in str(info.value) and "[redacted]" in str(info.value)


# -- parsing ----------------------------------------------------------------------------------------
def test_call_parses_the_reference_example() -> None:
    call = make_client(Script((200, call_body(), {}))).get_call("livestream", "show-1")
    assert call.cid == "livestream:show-1"
    assert call.backstage is True
    assert call.rtmp_address == "rtmps://ingress.stream-io-video.com:443/APIKEY.livestream.show-1"
    assert call.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert call.session_id is None and call.live_started_at is None
    assert call.viewers() == 0 and not call.is_live


def test_live_session_counts_and_nanosecond_timestamps() -> None:
    # the broadcaster (host-1, app role "user") publishes once; 41 other users + 17 anonymous watch
    me = {"user": {"id": "host-1", "role": "user"}, "user_session_id": "s", "role": "host", "joined_at": 1}
    session = {"id": "sess-1", "started_at": 1767225660000000000, "live_started_at": 1767225661123456789,
               "live_ended_at": None, "participants_count_by_role": {"user": 42},
               "participants": [me], "anonymous_participant_count": 17, "some_future_field": {"x": 1}}
    body = call_body(backstage=False, session=session, egress={"broadcasting": True,
                     "hls": {"playlist_url": "https://hls.test/p.m3u8", "status": "ok"}, "rtmps": []},
                     brand_new_field=[1, 2, 3])
    call = make_client(Script((200, body, {}))).get_call("livestream", "show-1")
    assert call.live_started_at == datetime(2026, 1, 1, 0, 1, 1, 123456, tzinfo=UTC)
    assert call.session_id == "sess-1"
    assert call.has_participant("host-1")
    assert call.viewers() == 41 + 17  # total by role + anonymous - the broadcaster's participation
    assert call.viewers(broadcaster_id="nobody") == 42 + 17
    assert call.hls_playlist_url == "https://hls.test/p.m3u8"
    assert call.is_live


def test_rfc3339_timestamps_are_tolerated() -> None:
    body = call_body(created_at="2026-01-01T00:00:00Z", starts_at="2026-01-02T10:00:00.5+02:00")
    call = make_client(Script((200, body, {}))).get_call("livestream", "show-1")
    assert call.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert call.starts_at == datetime(2026, 1, 2, 8, 0, 0, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"ingress": None}, "call.ingress"),
        ({"ingress": {"rtmp": {}}}, "call.ingress.rtmp.address"),
        ({"backstage": "yes"}, "call.backstage"),
        ({"created_at": "last tuesday"}, "call.created_at"),
        ({"session": {"participants_count_by_role": {"user": "many"}}}, "role 'user'"),
    ],
)
def test_malformed_call_is_a_protocol_error_naming_the_field(change: dict, fragment: str) -> None:
    with pytest.raises(ProtocolError, match="GetStream") as info:
        make_client(Script((200, call_body(**change), {}))).get_call("livestream", "show-1")
    assert fragment in str(info.value)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"", b"\xff\xfe"])
def test_malformed_2xx_body_is_a_protocol_error_not_a_crash(body: bytes) -> None:
    sleeps = Sleeps()
    with pytest.raises(ProtocolError, match="GetCall"):
        make_client(Script((200, body, {})), sleeps).get_call("livestream", "show-1")
    assert sleeps == []  # a reply that arrived is not retried


def test_messages_since_sends_the_cursor_and_returns_oldest_first() -> None:
    m = EXAMPLES["MessageResponse"]
    newer = {**m, "id": "b", "text": "second", "created_at": m["created_at"] + 2_000_000_000}
    older = {**m, "id": "a", "text": "first"}
    body = {**EXAMPLES["ChannelStateResponse"], "messages": [newer, older]}
    script = Script((200, body, {}))
    msgs = make_client(script).messages_since("livestream", "show-1", "last-9", limit=50)
    assert [(x.id, x.text, x.user_id) for x in msgs] == [("a", "first", "host-1"), ("b", "second", "host-1")]
    req = script.requests[0]
    assert req.method == "GET" and req.url.path == "/api/v2/chat/channels/livestream/show-1"
    assert req.url.params["messages_id_gt"] == "last-9" and req.url.params["messages_limit"] == "50"


def test_participants_total() -> None:
    body = {**EXAMPLES["QueryCallParticipantsResponse"], "total_participants": 58}
    script = Script((201, body, {}))
    assert make_client(script).participants_total("livestream", "show-1") == 58
    assert script.requests[0].url.params["limit"] == "1"


def test_go_live_and_stop_live_send_the_chosen_options() -> None:
    script = Script((201, {"call": call_body(backstage=False)["call"], "duration": "1ms"}, {}))
    client = make_client(script)
    client.go_live("livestream", "show-1", hls=True, transcription=True, recording_storage="s3-main")
    client.stop_live("livestream", "show-1", continue_recording=True)
    go, stop = (json.loads(r.content) for r in script.requests)
    assert go == {"start_hls": True, "start_recording": False, "start_closed_caption": False,
                  "start_transcription": True, "recording_storage_name": "s3-main"}
    assert stop["continue_recording"] is True and stop["continue_hls"] is False
    assert [r.url.path for r in script.requests] == ["/api/v2/video/call/livestream/show-1/go_live",
                                                     "/api/v2/video/call/livestream/show-1/stop_live"]


def test_end_call_sends_no_body() -> None:
    script = Script((201, {"duration": "1ms"}, {}))
    make_client(script).end_call("livestream", "show-1")
    assert script.requests[0].content == b"" and script.requests[0].url.path.endswith("/mark_ended")


def test_path_parameters_are_percent_encoded() -> None:
    script = Script((200, call_body(), {}))
    make_client(script).get_call("livestream", "a/b")
    assert script.requests[0].url.raw_path.startswith(b"/api/v2/video/call/livestream/a%2Fb")


# -- errors -----------------------------------------------------------------------------------------
def test_not_found_carries_code_16_and_getstreams_message() -> None:
    msg = 'GetCall failed with error: "Can\'t find call with id livestream:nope"'
    with pytest.raises(NotFoundError) as info:
        make_client(Script((404, api_error(404, 16, msg), {}))).get_call("livestream", "nope")
    assert (info.value.status, info.value.code, info.value.api_message) == (404, 16, msg)
    assert "code 16" in str(info.value)


def test_bad_credentials_are_an_auth_error_and_not_retried() -> None:
    sleeps = Sleeps()
    script = Script((401, api_error(401, 43, "signature invalid"), {}))
    with pytest.raises(AuthError) as info:
        make_client(script, sleeps).create_user("host-1")
    assert info.value.code == 43 and len(script.requests) == 1 and sleeps == []
    assert "API key or secret" in info.value.one_line()


def test_5xx_is_retried_with_growing_jittered_backoff_then_succeeds() -> None:
    sleeps = Sleeps()
    script = Script((500, api_error(500, -1, "internal"), {}), (502, b"bad gateway", {}),
                    (503, b"", {}), (200, call_body(), {}))
    call = make_client(script, sleeps).get_call("livestream", "show-1")
    assert call.id == "show-1" and len(script.requests) == 4
    assert len(sleeps) == 3
    for attempt, slept in enumerate(sleeps):
        base = min(gs.BACKOFF_CAP, gs.BACKOFF_BASE * 2**attempt)
        assert base / 2 <= slept <= base


def test_retries_give_up_after_max_retries_with_the_last_error() -> None:
    sleeps = Sleeps()
    script = Script((503, api_error(503, -1, "unavailable"), {}))
    with pytest.raises(ServerError, match="server error during GetCall"):
        make_client(script, sleeps, max_retries=2).get_call("livestream", "show-1")
    assert len(script.requests) == 3 and len(sleeps) == 2


def test_429_waits_until_the_rate_limit_resets() -> None:
    sleeps = Sleeps()
    headers = {"X-RateLimit-Reset": f"{int(NOW) + 3}, {int(NOW) + 3}", "X-RateLimit-Limit": "60"}
    script = Script((429, api_error(429, 9, "Too many requests"), headers), (201, {"duration": "1ms"}, {}))
    make_client(script, sleeps).end_call("livestream", "show-1")
    assert len(sleeps) == 1 and 3.0 <= sleeps[0] <= 3.25


def test_429_with_a_reset_beyond_the_wait_cap_fails_at_once_saying_when() -> None:
    sleeps = Sleeps()
    headers = {"X-RateLimit-Reset": str(int(NOW) + 600)}
    script = Script((429, api_error(429, 9, "Too many requests"), headers))
    with pytest.raises(RateLimitedError) as info:
        make_client(script, sleeps).go_live("livestream", "show-1")
    assert sleeps == [] and info.value.reset_at == NOW + 600
    assert "00:10:00 UTC" in str(info.value)


def test_total_retry_wait_is_capped() -> None:
    sleeps = Sleeps()
    script = Script((503, b"", {}))
    with pytest.raises(ServerError):
        make_client(script, sleeps, max_retries=50, max_retry_wait=10.0).get_call("livestream", "show-1")
    assert sum(sleeps) <= 10.0 and len(sleeps) >= 3


def test_unrecoverable_errors_are_not_retried() -> None:
    body = {**api_error(500, -1, "broken for good"), "unrecoverable": True}
    script = Script((500, body, {}))
    with pytest.raises(ServerError):
        make_client(script).get_call("livestream", "show-1")
    assert len(script.requests) == 1


def test_connect_errors_retry_then_become_a_network_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sleeps = Sleeps()
    script = Script(refuse)
    expected = r"Could not reach GetStream at https://gs.test \(connection failed\)"
    with pytest.raises(NetworkError, match=expected):
        make_client(script, sleeps, max_retries=3).get_call("livestream", "show-1")
    assert len(script.requests) == 4 and len(sleeps) == 3


def test_timeouts_and_dropped_connections_are_retried() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    script = Script(timeout, dropped, (200, call_body(), {}))
    assert make_client(script).get_call("livestream", "show-1").id == "show-1"
    assert len(script.requests) == 3


def test_non_json_error_body_still_gives_a_typed_error() -> None:
    with pytest.raises(NotFoundError, match=r"HTTP 404"):
        make_client(Script((404, b"<html>nope</html>", {}))).get_call("livestream", "show-1")


def test_429_without_a_reset_header_honours_retry_after() -> None:
    sleeps = Sleeps()
    limited = (429, api_error(429, 9, "Too many requests"), {"Retry-After": "2"})
    script = Script(limited, (200, call_body(), {}))
    make_client(script, sleeps).get_call("livestream", "show-1")
    assert len(sleeps) == 1 and 2.0 <= sleeps[0] <= 2.25


def test_every_attempt_of_one_call_shares_a_request_id() -> None:
    script = Script((503, b"", {}), (200, call_body(), {}))
    client = make_client(script)
    client.get_call("livestream", "show-1")
    client.get_call("livestream", "show-1")
    ids = [r.headers["x-client-request-id"] for r in script.requests]
    assert ids[0] == ids[1] != ids[2]
