"""GetStream's official Python SDK (getstream 7.0.0, test-only) drives the simulator.

The SDK decodes with ``infer_missing=True``: a required field the simulator forgot becomes None
with a RuntimeWarning, so RuntimeWarnings are errors here. Its HTTP goes through a transport that
validates every response body against the relaxed OpenAPI subset, so the SDK's view and the spec
agree on every answer of the run.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET
from tests.plugins.openapi import validate_response

pytest.importorskip("getstream", reason="the official SDK is a test dependency: pip install -e .[test]")
from getstream import Stream
from getstream.exceptions import StreamApiException
from getstream.models import (
    BackstageSettingsRequest,
    CallRequest,
    CallSettingsRequest,
    ChannelInput,
    MemberRequest,
    MessagePaginationParams,
    MessageRequest,
    QueryUsersPayload,
    UpdateUserPartialRequest,
    UserRequest,
)


class ValidatingTransport(httpx.HTTPTransport):
    """Checks each JSON answer against the relaxed spec before the SDK sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.checked: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        body = response.read()
        if response.headers.get("content-type", "").startswith("application/json"):
            op = validate_response(request.url.path, request.method, response.status_code, json.loads(body))
            self.checked.append(f"{op} {response.status_code}")
        return response


@pytest.fixture(autouse=True)
def runtime_warnings_are_errors() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


@pytest.fixture
def transport() -> ValidatingTransport:
    return ValidatingTransport()


@pytest.fixture
def sdk(gs_sim, transport: ValidatingTransport) -> Stream:
    return Stream(api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, base_url=gs_sim.url, transport=transport)


def test_the_sdk_runs_a_whole_livestream(sdk: Stream, gs_sim, transport: ValidatingTransport) -> None:
    users = sdk.upsert_users(UserRequest(id="host-1", name="Host", role="user"))
    assert users.data.users["host-1"].name == "Host"
    # the SDK's own QueryUsers (payload as JSON in the query) and partial update read us the same way
    found = sdk.query_users(QueryUsersPayload(filter_conditions={"id": {"$eq": "host-1"}}))
    assert [u.id for u in found.data.users] == ["host-1"]
    sdk.update_users_partial(users=[UpdateUserPartialRequest(id="host-1", set={"name": "Host 1"})])
    again = sdk.query_users(QueryUsersPayload(filter_conditions={"id": "host-1"}))
    assert again.data.users[0].name == "Host 1"
    assert gs_sim.app.users["host-1"].role == "user"  # a partial update keeps what it did not set

    call_type = sdk.video.update_call_type(
        "livestream", grants={"host": ["join-backstage"]},
        settings=CallSettingsRequest(backstage=BackstageSettingsRequest(enabled=True)))
    assert call_type.data.settings.backstage.enabled is True
    assert call_type.data.grants["host"] == ["join-backstage"]

    call = sdk.video.call("livestream", "show-1")
    created = call.get_or_create(data=CallRequest(
        created_by_id="host-1", starts_at=datetime(2030, 1, 1, 20, 0, tzinfo=UTC),
        members=[MemberRequest(user_id="host-1", role="host")],
        settings_override=CallSettingsRequest(
            backstage=BackstageSettingsRequest(enabled=True, join_ahead_time_seconds=300))))
    assert created.data.created is True
    assert created.data.call.backstage is True
    assert created.data.call.starts_at == datetime(2030, 1, 1, 20, 0, tzinfo=UTC)
    assert created.data.call.join_ahead_time_seconds == 300
    assert "show-1" in created.data.call.ingress.rtmp.address  # as stream-py's own test asserts

    # OBS publishes to the ingress with host-1's key: the publisher joins the call
    assert gs_sim.rtmp_publish(created.data.call.ingress.rtmp.address, gs_sim.user_token("host-1"))
    live = call.go_live(start_hls=True, start_recording=True)
    assert live.data.call.backstage is False
    gs_sim.advance(60)
    got = call.get()
    assert got.data.call.backstage is False
    session = got.data.call.session
    assert session.live_started_at is not None and session.live_ended_at is None
    truth = gs_sim.truth("livestream:show-1")
    # keyed by app role: the publisher (role "user") counts with the registered viewers
    assert session.participants_count_by_role == {"user": truth.registered + 1}
    assert session.anonymous_participant_count == truth.anonymous
    participants = call.query_call_participants(limit=100)
    assert participants.data.total_participants == truth.viewers + 1

    channel = sdk.chat.channel("livestream", "show-1")
    state = channel.get_or_create(data=ChannelInput(created_by_id="host-1"), state=True,
                                  messages=MessagePaginationParams(limit=100))
    regular = [m.id for m in state.data.messages if m.type == "regular"]
    assert regular == [m["id"] for m in truth.messages] != []
    sent = channel.send_message(MessageRequest(text="thanks for watching", user_id="host-1"))
    newer = channel.get_or_create(messages=MessagePaginationParams(limit=100, id_gt=truth.messages[-1]["id"]))
    assert [m.id for m in newer.data.messages][-1] == sent.data.message.id

    stopped = call.stop_live()
    assert stopped.data.call.backstage is True
    assert stopped.data.call.session.live_ended_at is not None
    call.end()
    ended = call.get()
    assert ended.data.call.ended_at is not None

    assert {c.split()[0] for c in transport.checked} >= {
        "UpdateUsers", "QueryUsers", "UpdateUsersPartial",
        "UpdateCallType", "GetOrCreateCall", "GoLive", "GetCall", "QueryCallParticipants",
        "GetOrCreateChannel", "SendMessage", "StopLive", "EndCall"}


def test_the_sdk_sees_404_code_16_for_an_unknown_call(sdk: Stream) -> None:
    with pytest.raises(StreamApiException) as caught:
        sdk.video.call("livestream", "no-such-show").get()
    assert caught.value.status_code == 404 and caught.value.code == 16
    assert "Can't find call with id livestream:no-such-show" in caught.value.message


def test_the_sdk_sees_401_for_a_wrong_secret(gs_sim, transport: ValidatingTransport) -> None:
    wrong = Stream(api_key=SIM_API_KEY, api_secret="not-the-secret-" * 3, base_url=gs_sim.url,
                   transport=transport)
    with pytest.raises(StreamApiException) as caught:
        wrong.upsert_users(UserRequest(id="host-1"))
    assert caught.value.status_code == 401 and caught.value.code == 43
    assert transport.checked == ["UpdateUsers 401"]
