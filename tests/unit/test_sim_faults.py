"""Fault injection per route: 429 bursts with a reset time, 5xx, dropped connections, bad JSON, latency."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from streamdesk.sim.faults import FaultKind, Faults
from tests.plugins.getstream_sim import SimHttp, create_call

CALL = "/api/v2/video/call/livestream/show-1"
T0 = 1_800_000_000.0


@pytest.fixture
def sim(make_gs_sim):
    return make_gs_sim(clock=lambda: T0)


@pytest.fixture
def http(sim):
    client = SimHttp(sim)
    yield client
    client.close()


def test_a_429_burst_then_service_resumes(sim, http: SimHttp) -> None:
    create_call(http)
    sim.faults.rate_limit("GoLive", times=2, reset_in=2.5)
    for _ in range(2):
        r = http.post(f"{CALL}/go_live")
        assert (r.status_code, r.json()["code"]) == (429, 9)
        assert r.headers["X-RateLimit-Remaining"] == "0"
        assert int(r.headers["X-RateLimit-Reset"]) == math.ceil(T0 + 2.5)
        assert http.get(CALL).json()["call"]["backstage"] is True  # refused: nothing happened
    assert http.post(f"{CALL}/go_live").status_code == 201
    assert sim.faults.count(FaultKind.RATE_LIMIT, "GoLive") == 2


def test_server_errors_json_500_and_html_from_the_load_balancer(sim, http: SimHttp) -> None:
    create_call(http)
    sim.faults.server_error("GetCall")
    sim.faults.server_error("GetCall", status=503)
    r = http.get(CALL)
    assert (r.status_code, r.json()["code"]) == (500, -1)
    r = http.get(CALL)
    assert r.status_code == 503 and r.headers["content-type"].startswith("text/html")
    assert http.get(CALL).status_code == 200


def test_a_dropped_connection_gets_no_response_and_changes_nothing(sim, http: SimHttp) -> None:
    create_call(http)
    sim.faults.drop("GoLive")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(f"{CALL}/go_live")
    assert http.get(CALL).json()["call"]["backstage"] is True
    assert [r.status for r in sim.requests("GoLive")] == [0]


def test_a_malformed_body_follows_a_completed_operation(sim, http: SimHttp) -> None:
    create_call(http)
    sim.faults.malformed("GoLive")
    r = http.post(f"{CALL}/go_live", validate=False)
    assert r.status_code == 201
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    assert http.get(CALL).json()["call"]["backstage"] is False  # the operation did happen


def test_latency_trips_a_client_timeout(sim) -> None:
    sim.faults.latency("GetCall", 1.0)
    with httpx.Client(base_url=sim.url, timeout=0.2) as client, pytest.raises(httpx.ReadTimeout):
        client.get(CALL, params={"api_key": sim.api_key},
                   headers={"Authorization": sim.server_token(), "stream-auth-type": "jwt"})


def test_route_rules_apply_before_wildcards_and_only_to_their_route(sim, http: SimHttp) -> None:
    create_call(http)
    sim.faults.server_error("*", times=None)
    sim.faults.rate_limit("GetCall", times=1)
    assert http.get(CALL).status_code == 429  # the route's own rule first
    assert http.get(CALL).status_code == 500  # then the wildcard, forever
    assert http.post(f"{CALL}/go_live").status_code == 500
    sim.faults.clear()
    assert http.get(CALL).status_code == 200


def test_probabilistic_faults_repeat_for_a_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = Faults(seed)
        faults.server_error("*", times=None, probability=0.3)
        return [faults.decide("GetCall").rule is not None for _ in range(200)]

    a = pattern(5)
    assert a == pattern(5)
    assert a != pattern(6)
    assert 30 <= sum(a) <= 90  # about 30 %


def test_a_count_limited_probabilistic_rule_stops_after_its_count() -> None:
    faults = Faults(1)
    faults.drop("GetCall", times=3, probability=0.5)
    fired = sum(faults.decide("GetCall").rule is not None for _ in range(100))
    assert fired == 3


@pytest.mark.parametrize("bad", [{"probability": 1.5}, {"status": 404}])
def test_nonsense_fault_rules_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        Faults().server_error("GetCall", **bad)


def test_received_records_what_was_sent(sim, http: SimHttp) -> None:
    create_call(http)
    http.post(f"{CALL}/go_live", {"start_hls": True})
    go_live = sim.requests("GoLive")[-1]
    assert (go_live.method, go_live.path, go_live.status) == ("POST", f"{CALL}/go_live", 201)
    assert go_live.body == {"start_hls": True} and go_live.query == {"api_key": "test-key"}
    assert go_live.headers["stream-auth-type"] == "jwt"
    assert "authorization" not in repr(go_live).lower()  # the token stays out of reprs
    sim.clear_received()
    assert sim.received == []


def test_a_misspelt_route_fails_loudly(sim) -> None:
    with pytest.raises(ValueError, match="GetCall"):
        sim.faults.drop("GetCal")


def test_an_outage_stop_then_start_comes_back_on_the_same_port_with_its_state(sim, http: SimHttp) -> None:
    create_call(http)
    url = sim.url
    sim.stop()
    with pytest.raises(httpx.TransportError):
        http.get(CALL)
    sim.start()
    assert sim.url == url
    assert http.get(CALL).json()["call"]["cid"] == "livestream:show-1"


def test_a_held_rate_limit_refuses_everything_until_its_reset_time(make_gs_sim) -> None:
    now = [T0]
    sim = make_gs_sim(clock=lambda: now[0])
    http = SimHttp(sim)
    try:
        create_call(http)
        sim.faults.rate_limit("GetCall", reset_in=30, hold=True)
        resets = set()
        for _ in range(5):  # an impatient client retrying at once keeps hitting the wall
            r = http.get(CALL)
            assert r.status_code == 429
            resets.add(r.headers["X-RateLimit-Reset"])
            now[0] += 5
        assert resets == {str(int(T0) + 30)}  # one reset time, announced by the first refusal
        now[0] = T0 + 30  # a client that waits until X-RateLimit-Reset gets through
        assert http.get(CALL).status_code == 200
        assert http.get(CALL).status_code == 200
    finally:
        http.close()
