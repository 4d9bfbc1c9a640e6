"""A simulated hour-long show polled through a storm of injected faults: the simulator stays consistent.

A minimal poller (retry on 429/5xx/dropped/mangled answers) reads GetCall and the chat channel
every 15 simulated seconds. Whatever the faults, every poll that gets through must agree with the
simulator's own truth at that instant, and paging with ``id_gt`` must see every audience message
exactly once, in order. Seeded: the same faults hit the same requests on every run.
"""

from __future__ import annotations

import json

import httpx
import pytest

from streamdesk.sim.faults import FaultKind
from tests.plugins.getstream_sim import SimHttp, create_call

CALL = "/api/v2/video/call/livestream/show-1"
CHANNEL = "/api/v2/chat/channels/livestream/show-1"
T0 = 1_800_000_000.0


def _with_retries(send, attempts: int = 30) -> dict:
    for _ in range(attempts):
        try:
            r = send()
        except httpx.TransportError:
            continue
        if r.status_code == 429 or r.status_code >= 500:
            continue
        try:
            return r.json()
        except json.JSONDecodeError:
            continue
    pytest.fail("the simulator never answered cleanly")


@pytest.mark.soak
def test_an_hour_of_polling_through_faults_agrees_with_the_truth(make_gs_sim) -> None:
    sim = make_gs_sim(seed=99, clock=lambda: T0)
    http = SimHttp(sim)
    try:
        create_call(http)
        http.post(f"{CHANNEL}/query", {"data": {"created_by_id": "host-1"}})
        http.post(f"{CALL}/go_live")
        for route in ("GetCall", "GetOrCreateChannel"):
            sim.faults.rate_limit(route, times=None, probability=0.1)
            sim.faults.server_error(route, times=None, probability=0.05, status=503)
            sim.faults.drop(route, times=None, probability=0.03)
            sim.faults.malformed(route, times=None, probability=0.03)

        seen: list[str] = []
        last = None
        peak = 0
        for _ in range(240):
            sim.advance(15)
            call = _with_retries(lambda: http.get(CALL, validate=False))["call"]
            truth = sim.truth("livestream:show-1")
            session = call["session"]
            assert session["participants_count_by_role"].get("user", 0) == truth.registered
            assert session["anonymous_participant_count"] == truth.anonymous
            peak = max(peak, truth.viewers)
            while True:
                body = {"messages": {"limit": 50, **({"id_gt": last} if last else {})}}
                answer = _with_retries(lambda b=body: http.post(f"{CHANNEL}/query", b, validate=False))
                page = answer["messages"]
                seen += [m["id"] for m in page if m["type"] == "regular"]  # chat, not system or deleted
                last = page[-1]["id"] if page else last
                if len(page) < 50:
                    break
        final = sim.truth("livestream:show-1")
    finally:
        http.close()

    assert seen == [m["id"] for m in final.messages]
    assert final.messages_generated > 300
    assert final.peak_viewers >= peak > 0
    for kind in FaultKind:
        if kind is not FaultKind.LATENCY:
            assert sim.faults.count(kind) > 0, f"no {kind} fault was injected: the soak proves less"
