"""The session API (``core.live``) against the GetStream simulator: every way a show ends counts
its last chat exactly once, whoever holds the session's recorder."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from streamdesk.core import channel_ops as ops
from streamdesk.core import live
from streamdesk.core.context import AppContext
from streamdesk.core.store import Session
from streamdesk.sim.audience import AudienceConfig
from streamdesk.sim.getstream_server import GetStreamSimulator
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET

T0 = 1_767_225_600.0
CID = "livestream:show-1"
CHATTY = AudienceConfig(mean_viewers=40, ramp_s=10, mean_stay_s=600, chat_base_per_min=30,
                        chat_per_viewer_per_min=2.0)


@pytest.fixture
def show(make_gs_sim: Callable[..., GetStreamSimulator],
         monkeypatch: pytest.MonkeyPatch) -> tuple[AppContext, GetStreamSimulator, Session]:
    sim = make_gs_sim(clock=lambda: T0, seed=5, audience=CHATTY)
    monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1",
                     call_id="show-1", api_base=sim.url)
    ops.provision(ctx)
    return ctx, sim, ops.go_live(ctx, sleep=lambda _s: None).session


def chat_until(sim: GetStreamSimulator, end: float) -> int:
    return sum(1 for m in sim.truth(CID).messages if T0 <= m["created_at"] / 1e9 <= end)


Show = tuple[AppContext, GetStreamSimulator, Session]


def test_finish_with_nobody_recording_counts_the_last_chat(show: Show) -> None:
    ctx, sim, session = show
    sim.advance(40)
    row = live.finish_session(ctx, CID, ended_at=sim.now(), reason="stopped")
    assert row is not None and row.id == session.id and not row.is_open
    assert row.total_chat == chat_until(sim, T0 + 40) > 0


def test_finish_while_another_recorder_holds_the_session_leaves_the_count_to_it(
        show: Show) -> None:
    ctx, sim, session = show
    with live.LiveRecorder(ctx, session.id, clock=sim.now, interval=3) as watcher:
        watcher.poll_once()
        sim.advance(40)
        row = live.finish_session(ctx, CID, ended_at=sim.now(), reason="stopped")  # `end` elsewhere
        assert row is not None and not row.is_open and row.total_chat < chat_until(sim, T0 + 40)
        assert watcher.poll_once().ended  # the holder sees the row closed and counts the rest
        assert watcher.poll_once().ended  # …once
    final = ctx.store.get_session(session.id)
    assert final is not None and final.total_chat == chat_until(sim, T0 + 40)


def test_a_new_show_finishes_the_row_an_earlier_show_left_open(
        show: Show) -> None:
    ctx, sim, session = show
    sim.advance(30)
    later = live.open_session(ctx, CID, T0 + 600, "another-session")
    assert later.id != session.id and later.started_at == T0 + 600
    earlier = ctx.store.get_session(session.id)
    assert earlier is not None and earlier.end_reason == "stopped"
    assert live.open_session(ctx, CID, T0 + 600, "another-session").id == later.id  # resumed, not a third
