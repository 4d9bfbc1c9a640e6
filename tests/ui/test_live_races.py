"""Races a streamer can cause on a live show by clicking fast: the window must end up agreeing
with GetStream."""

from __future__ import annotations

from typing import Any

from streamdesk.core.context import AppContext
from streamdesk.core.flow import State
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
