"""Viewers and chat as GetStream counts them (issue 12, items 4-6), recorder against the simulator:
the broadcaster's own participation is not a viewer; only regular, undeleted messages are chat,
each counted once; live is confirmed from GoLive's own answer."""

from __future__ import annotations

import pytest

from streamdesk.core import channel_ops as ops
from streamdesk.core import live
from streamdesk.core.context import AppContext
from streamdesk.core.getstream import GetStreamClient
from streamdesk.sim.audience import AudienceConfig
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET

T0 = 1_767_225_600.0
CID = "livestream:show-1"


@pytest.fixture
def provisioned(make_gs_sim, monkeypatch: pytest.MonkeyPatch):
    def make(audience: AudienceConfig):
        sim = make_gs_sim(clock=lambda: T0, seed=3, audience=audience)
        monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)
        ctx = AppContext()
        ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1",
                         call_id="show-1", api_base=sim.url)
        result = ops.provision(ctx)
        assert sim.rtmp_publish(result.rtmps_url, ops.stream_key(ctx)) == CID  # OBS is streaming
        return sim, ctx
    return make


def test_viewers_exclude_the_broadcasters_own_participation(provisioned) -> None:
    sim, ctx = provisioned(AudienceConfig(mean_viewers=40, ramp_s=20))
    assert ops.ingest_seen(ctx) is True
    result = ops.go_live(ctx, sleep=lambda s: None)
    sim.advance(120)
    with live.LiveRecorder(ctx, result.session.id, clock=sim.now, interval=3) as rec:
        snap = rec.poll_once()
    truth = sim.truth(CID)
    assert truth.viewers > 5
    assert snap.viewers == truth.viewers  # the publisher (role "user") is in the counts, not a viewer


def test_go_live_is_confirmed_by_the_golive_answer_alone(provisioned) -> None:
    sim, ctx = provisioned(AudienceConfig.quiet())
    sim.clear_received()
    ops.go_live(ctx, sleep=lambda s: None)
    assert [r.operation for r in sim.received] == ["GoLive"]


def test_go_live_without_ingest_names_what_was_observed(provisioned) -> None:
    sim, ctx = provisioned(AudienceConfig.quiet())
    sim.rtmp_unpublish()
    sim.go_live_lag = float("inf")  # GetStream never shows it out of backstage
    with pytest.raises(ops.GoLiveStuck) as info:
        ops.go_live(ctx, timeout=0.0, sleep=lambda s: None)
    assert "does not receive your stream" in info.value.message
    with pytest.raises(ops.NoIngest):
        ops.go_live(ctx, check_ingest=True, sleep=lambda s: None)


def test_chat_counts_regular_undeleted_messages_once(provisioned) -> None:
    sim, ctx = provisioned(AudienceConfig.quiet())
    session = ops.go_live(ctx, sleep=lambda s: None).session  # GetChannel now has a system message too
    sim.advance(1)
    with GetStreamClient(SIM_API_KEY, SIM_API_SECRET, base_url=sim.url) as gs:
        for i in range(3):
            gs._request("SendMessage", "POST", "/api/v2/chat/channels/livestream/show-1/message",
                        json={"message": {"id": f"m{i}", "text": f"hello {i}", "user_id": "fan"}})
    channel = sim.app.channels["livestream:show-1"]
    with live.LiveRecorder(ctx, session.id, clock=sim.now, interval=3) as rec:
        first = rec.poll_once()
        assert first.chat_new == 3  # the system "livestream started" message is not chat
        # the cursor message is hard-deleted: GetStream pages from the start again
        channel.sent = [m for m in channel.sent if m.id != "m2"]
        sim.advance(3)
        again = rec.poll_once()
    assert again.chat_new == 0 and again.total_chat == 3
