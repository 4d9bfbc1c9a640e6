"""Races a streamer can cause on a live show by clicking fast: the window must end up agreeing
with GetStream."""

from __future__ import annotations

from typing import Any

from streamdesk.core.context import AppContext
from streamdesk.core.flow import Event, State
from streamdesk.core.getstream import GetStreamClient
from tests.ui.conftest import WAIT_MS, Wizard


def test_force_end_while_go_live_is_in_flight_ends_agreeing_with_getstream(
        make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now, go_live_timeout=3.0)
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    wizard.configure_and_stream(window)
    controller = window.controller
    # the GoLive request is still on its way when force end runs, so it reaches GetStream last
    wizard.gs.faults.latency("GoLive", 1.5)
    window.cards["golive"].go.click()
    assert controller.state is State.GOING_LIVE
    controller.force_end()
    qtbot.waitUntil(lambda: "go_live" not in controller.busy and "force_end" not in controller.busy,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not controller.busy, timeout=WAIT_MS)  # the refresh that follows
    with GetStreamClient(wizard.gs.api_key, wizard.gs.api_secret, base_url=wizard.gs.url) as gs:
        live = gs.get_call("livestream", "show-1").is_live
    store = AppContext().store
    if live:  # the usual order: the window must say LIVE and record it, not "OBS configured"
        qtbot.waitUntil(lambda: controller.state is State.LIVE and controller.session is not None,
                        timeout=WAIT_MS)
        assert store.open_session("livestream:show-1") is not None
    else:
        assert controller.state not in (State.LIVE, State.GOING_LIVE, State.ENDING)
        assert store.open_session("livestream:show-1") is None


def test_ending_the_show_counts_the_chat_since_the_last_poll(
        make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    """The summary (and the stored session) include the chat of the seconds between the last live
    poll and the end, as the CLI's recorder does: nothing the audience wrote on air is lost."""
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    c = window.controller
    ended: list[Any] = []
    c.session_ended.connect(ended.append)
    wizard.gs.advance(60)
    before = c.last_snapshot
    c.poll_live_now()
    qtbot.waitUntil(lambda: c.last_snapshot is not before and not c._polling, timeout=WAIT_MS)
    polled = c.last_snapshot.total_chat
    wizard.gs.advance(40)  # chat keeps coming until the end, after the last poll
    window.cards["live"].end_button.click()
    qtbot.waitUntil(lambda: bool(ended), timeout=WAIT_MS)
    truth = wizard.gs.truth("livestream:show-1")
    assert truth.messages_generated > polled
    # the summary shows the final count (it may first show the count of the last poll)
    qtbot.waitUntil(lambda: ended[-1].total_chat == truth.messages_generated, timeout=WAIT_MS)
    wizard.idle(window)
    row = AppContext().store.get_session(ended[0].id)
    assert row is not None and row.total_chat == truth.messages_generated
    assert f"{truth.messages_generated:,} chat messages" in window.cards["live"].summary.text()


def test_a_refresh_that_finds_the_show_ended_elsewhere_closes_the_session(
        make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    """Stopped from GetStream's dashboard, then the streamer presses F5 before the next live poll:
    the window leaves LIVE and the session must be finished (row closed, summary shown), not left
    open with its recorder holding the session lock until the app restarts."""
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    c = window.controller
    ended: list[Any] = []
    c.session_ended.connect(ended.append)
    wizard.gs.advance(30)
    with GetStreamClient(wizard.gs.api_key, wizard.gs.api_secret, base_url=wizard.gs.url) as gs:
        gs.stop_live("livestream", "show-1")
    c.refresh()
    qtbot.waitUntil(lambda: c.state is not State.LIVE, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bool(ended) and ended[-1].ended_at is not None, timeout=WAIT_MS)
    wizard.idle(window)
    row = AppContext().store.get_session(ended[-1].id)
    assert row is not None and row.end_reason == "stopped" and c.session is None
    assert row.total_chat == wizard.gs.truth("livestream:show-1").messages_generated


def test_a_failed_force_end_does_not_leave_the_window_stuck_ending(
        make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    """GetStream refuses the force end: the window must say what GetStream says (still live, so
    End works again), not sit in "ending the stream" with End and Go live refused until a restart."""
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    c = window.controller
    wizard.gs.faults.server_error("StopLive", times=None)
    messages: list[str] = []
    c.message.connect(lambda _stage, level, text: messages.append(f"{level}: {text}"))
    c.force_end()
    qtbot.waitUntil(lambda: any("Force end failed" in m for m in messages), timeout=WAIT_MS)
    wizard.idle(window)
    qtbot.waitUntil(lambda: c.state is State.LIVE, timeout=WAIT_MS)  # the call is still live
    assert c.reason(Event.STOP) is None


def test_live_found_on_refresh_does_not_resume_an_earlier_shows_open_row(
        make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    """The last show ended while streamdesk was closed (its row stayed open); this one was started
    elsewhere (`streamdesk golive`, the dashboard). The window must record a new session."""
    window = make_window(clock=wizard.gs.now)
    wizard.account(window)
    wizard.provision(window)
    store = AppContext().store
    stale = store.start_session("livestream:show-1", wizard.gs.now() - 7200)
    with GetStreamClient(wizard.gs.api_key, wizard.gs.api_secret, base_url=wizard.gs.url) as gs:
        gs.go_live("livestream", "show-1")
    c = window.controller
    c.refresh()
    qtbot.waitUntil(lambda: c.state is State.LIVE and c.session is not None, timeout=WAIT_MS)
    assert c.session.id != stale.id and c.session.started_at > stale.started_at + 3600
    old = store.get_session(stale.id)
    assert old is not None and old.ended_at is not None
