"""The simulated audience is a pure function of (seed, live time), and it feels alive by default."""

from __future__ import annotations

import pytest

from streamdesk.sim.audience import AudienceConfig, LiveAudience
from tests.plugins.getstream_sim import SimHttp, create_call

CALL = "/api/v2/video/call/livestream/show-1"
CID = "livestream:show-1"
T0 = 1_800_000_000.0


def _timeline(audience: LiveAudience, t: float) -> tuple:
    return ([(v.user_id, v.arrive, v.leave) for v in audience.viewers if v.arrive <= t],
            [(m.id, m.at, m.user_id, m.text) for m in audience.messages(t)], audience.peak(t))


def test_the_timeline_does_not_depend_on_how_often_it_is_read() -> None:
    once = LiveAudience(AudienceConfig(), "7:livestream:x:0")
    often = LiveAudience(AudienceConfig(), "7:livestream:x:0")
    for step in range(1, 3601, 7):  # a poller every 7 s, reading counts and chat each time
        often.present(step)
        often.messages(step)
        often.peak(step)
    once.extend(3600)
    assert _timeline(once, 3600) == _timeline(often, 3600)
    assert len(once.chat) > 100 and len(once.viewers) > 40  # an hour of a lively show


def test_another_seed_tells_another_story() -> None:
    a = LiveAudience(AudienceConfig(), "1:livestream:x:0")
    b = LiveAudience(AudienceConfig(), "2:livestream:x:0")
    assert _timeline(a, 600) != _timeline(b, 600)


def test_defaults_feel_alive_quickly() -> None:
    audience = LiveAudience(AudienceConfig(), "1:livestream:show-1:0")
    assert audience.present(5.0), "a first viewer within a few seconds of going live"
    assert audience.messages(10.0), "chat within about ten seconds"
    steady = [len(audience.present(t)) for t in range(900, 3600, 60)]
    assert min(steady) >= 20 and max(steady) <= 70  # hovers around mean_viewers=40


def test_a_quiet_audience_never_shows_up() -> None:
    audience = LiveAudience(AudienceConfig.quiet(), "1:x")
    assert audience.present(3600) == [] and audience.messages(3600) == [] and audience.peak(3600) == 0


def test_anonymous_viewers_are_counted_but_never_chat() -> None:
    audience = LiveAudience(AudienceConfig(anonymous_share=0.6), "3:x")
    audience.extend(1800)
    anonymous = {v.number for v in audience.viewers if v.user_id is None}
    assert anonymous, "some viewers are anonymous"
    speakers = {m.user_id for m in audience.chat}
    assert all(user for user in speakers)
    # and only someone present at that moment speaks
    for m in audience.chat:
        assert any(v.user_id == m.user_id and v.arrive <= m.at < v.leave for v in audience.viewers)


@pytest.mark.parametrize("bad", [{"mean_viewers": -1}, {"ramp_s": 0}, {"anonymous_share": 1.0}])
def test_nonsense_rates_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        AudienceConfig(**bad)


def _run_show(sim, polls: list[float]) -> list[tuple]:
    http = SimHttp(sim)
    seen = []
    try:
        create_call(http)
        http.post(f"{CALL}/go_live")
        for dt in polls:
            sim.advance(dt)
            session = http.get(CALL).json()["call"]["session"]
            seen.append((session["participants_count_by_role"].get("user", 0),
                         session["anonymous_participant_count"]))
    finally:
        http.close()
    return seen


def test_two_simulators_with_one_seed_agree_on_every_poll(make_gs_sim) -> None:
    a = make_gs_sim(seed=11, clock=lambda: T0)
    b = make_gs_sim(seed=11, clock=lambda: T0)
    polls = [3.0, 5.0, 30.0, 60.0, 300.0]
    seen = _run_show(a, polls)
    assert seen == _run_show(b, polls)
    assert a.truth(CID) == b.truth(CID)
    assert _run_show(make_gs_sim(seed=12, clock=lambda: T0), polls) != seen


def test_polling_more_often_sees_the_same_show(make_gs_sim) -> None:
    coarse = make_gs_sim(seed=4, clock=lambda: T0)
    fine = make_gs_sim(seed=4, clock=lambda: T0)
    _run_show(coarse, [600.0])
    _run_show(fine, [10.0] * 60)
    assert coarse.truth(CID) == fine.truth(CID)


def test_the_api_reports_what_the_audience_did(make_gs_sim) -> None:
    sim = make_gs_sim(seed=9, clock=lambda: T0)
    http = SimHttp(sim)
    try:
        address = create_call(http).json()["call"]["ingress"]["rtmp"]["address"]
        sim.rtmp_publish(address, sim.user_token("host-1"))
        http.post(f"{CALL}/go_live")
        sim.advance(240)
        truth = sim.truth(CID)
        session = http.get(CALL).json()["call"]["session"]
        # by app role: the publisher (host-1, upserted without a role) counts under "user" too
        assert session["participants_count_by_role"] == {"user": truth.registered + 1}
        assert session["anonymous_participant_count"] == truth.anonymous
        assert truth.viewers == truth.registered + truth.anonymous > 0
        assert truth.peak_viewers >= truth.viewers
        assert len(session["participants"]) == truth.registered + 1

        http.post(f"{CALL}/stop_live")
        sim.advance(60)
        after = sim.truth(CID)
        assert after.viewers == 0 and after.peak_viewers == truth.peak_viewers
        assert after.messages_generated == truth.messages_generated  # nobody chats in backstage
    finally:
        http.close()


def test_each_live_stretch_brings_its_own_audience(make_gs_sim) -> None:
    sim = make_gs_sim(seed=9, clock=lambda: T0)
    http = SimHttp(sim)
    try:
        create_call(http)
        http.post(f"{CALL}/go_live")
        sim.advance(120)
        http.post(f"{CALL}/stop_live")
        first = sim.truth(CID)
        sim.advance(600)
        http.post(f"{CALL}/go_live")
        sim.advance(120)
        second = sim.truth(CID)
    finally:
        http.close()
    assert second.viewers > 0
    assert second.messages_generated > first.messages_generated
    assert second.messages[: first.messages_generated] == first.messages  # history stays


def test_time_scale_speeds_up_the_show(make_gs_sim) -> None:
    now = [T0]
    sim = make_gs_sim(seed=2, clock=lambda: now[0], time_scale=60.0)
    http = SimHttp(sim)
    try:
        create_call(http)
        http.post(f"{CALL}/go_live")
        now[0] += 10  # ten base seconds are ten simulated minutes
        assert sim.now() == pytest.approx(T0 + 600)
        assert sim.truth(CID).messages_generated > 20
    finally:
        http.close()
