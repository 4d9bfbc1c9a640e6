"""The simulator tells GetStream's truth about ingest, sessions, users and ids (issue 12, item 7):
the OBS simulator's stream joins the call only with the provisioned server and key."""

from __future__ import annotations

import json

import pytest

from streamdesk.sim.ingest_link import link
from tests.plugins.getstream_sim import SimHttp, create_call

CALL = "/api/v2/video/call/livestream/show-1"
CID = "livestream:show-1"


@pytest.fixture
def pair(make_gs_sim, make_obs_sim):
    gs, obs = make_gs_sim(), make_obs_sim(start_delay=0.01, stop_delay=0.01)
    link(obs, gs)
    http = SimHttp(gs)
    yield gs, obs, http
    http.close()


def _participants(http: SimHttp) -> list[str]:
    return [p["user"]["id"] for p in http.get(CALL).json()["call"]["session"]["participants"]]


def _wait(predicate, timeout: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_the_obs_stream_joins_the_call_only_with_the_provisioned_server_and_key(pair, obsws_client) -> None:
    gs, obs, http = pair
    address = create_call(http).json()["call"]["ingress"]["rtmp"]["address"]
    client = obsws_client(obs)
    # streaming to Twitch: OBS streams, GetStream sees nobody
    client.set_stream_service_settings("rtmp_custom", {"server": "rtmp://live.twitch.tv/app", "key": "tw"})
    client.start_stream()
    _wait(lambda: obs.streaming)
    assert _participants(http) == []
    client.stop_stream()
    _wait(lambda: not obs.streaming)
    # the right server with a key that is not a valid token of this app: refused
    client.set_stream_service_settings("rtmp_custom", {"server": address, "key": "eyJnope.x.y"})
    client.start_stream()
    _wait(lambda: obs.streaming)
    assert _participants(http) == []
    client.stop_stream()
    _wait(lambda: not obs.streaming)
    # server and key as provisioned: host-1 joins, the session starts with that first join
    client.set_stream_service_settings("rtmp_custom", {"server": address, "key": gs.user_token("host-1")})
    client.start_stream()
    _wait(lambda: _participants(http) == ["host-1"])
    session = http.get(CALL).json()["call"]["session"]
    assert session["started_at"] is not None and session["ended_at"] is None
    assert session["participants_count_by_role"] == {"user": 1}  # the app role, not the call role
    first_session = session["id"]
    # the stream stops: the publisher leaves, the last one out ends the session
    client.stop_stream()
    _wait(lambda: _participants(http) == [])
    session = http.get(CALL).json()["call"]["session"]
    assert session["ended_at"] is not None
    _wait(lambda: not obs.streaming)  # OBS answers StartStream with 500 (OutputRunning) until stopped
    client.start_stream()  # a new join starts a new session
    _wait(lambda: _participants(http) == ["host-1"])
    assert http.get(CALL).json()["call"]["session"]["id"] != first_session


def test_backstage_needs_the_join_backstage_grant(make_gs_sim) -> None:
    gs = make_gs_sim()
    http = SimHttp(gs)
    try:
        address = create_call(http).json()["call"]["ingress"]["rtmp"]["address"]
        r = http.request("PUT", "/api/v2/video/calltypes/livestream", {"grants": {"host": ["send-video"]}})
        assert r.json()["grants"]["host"] == ["send-video"]  # the role's list is replaced by what is sent
        assert gs.rtmp_publish(address, gs.user_token("host-1")) is None
        http.request("PUT", "/api/v2/video/calltypes/livestream",
                     {"grants": {"host": ["send-video", "join-backstage"]}})
        assert gs.rtmp_publish(address, gs.user_token("host-1")) == CID
        assert gs.rtmp_publish(address, gs.user_token("host-1", ttl_seconds=-10)) is None  # expired
    finally:
        http.close()


def test_the_livestream_type_starts_with_default_host_grants(gs_http: SimHttp) -> None:
    hosts = gs_http.get("/api/v2/video/calltypes/livestream").json()["grants"]["host"]
    assert {"join-backstage", "join-call", "send-audio", "send-video", "end-call"} <= set(hosts)


def test_users_post_replaces_and_patch_updates_part(gs_http: SimHttp) -> None:
    gs_http.post("/api/v2/users", {"users": {"u": {"id": "u", "name": "Ada", "role": "admin",
                                                   "custom": {"team": "blue"}}}})
    gs_http.request("PATCH", "/api/v2/users", {"users": [{"id": "u", "set": {"name": "Ada L."}}]})
    query = {"payload": json.dumps({"filter_conditions": {"id": {"$eq": "u"}}})}
    user = gs_http.get("/api/v2/users", params=query).json()["users"][0]
    assert (user["name"], user["role"], user["custom"]) == ("Ada L.", "admin", {"team": "blue"})
    gs_http.post("/api/v2/users", {"users": {"u": {"id": "u"}}})  # a full replace wipes the rest
    user = gs_http.get("/api/v2/users", params=query).json()["users"][0]
    assert (user.get("name"), user["role"], user["custom"]) == (None, "user", {})
    none = {"payload": json.dumps({"filter_conditions": {"id": {"$eq": "nobody"}}})}
    assert gs_http.get("/api/v2/users", params=none).json()["users"] == []


def test_an_id_over_64_characters_is_a_400(gs_http: SimHttp) -> None:
    long_id = "x" * 65
    for r in (gs_http.get(f"/api/v2/video/call/livestream/{long_id}"),
              create_call(gs_http, long_id),
              gs_http.post(f"/api/v2/chat/channels/livestream/{long_id}/query",
                           {"data": {"created_by_id": "h"}})):
        assert (r.status_code, r.json()["code"]) == (400, 4)
    assert create_call(gs_http, "x" * 64).status_code == 201


def test_the_demo_wires_obs_to_getstream() -> None:
    from streamdesk.ui.demo import Demo

    demo = Demo.start()
    try:
        assert demo.obs.stream_listener is not None  # the demo's OBS stream can reach its GetStream
    finally:
        demo.stop()
