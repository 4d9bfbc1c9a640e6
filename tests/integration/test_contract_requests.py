"""Every request our client sends validates against GetStream's strict OpenAPI subset.

The whole channel flow runs in-process through ``channel_ops`` against the simulator, then each
request the simulator recorded (``sim.received``) is checked: path, method, query and body schema."""

from __future__ import annotations

import pytest

from streamdesk.core import channel_ops as ops
from streamdesk.core.context import AppContext
from streamdesk.core.getstream import GetStreamClient
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET
from tests.plugins.openapi import validate_request

EVERY_CLIENT_OPERATION = {
    "QueryUsers", "UpdateUsers", "UpdateUsersPartial", "GetCallType", "UpdateCallType", "GetOrCreateCall",
    "GetCall", "UpdateCall", "GoLive", "StopLive", "EndCall", "QueryCallParticipants", "GetOrCreateChannel",
    "GetChannel",
}


@pytest.fixture
def ctx(gs_sim, monkeypatch: pytest.MonkeyPatch) -> AppContext:
    monkeypatch.setenv("STREAMDESK_API_BASE", gs_sim.url)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1", call_id="show-1")
    return ctx


def test_every_request_of_the_whole_flow_validates(ctx: AppContext, gs_sim) -> None:
    ops.provision(ctx, join_ahead=120, starts_at="2030-01-01T20:00:00+01:00", key_ttl_hours=6)
    ops.provision(ctx, join_ahead=300, display_name="Host One")  # existing call: UpdateCall; user: PATCH
    call = ops.fetch_call(ctx)
    assert call is not None and call.backstage and call.join_ahead_time_seconds == 300
    assert call.starts_at is not None and call.starts_at.isoformat() == "2030-01-01T19:00:00+00:00"
    ops.go_live(ctx, ops.GoLiveOptions(hls=True, recording=True, captions=True, transcription=True,
                                       recording_storage="rec-store", transcription_storage="tx-store"))
    gs_sim.advance(90)
    from streamdesk.core import call_type_settings as cts

    with ops.client(ctx) as gs:
        gs_sim.app.call_types["livestream"].grants["host"].remove("join-backstage")
        cts.apply(ctx, gs, cts.plan(gs, "livestream", join_ahead=30))
        cts.undo(ctx, gs, cts.plan_undo(gs, ctx))
        assert gs.is_participant("livestream", "show-1", "host-1") is False
        assert gs.get_call("livestream", "show-1").is_live
        assert gs.participants_total("livestream", "show-1") >= 1
        first = gs.messages_since("livestream", "show-1", None, limit=5)
        assert first, "the simulated audience chats within 90 s"
        gs.messages_since("livestream", "show-1", first[-1].id)
    ops.stop_live(ctx, ops.StopOptions(continue_hls=True, continue_recording=True, continue_captions=True,
                                       continue_transcription=True))
    ops.force_end(ctx, mark_ended=True, stop_obs=False)

    seen = set()
    for request in gs_sim.received:
        assert request.status < 400, f"{request.operation} failed with {request.status}"
        seen.add(check(request))
    assert seen == EVERY_CLIENT_OPERATION


def test_requests_with_faults_and_retries_still_validate(gs_sim) -> None:
    gs_sim.faults.rate_limit("GetCall", times=2, reset_in=1.0)
    gs_sim.faults.server_error("GetCall", times=1, status=503)
    sleeps: list[float] = []
    with GetStreamClient(SIM_API_KEY, SIM_API_SECRET, base_url=gs_sim.url, sleep=sleeps.append) as gs:
        gs.create_user("host-1")
        gs.get_or_create_call("livestream", "show-1", created_by_id="host-1")
        assert gs.get_call("livestream", "show-1").backstage is True
    assert len(sleeps) == 3
    for request in gs_sim.received:
        check(request)


def check(request) -> str:
    """Validate one recorded request: auth as GetStream wants it, then path/method/body schema."""
    assert request.query.get("api_key") == SIM_API_KEY
    assert request.headers.get("stream-auth-type") == "jwt"
    assert not request.headers.get("authorization", "").lower().startswith("bearer")
    return validate_request(method=request.method, path=request.path, query=request.query,
                            body=request.body)


# The validator itself must be able to say no, or the tests above prove nothing.
@pytest.mark.parametrize(
    ("method", "path", "body", "problem"),
    [
        ("POST", "/api/v2/video/call/livestream/x/go_live", {"start_closed_captions": True},
         "start_closed_captions"),
        ("POST", "/api/v2/video/call/livestream/x", {"data": {"starts_at": "next friday"}}, "starts_at"),
        ("PUT", "/api/v2/video/call/livestream/x", {}, "not an operation"),
        ("POST", "/api/v2/video/call/livestream/" + "x" * 256 + "/go_live", {}, "path.id"),
        ("POST", "/api/v2/users", {"users": {"u": {"name": "no id"}}}, "'id' is a required"),
        ("POST", "/api/v2/video/call/livestream/x/mark_ended", {"force": True}, "no request body"),
    ],
)
def test_the_validator_rejects_what_getstream_would_not_accept(method, path, body, problem) -> None:
    with pytest.raises(AssertionError, match=problem):
        validate_request(method=method, path=path, query={"api_key": "k"}, body=body)


def test_the_validator_checks_the_query_too() -> None:
    with pytest.raises(AssertionError, match=r"query\.limit"):
        validate_request(method="POST", path="/api/v2/video/call/livestream/x/participants",
                         query={"api_key": "k", "limit": "500"}, body={"filter_conditions": {}})
    with pytest.raises(AssertionError, match="api_key"):
        validate_request(method="GET", path="/api/v2/video/call/livestream/x", query={}, body=None)
