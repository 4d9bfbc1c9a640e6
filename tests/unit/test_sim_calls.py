"""The simulated livestream call: backstage → live → backstage → ended, in GetStream's shapes.

Every response in these tests is validated against the relaxed OpenAPI subset by ``SimHttp``.
"""

from __future__ import annotations

import math

import pytest

from streamdesk.sim.audience import AudienceConfig
from tests.plugins.getstream_sim import SimHttp, create_call

CALL = "/api/v2/video/call/livestream/show-1"
T0 = 1_800_000_000.0  # a fixed base clock: timestamps become exact


@pytest.fixture
def sim(make_gs_sim):
    return make_gs_sim(clock=lambda: T0, seed=5)


@pytest.fixture
def http(sim):
    client = SimHttp(sim)
    yield client
    client.close()


def _call(http: SimHttp) -> dict:
    r = http.get(CALL)
    assert r.status_code == 200
    return r.json()["call"]


def test_a_new_livestream_waits_in_backstage_with_an_empty_session(http: SimHttp) -> None:
    r = create_call(http, starts_at="2030-01-01T20:00:00+01:00",
                    settings_override={"backstage": {"enabled": True, "join_ahead_time_seconds": 300}})
    assert r.status_code == 201
    body = r.json()
    call = body["call"]
    assert body["created"] is True
    assert (call["cid"], call["backstage"], call["ended_at"]) == ("livestream:show-1", True, None)
    assert call["created_at"] == int(T0 * 1e9) and isinstance(call["created_at"], int)
    assert call["starts_at"] == 1_893_524_400 * 10**9  # 2030-01-01T19:00:00Z in nanoseconds
    assert call["join_ahead_time_seconds"] == 300
    assert call["settings"]["backstage"] == {"enabled": True, "join_ahead_time_seconds": 300}
    session = call["session"]
    assert session["id"] and session["id"] == call["current_session_id"]
    assert (session["started_at"], session["live_started_at"], session["participants"]) == (None, None, [])
    assert body["members"][0]["user_id"] == "host-1" and body["members"][0]["role"] == "host"
    assert call["created_by"]["id"] == "host-1"


def test_get_or_create_on_an_existing_call_returns_it_unchanged(http: SimHttp) -> None:
    create_call(http)
    again = create_call(http, created_by_id="someone-else",
                        settings_override={"backstage": {"join_ahead_time_seconds": 900}})
    assert again.status_code == 201 and again.json()["created"] is False
    assert again.json()["call"]["created_by"]["id"] == "host-1"
    assert again.json()["call"]["join_ahead_time_seconds"] == 0


def test_the_ingress_address_has_getstreams_form_by_default(http: SimHttp) -> None:
    address = create_call(http).json()["call"]["ingress"]["rtmp"]["address"]
    assert address == "rtmps://ingress.stream-io-video.com:443/test-key.livestream.show-1"


@pytest.mark.parametrize(
    ("template", "expected"),
    [("rtmp://127.0.0.1:19350/live", "rtmp://127.0.0.1:19350/live"),
     ("rtmp://127.0.0.1:19350/{call_type}/{call_id}", "rtmp://127.0.0.1:19350/livestream/show-1")],
)
def test_the_ingress_address_can_point_at_a_local_rtmp_server(make_gs_sim, template: str,
                                                              expected: str) -> None:
    sim = make_gs_sim(rtmp_address=template)
    http = SimHttp(sim)
    try:
        assert create_call(http).json()["call"]["ingress"]["rtmp"]["address"] == expected
    finally:
        http.close()


def test_go_live_stop_live_and_back_again(sim, http: SimHttp) -> None:
    address = create_call(http).json()["call"]["ingress"]["rtmp"]["address"]
    sim.advance(10)
    # OBS publishes as host-1 (the session starts with that join), then the call goes live
    assert sim.rtmp_publish(address, sim.user_token("host-1")) == "livestream:show-1"
    live = http.post(f"{CALL}/go_live", {"start_hls": True, "start_recording": True})
    assert live.status_code == 201
    call = live.json()["call"]
    started = int((T0 + 10) * 1e9)
    assert call["backstage"] is False
    assert call["session"]["live_started_at"] == started == call["session"]["started_at"]
    # keyed by the app-level role: host-1 was upserted without one, so "user", not "host"
    assert call["session"]["participants_count_by_role"] == {"user": 1}
    assert call["recording"] is True and call["egress"]["broadcasting"] is True
    assert call["egress"]["hls"]["playlist_url"].endswith(".m3u8")

    sim.advance(120)
    during = _call(http)["session"]
    assert during["participants_count_by_role"]["user"] > 0 and during["anonymous_participant_count"] > 0

    stopped = http.post(f"{CALL}/stop_live", {"continue_recording": True}).json()["call"]
    assert stopped["backstage"] is True
    assert stopped["session"]["live_ended_at"] == int((T0 + 130) * 1e9)
    assert stopped["session"]["participants_count_by_role"] == {"user": 1}  # viewers left, OBS stays
    assert stopped["session"]["anonymous_participant_count"] == 0
    assert (stopped["recording"], stopped["egress"]["broadcasting"]) == (True, False)

    sim.advance(30)
    again = http.post(f"{CALL}/go_live").json()["call"]  # no body at all, as GetStream's docs do it
    assert again["backstage"] is False
    assert again["session"]["live_started_at"] == int((T0 + 160) * 1e9)
    assert again["session"]["live_ended_at"] is None
    assert again["session"]["started_at"] == started  # the same session


