"""Operations that would swap the stream key or rewrite the call are refused while the show is on
air, from any caller (the GUI's flow refuses them too; the CLI and scripts go straight to core)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from streamdesk.core import channel_ops as ops
from streamdesk.core import live
from streamdesk.core.context import AppContext
from streamdesk.core.getstream import GetStreamClient
from streamdesk.core.secrets import SecretKind
from streamdesk.sim.audience import AudienceConfig
from streamdesk.sim.getstream_server import GetStreamSimulator
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET

CID = "livestream:show-1"


@pytest.fixture
def provisioned(make_gs_sim: Callable[..., GetStreamSimulator], monkeypatch: pytest.MonkeyPatch
                ) -> tuple[AppContext, GetStreamSimulator]:
    sim = make_gs_sim(seed=3)
    monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1",
                     call_id="show-1", api_base=sim.url)
    ops.provision(ctx)
    return ctx, sim


@pytest.mark.parametrize("operation", ["rotate", "provision"])
def test_key_rotation_and_provisioning_are_refused_while_live(provisioned, operation: str) -> None:
    ctx, _sim = provisioned
    key = ctx.secrets.get(SecretKind.STREAM_KEY, CID)
    ops.go_live(ctx, sleep=lambda s: None)
    with pytest.raises(ops.LiveNow, match="is live: end the stream before"):
        ops.rotate_key(ctx) if operation == "rotate" else ops.provision(ctx)
    assert ctx.secrets.get(SecretKind.STREAM_KEY, CID) == key  # OBS's key is still the one on file


def test_rotation_works_again_after_the_show(provisioned) -> None:
    ctx, _sim = provisioned
    key = ctx.secrets.get(SecretKind.STREAM_KEY, CID)
    ops.go_live(ctx, sleep=lambda s: None)
    ops.stop_live(ctx, announce=False)
    ops.rotate_key(ctx, key_ttl_hours=2)  # another lifetime: a new key even within the same second
    assert ctx.secrets.get(SecretKind.STREAM_KEY, CID) != key


def test_a_session_row_left_open_after_the_show_does_not_block_rotation(provisioned) -> None:
    ctx, _sim = provisioned
    key = ctx.secrets.get(SecretKind.STREAM_KEY, CID)
    ctx.store.start_session(CID, 1.0)  # the app was closed when the show ended: the row stayed open
    ops.rotate_key(ctx, key_ttl_hours=2)  # GetStream says the call is in backstage
    assert ctx.secrets.get(SecretKind.STREAM_KEY, CID) != key


def test_rotation_is_refused_when_getstream_cannot_confirm_an_open_show_ended(provisioned) -> None:
    ctx, sim = provisioned
    ops.go_live(ctx, sleep=lambda s: None)
    sim.stop()
    with pytest.raises(ops.LiveNow, match="could not confirm the show has ended"):
        ops.rotate_key(ctx)


# -- a live poll racing the end of the show ---------------------------------------------------------
T0 = 1_767_225_600.0
BUSY = AudienceConfig(mean_viewers=60, ramp_s=30, mean_stay_s=240, chat_base_per_min=6,
                      chat_per_viewer_per_min=1.0)


def test_a_poll_racing_the_end_adds_nothing_after_it(make_gs_sim, monkeypatch: pytest.MonkeyPatch) -> None:
    """Force end stamps the time it started, then waits on GetStream; a poll that checked the row
    was open just before it closed must not record a sample (viewers, chat) after that end."""
    sim = make_gs_sim(clock=lambda: T0, seed=11, audience=BUSY)
    monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1",
                     call_id="show-1", api_base=sim.url)
    ops.provision(ctx)
    session = ops.go_live(ctx, sleep=lambda s: None).session
    end_at = T0 + 61.0
    racing = {"on": False}

    def bitrate() -> float:  # runs inside the poll, after its GetCall and chat fetch
        if racing["on"]:
            ctx.store.end_session(session.id, end_at, "force_end")
        return 2500.0

    with live.LiveRecorder(ctx, session.id, clock=sim.now, interval=3.0, bitrate=bitrate) as rec:
        sim.advance(60)
        rec.poll_once()
        sim.advance(30)
        racing["on"] = True
        snap = rec.poll_once()
    row = ctx.store.get_session(session.id)
    assert row is not None and row.ended_at == end_at and row.end_reason == "force_end"
    assert snap.ended
    assert [s.t for s in ctx.store.samples(session.id) if s.t > end_at] == []
    chat = [m["created_at"] / 1e9 for m in sim.truth(CID).messages]
    assert row.total_chat == sum(1 for t in chat if T0 <= t <= end_at) < len(chat)


def test_switching_the_call_is_refused_while_a_show_is_open_and_stop_unblocks_it(provisioned) -> None:
    ctx, _sim = provisioned
    ops.go_live(ctx, sleep=lambda s: None)
    with pytest.raises(ops.LiveNow, match="end it before switching"):
        ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=None, user_id="host-1", call_id="other")
    assert ctx.store.channel().call_cid == CID and ctx.store.channel().is_provisioned  # nothing forgotten
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=None, user_id="host-1", call_id="show-1")  # same
    ops.stop_live(ctx, announce=False)
    assert ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=None, user_id="host-1",
                            call_id="other").call_cid == "livestream:other"


def test_a_session_left_open_by_an_earlier_show_does_not_absorb_the_next(provisioned) -> None:
    ctx, sim = provisioned
    first = ops.go_live(ctx, sleep=lambda s: None).session
    sim.advance(600)
    with GetStreamClient(SIM_API_KEY, SIM_API_SECRET, base_url=sim.url) as gs:
        gs.stop_live("livestream", "show-1")  # stopped from the dashboard while nothing watched
    sim.advance(3600)
    second = ops.go_live(ctx, sleep=lambda s: None).session
    assert second.id != first.id and second.started_at >= first.started_at + 4200
    old = ctx.store.get_session(first.id)
    assert old is not None and old.ended_at is not None and old.ended_at < second.started_at
    assert ctx.store.open_session(CID) == second
    # a repeated GoLive while live keeps the same row
    assert ops.go_live(ctx, sleep=lambda s: None).session.id == second.id
