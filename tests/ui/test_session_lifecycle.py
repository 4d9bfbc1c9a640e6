"""The live session's lifecycle through the controller alone (no MainWindow): real Qt objects,
the GetStream simulator on loopback, the recorder on its own thread.

The figure every view shows at the end of a show is the one the session API wrote: the chat
written between the last live poll and the end is counted once, and ``session_ended`` carries
the finished row, whether the show was ended here (with a poll in flight), elsewhere (the CLI),
or while nothing watched (a stale row at start-up)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from streamdesk.core import channel_ops as ops
from streamdesk.core import stats
from streamdesk.core.context import AppContext
from streamdesk.core.flow import State
from streamdesk.core.options import StopOptions
from streamdesk.core.store import Session
from streamdesk.sim.audience import AudienceConfig
from streamdesk.sim.getstream_server import GetStreamSimulator
from streamdesk.ui.controller import Controller
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET

from .conftest import WAIT_MS

T0 = 1_767_225_600.0
CID = "livestream:show-1"
CHATTY = AudienceConfig(mean_viewers=40, ramp_s=10, mean_stay_s=600, chat_base_per_min=30,
                        chat_per_viewer_per_min=2.0)


@pytest.fixture
def sim(make_gs_sim: Callable[..., GetStreamSimulator],
        monkeypatch: pytest.MonkeyPatch) -> GetStreamSimulator:
    gs = make_gs_sim(clock=lambda: T0, seed=7, audience=CHATTY)
    monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1",
                     call_id="show-1", api_base=gs.url)
    ops.provision(ctx)
    return gs


@pytest.fixture
def controller(sim: GetStreamSimulator, qtbot: Any) -> Iterator[Controller]:
    c = Controller(AppContext(), clock=sim.now, live_interval_ms=3_600_000, health_interval_ms=3_600_000)
    yield c
    c.close()


def chat_between(sim: GetStreamSimulator, start: float, end: float) -> int:
    return sum(1 for m in sim.truth(CID).messages if start <= m["created_at"] / 1e9 <= end)


def ended(c: Controller, qtbot: Any) -> list[Session]:
    seen: list[Session] = []
    c.session_ended.connect(seen.append)
    return seen


def live_with_one_poll(c: Controller, sim: GetStreamSimulator, qtbot: Any) -> Session:
    """GetStream says live (gone live from the CLI); the controller resumes and polls once."""
    ops.go_live(AppContext(), sleep=lambda _s: None)
    c.start()
    qtbot.waitUntil(lambda: c.state is State.LIVE and c.last_snapshot is not None and not c._polling,
                    timeout=WAIT_MS)
    assert c.session is not None
    return c.session


def test_ended_here_with_a_poll_in_flight_counts_the_last_chat_once(
        controller: Controller, sim: GetStreamSimulator, qtbot: Any) -> None:
    c = controller
    session = live_with_one_poll(c, sim, qtbot)
    seen = ended(c, qtbot)
    sim.advance(45)  # chat the last poll has not seen
    sim.faults.latency("GetCall", 1.0)  # the next poll is still out when StopLive returns
    c.poll_live_now()  # a poll in flight when the streamer ends the show
    c.stop_live(StopOptions(), stop_obs=False)
    qtbot.waitUntil(lambda: bool(seen) and c.state is not State.ENDING and not c.busy, timeout=WAIT_MS)

    (summary,) = seen  # one figure, emitted once
    row = AppContext().store.get_session(session.id)
    assert row is not None and not row.is_open
    assert summary.total_chat == row.total_chat == chat_between(sim, T0, row.ended_at or 0)
    assert row.total_chat > 0
    (history,) = [stats.session_record(s) for s in AppContext().store.list_sessions() if s.id == session.id]
    assert history["total_chat"] == summary.total_chat  # `streamdesk sessions` and the History page


def test_ended_elsewhere_the_next_poll_finishes_the_row_with_its_last_chat(
        controller: Controller, sim: GetStreamSimulator, qtbot: Any) -> None:
    c = controller
    session = live_with_one_poll(c, sim, qtbot)
    seen = ended(c, qtbot)
    sim.advance(45)
    ops.end(AppContext(), stop_obs=False)  # `streamdesk end` while the window records: it holds the lock
    c.poll_live_now()
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT_MS)

    (summary,) = seen
    row = AppContext().store.get_session(session.id)
    assert row is not None and row.end_reason == "stopped"
    assert summary.total_chat == row.total_chat == chat_between(sim, T0, row.ended_at or 0) > 0


def test_a_row_left_open_while_nothing_watched_is_closed_with_its_chat_at_start(
        controller: Controller, sim: GetStreamSimulator, qtbot: Any) -> None:
    ctx = AppContext()
    result = ops.go_live(ctx, sleep=lambda _s: None)
    sim.advance(60)
    with ops.client(ctx) as gs:  # ended from GetStream's dashboard: nothing here saw it
        gs.stop_live("livestream", "show-1")
    sim.advance(60)
    c = controller
    c.start()
    qtbot.waitUntil(lambda: not (ctx.store.get_session(result.session.id) or result.session).is_open,
                    timeout=WAIT_MS)
    row = ctx.store.get_session(result.session.id)
    assert row is not None and row.ended_at == pytest.approx(T0 + 60)
    assert row.total_chat == chat_between(sim, T0, T0 + 60) > 0
    assert c.session is None


def test_the_ended_page_shows_the_chat_total_of_the_row_and_history(make_window: Any, wizard: Any,
                                                                      qtbot: Any) -> None:
    """The user-visible bug this API fixes: the ended page said 43 chat messages while the session
    row and History said 44 (the last poll's chat counted after the summary was drawn)."""
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    c, live_card = window.controller, window.cards["live"]
    qtbot.waitUntil(lambda: c.last_snapshot is not None and not c._polling, timeout=WAIT_MS)
    wizard.gs.advance(45)
    wizard.gs.faults.latency("GetCall", 1.0)
    c.poll_live_now()  # still out when the end returns
    live_card.end_button.click()
    qtbot.waitUntil(lambda: live_card.summary.isVisible() and not c.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not c._polling, timeout=WAIT_MS)

    (row,) = AppContext().store.list_sessions()
    assert row.total_chat > 0
    assert f"{row.total_chat:,} chat messages" in live_card.summary.text()
    assert live_card.total_chat.value.text() == f"{row.total_chat:,}"
    window.show_history()
    from streamdesk.ui.history import COLUMNS

    table, chat = window.history.view.table, COLUMNS.index("Chat")
    qtbot.waitUntil(lambda: table.rowCount() == 1 and table.item(0, chat) is not None, timeout=WAIT_MS)
    assert table.item(0, chat).text() == f"{row.total_chat}"


def test_one_thread_owns_the_recorder(controller: Controller, sim: GetStreamSimulator, qtbot: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Made, polled, finished and closed on the RecorderWorker's thread only: nothing hands the
    recorder between threads (the races the old controller kept fixing)."""
    import threading

    from streamdesk.core import live

    threads: list[tuple[str, str]] = []
    for name in ("__init__", "poll_once", "finish", "close"):
        original = getattr(live.LiveRecorder, name)

        def spy(self: Any, *args: Any, _original: Any = original, _name: str = name, **kw: Any) -> Any:
            threads.append((_name, threading.current_thread().name))
            return _original(self, *args, **kw)

        monkeypatch.setattr(live.LiveRecorder, name, spy)
    c = controller
    live_with_one_poll(c, sim, qtbot)
    seen = ended(c, qtbot)
    sim.advance(20)
    c.poll_live_now()
    c.stop_live(StopOptions(), stop_obs=False)
    qtbot.waitUntil(lambda: bool(seen) and not c.busy, timeout=WAIT_MS)
    c.close()

    assert {what for what, _ in threads} >= {"__init__", "poll_once", "close"}
    # channel_ops.stop_live (on a Tasks thread) tried to take the session and was refused
    # (RecorderBusy, in __init__): only the recorder thread ever used a recorder
    used = [where for what, where in threads if what != "__init__"]
    assert used and all(where.startswith("streamdesk-recorder") for where in used), used