def test_repeating_go_live_and_stop_live_is_harmless(sim, http: SimHttp) -> None:
    create_call(http)
    first = http.post(f"{CALL}/go_live").json()["call"]["session"]["live_started_at"]
    sim.advance(5)
    assert http.post(f"{CALL}/go_live").json()["call"]["session"]["live_started_at"] == first
    http.post(f"{CALL}/stop_live")
    ended = _call(http)["session"]["live_ended_at"]
    sim.advance(5)
    assert http.post(f"{CALL}/stop_live").json()["call"]["session"]["live_ended_at"] == ended


def test_mark_ended_ends_the_call_for_everyone(sim, http: SimHttp) -> None:
    create_call(http)
    http.post(f"{CALL}/go_live")
    sim.advance(60)
    r = http.post(f"{CALL}/mark_ended")
    assert r.status_code == 201 and set(r.json()) == {"duration"}
    call = _call(http)  # GetCall still returns an ended call
    assert call["ended_at"] == int((T0 + 60) * 1e9)
    assert call["session"]["ended_at"] == call["ended_at"]
    assert call["session"]["participants"] == [] and call["session"]["participants_count_by_role"] == {}
    assert http.post(f"{CALL}/mark_ended").status_code == 201
    refused = http.post(f"{CALL}/go_live")
    assert (refused.status_code, refused.json()["code"]) == (400, 4)
    assert refused.json()["message"].startswith('GoLive failed with error: "call livestream:show-1 has ended')


def test_an_unknown_call_is_404_code_16_in_getstreams_words(http: SimHttp) -> None:
    r = http.get("/api/v2/video/call/livestream/nope")
    assert (r.status_code, r.json()["code"], r.json()["StatusCode"]) == (404, 16, 404)
    assert r.json()["message"] == 'GetCall failed with error: "Can\'t find call with id livestream:nope"'
    for op in ("go_live", "stop_live", "mark_ended"):
        assert http.post(f"/api/v2/video/call/livestream/nope/{op}").json()["code"] == 16


def test_an_unknown_call_type_or_route(http: SimHttp) -> None:
    r = http.get("/api/v2/video/call/no-such-type/x")
    assert (r.status_code, r.json()["code"]) == (404, 16)
    assert "no-such-type: call type does not exist" in r.json()["message"]
    r = http.get("/api/v2/video/nothing-here", validate=False)
    assert r.status_code == 404 and r.json()["message"] == 'Request failed with error: "Not Found"'
    assert http.request("DELETE", CALL, validate=False).status_code == 404


def test_update_call_changes_schedule_and_backstage_settings(sim, http: SimHttp) -> None:
    create_call(http)
    sim.advance(1)
    r = http.request("PATCH", CALL, {"starts_at": "2031-05-01T12:00:00Z",
                                     "settings_override": {"backstage": {"join_ahead_time_seconds": 600}}})
    assert r.status_code == 200
    call = r.json()["call"]
    assert call["starts_at"] == 1_935_403_200 * 10**9
    assert call["join_ahead_time_seconds"] == 600 and call["settings"]["backstage"]["enabled"] is True
    assert call["updated_at"] == int((T0 + 1) * 1e9)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"created_by_id": None}, "created_by_id", "must be provided when using server side auth"),
        ({"created_by": {"id": "h"}}, "created_by", "cannot set both"),
        ({"starts_at": "next friday"}, "starts_at", "RFC3339"),
        ({"starts_at": "2030-01-01T20:00:00"}, "starts_at", "time zone"),
    ],
)
def test_bad_call_input_is_a_400_naming_the_field(http: SimHttp, data: dict, field: str, words: str) -> None:
    r = create_call(http, **data)
    assert (r.status_code, r.json()["code"]) == (400, 4)
    assert field in r.json()["exception_fields"] and words in r.json()["message"]
    assert http.get(CALL).status_code == 404  # nothing was created


