"""The common streaming problems (docs/obs.md, "Common problems"), shown where they happen, each
saying what to check."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

from streamdesk.core.context import AppContext
from streamdesk.core.flow import State
from tests.plugins.processes import free_port

from .conftest import WAIT_MS, Wizard, close


def banner(window: Any, stage: str) -> tuple[str, str]:
    b = window.cards[stage].banner
    return b.level, b.label.text()


def test_going_live_stuck_becomes_a_diagnostic(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(go_live_timeout=1.5)
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    wizard.configure_and_stream(window)
    wizard.gs.app.go_live_lag = math.inf  # GetStream accepts GoLive but the call never leaves backstage
    window.cards["golive"].go.click()
    wizard.wait_state(window, State.GOING_LIVE)
    assert window.cards["golive"].progress.isVisible()
    qtbot.waitUntil(lambda: banner(window, "golive")[0] == "error", timeout=WAIT_MS)
    wizard.wait_state(window, State.READY)
    _level, text = banner(window, "golive")
    assert "still shows livestream:show-1 in backstage" in text and "Check that OBS is streaming" in text
    assert "Traceback" not in text
    assert AppContext().store.list_sessions() == []  # no show recorded that did not happen


def test_obs_unreachable(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    card = window.cards["obs"]
    card.set_target("127.0.0.1", free_port(), "whatever")
    card.connect_button.click()
    qtbot.waitUntil(lambda: banner(window, "obs")[0] == "error", timeout=WAIT_MS)
    assert "OBS" in banner(window, "obs")[1]
    assert card.status.text() == "Not connected"
    assert not card.apply.isEnabled() and card.apply.toolTip() == "Connect to OBS first."


def test_wrong_obs_password_says_so(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    card = window.cards["obs"]
    card.set_target("127.0.0.1", wizard.obs.port, "not-the-password")
    card.connect_button.click()
    qtbot.waitUntil(lambda: banner(window, "obs")[0] == "error", timeout=WAIT_MS)
    assert "password" in banner(window, "obs")[1].lower()
    assert "not-the-password" not in banner(window, "obs")[1]


def test_obs_started_but_ingest_refused(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    window.cards["obs"].apply.click()
    wizard.wait_state(window, State.OBS_CONFIGURED)
    wizard.idle(window)
    wizard.obs.ingest_reachable = False  # STARTING → STOPPED: wrong server or key rejected
    window.cards["obs"].start.click()
    qtbot.waitUntil(lambda: banner(window, "obs")[0] == "error", timeout=WAIT_MS)
    text = banner(window, "obs")[1]
    assert "key" in text.lower() and "server" in text.lower()
    assert window.controller.state is State.OBS_CONFIGURED


def test_expired_key_is_flagged_before_configuring(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    ctx = AppContext()
    ctx.store.save_channel(replace(ctx.store.channel(), key_expires_at=time.time() - 60))
    window.controller.channel = ctx.store.channel()
    window.cards["obs"].review.click()
    level, text = banner(window, "obs")
    assert level == "error" and "expired" in text and "Rotate" in text


def test_getstream_unreachable_on_start(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    window.close()
    wizard.gs.stop()  # GetStream is gone when the app starts again
    again = make_window()
    # the local config still opens the right stage
    assert again.controller.state is State.PROVISIONED
    qtbot.waitUntil(lambda: "GetStream" in banner(again, "obs")[1], timeout=30_000)
    assert banner(again, "obs")[0] == "error"
    assert "Could not reach GetStream" in banner(again, "obs")[1]


def test_restart_while_live_with_getstream_down_resumes_by_itself(make_window: Any, wizard: Wizard,
                                                                  qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    session = AppContext().store.open_session("livestream:show-1")
    close(window)
    wizard.gs.stop()  # a restart during a GetStream (or network) outage, mid-show
    again = make_window(clock=wizard.gs.now)
    retry = again.controller.refresh_retry
    qtbot.waitUntil(retry.isActive, timeout=30_000)
    assert retry.interval() == 5_000
    stage = again.viewed
    assert "Trying again in 5 s" in banner(again, stage)[1]
    wizard.gs.start()  # back on the same port
    retry.start(0)  # the backoff, without waiting it out
    wizard.wait_state(again, State.LIVE)
    qtbot.waitUntil(lambda: again.controller.session is not None, timeout=WAIT_MS)  # resumed off-thread
    assert again.controller.session.id == session.id
    assert not retry.isActive() and retry.interval() == 0


def test_reconnecting_banner_while_live(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    live = window.cards["live"]
    assert not live.reconnecting.isVisible()
    wizard.obs.simulate_reconnect(duration=1.0)
    qtbot.waitUntil(live.reconnecting.isVisible, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not live.reconnecting.isVisible(), timeout=WAIT_MS)
    assert window.controller.state is State.LIVE