def test_bad_json_and_non_object_bodies(http: SimHttp) -> None:
    r = http.http.post(CALL, params={"api_key": "test-key"}, content=b"{not json",
                       headers={"Authorization": http.sim.server_token(), "stream-auth-type": "jwt"})
    assert (r.status_code, r.json()["code"]) == (400, 4)
    assert http.post(CALL, [1, 2]).json()["code"] == 4


def test_call_type_settings_and_grants(http: SimHttp) -> None:
    path = "/api/v2/video/calltypes/livestream"
    backstage = {"enabled": True, "join_ahead_time_seconds": 120}
    grants = {"host": ["join-backstage"]}
    r = http.request("PUT", path, {"grants": grants, "settings": {"backstage": backstage}})
    assert r.status_code == 201
    assert r.json()["grants"]["host"] == ["join-backstage"]
    assert r.json()["settings"]["backstage"] == {"enabled": True, "join_ahead_time_seconds": 120}
    got = http.get(path).json()
    assert got["grants"]["host"] == ["join-backstage"] and got["name"] == "livestream"
    # new calls inherit the call type's backstage settings
    assert create_call(http).json()["call"]["join_ahead_time_seconds"] == 120
    assert http.get("/api/v2/video/calltypes/nope").json()["code"] == 16


def test_a_call_type_without_backstage_creates_calls_that_are_not_in_backstage(http: SimHttp) -> None:
    r = http.post("/api/v2/video/call/default/meeting", {"data": {"created_by_id": "host-1"}})
    assert r.json()["call"]["backstage"] is False


def test_upsert_users_replaces_the_user(sim, http: SimHttp) -> None:
    host = {"id": "host-1", "name": "Host", "custom": {"a": 1}}
    r = http.post("/api/v2/users", {"users": {"host-1": host}})
    assert r.status_code == 201 and r.json()["users"]["host-1"]["name"] == "Host"
    created = r.json()["users"]["host-1"]["created_at"]
    sim.advance(2)
    r = http.post("/api/v2/users", {"users": {"host-1": {"id": "host-1"}}})
    user = r.json()["users"]["host-1"]
    assert "name" not in user and user["custom"] == {} and user["created_at"] == created
    assert http.post("/api/v2/users", {"users": {}}).json()["code"] == 4


def test_participants_query_counts_everyone_and_filters_by_user(make_gs_sim) -> None:
    sim = make_gs_sim(clock=lambda: T0, seed=5, audience=AudienceConfig(anonymous_share=0.5))
    http = SimHttp(sim)
    try:
        address = create_call(http).json()["call"]["ingress"]["rtmp"]["address"]
        sim.rtmp_publish(address, sim.user_token("host-1"))
        http.post(f"{CALL}/go_live")
        sim.advance(300)
        truth = sim.truth("livestream:show-1")
        r = http.post(f"{CALL}/participants", {}, params={"limit": "5"})
        assert r.status_code == 201
        assert r.json()["total_participants"] == truth.viewers + 1  # + the host
        assert len(r.json()["participants"]) == 5
        one = http.post(f"{CALL}/participants", {"filter_conditions": {"user_id": {"$eq": "host-1"}}}).json()
        assert one["total_participants"] == 1 and one["participants"][0]["role"] == "host"
        too_many = http.post(f"{CALL}/participants", {}, params={"limit": "101"})
        assert (too_many.status_code, too_many.json()["code"]) == (400, 4)
    finally:
        http.close()


def test_delete_call(http: SimHttp) -> None:
    create_call(http)
    r = http.post(f"{CALL}/delete", {"hard": True})
    assert r.status_code == 201 and r.json()["task_id"]
    assert http.get(CALL).status_code == 404


def test_go_live_can_take_a_while_to_leave_backstage(sim, http: SimHttp) -> None:
    sim.go_live_lag = 5
    create_call(http)
    accepted = http.post(f"{CALL}/go_live").json()["call"]
    assert accepted["backstage"] is True and accepted["session"]["live_started_at"] is None
    sim.advance(4.9)
    assert _call(http)["backstage"] is True
    sim.advance(0.2)
    call = _call(http)
    assert call["backstage"] is False and call["session"]["live_started_at"] == int((T0 + 5) * 1e9)


def test_a_stuck_go_live_never_leaves_backstage_and_stop_live_calls_it_off(sim, http: SimHttp) -> None:
    sim.go_live_lag = math.inf  # e.g. nothing reaches the ingress
    create_call(http)
    http.post(f"{CALL}/go_live")
    sim.advance(3600)
    assert _call(http)["backstage"] is True
    assert sim.truth("livestream:show-1").viewers == 0
    http.post(f"{CALL}/stop_live")
    sim.go_live_lag = 0
    assert http.post(f"{CALL}/go_live").json()["call"]["backstage"] is False
