"""The whole wizard, end to end, through the window's own buttons, against both simulators."""

from __future__ import annotations

from typing import Any

import pytest

from streamdesk.core.context import AppContext
from streamdesk.core.flow import State

from .conftest import WAIT_MS, Wizard, close


def test_account_to_summary(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    gs, obs = wizard.gs, wizard.obs
    window = make_window(clock=gs.now)
    assert window.viewed == "account" and window.controller.state is State.NEEDS_ACCOUNT
    assert not window.emergency.isVisible()

    wizard.account(window)
    assert window.viewed == "provision"
    assert window.stepper.status("account") == "done"

    wizard.provision(window)
    rtmps = window.cards["provision"].server.text()
    assert rtmps.startswith("rtmp")
    assert window.viewed == "obs"

    wizard.connect_obs(window)
    card = window.cards["obs"]
    assert "Connected" in card.status.text()
    card.review.click()
    qtbot.waitUntil(lambda: card.diff.rowCount() > 0, timeout=WAIT_MS)
    shown = " ".join(card.diff.item(r, c).text() for r in range(card.diff.rowCount()) for c in range(3))
    key = AppContext().secrets.get("stream_key", "livestream:show-1")
    assert key and key not in shown  # the diff masks the key

    wizard.configure_and_stream(window)
    assert obs.stream_service["streamServiceSettings"]["server"] == rtmps
    assert obs.streaming
    assert window.viewed == "golive" and window.emergency.isVisible()

    wizard.go_live(window)
    assert window.asked == ["Go live now?"]
    assert window.viewed == "live" and window.badge.text() == "● LIVE"

    # live numbers: let the simulated audience arrive, poll, compare with the simulator's truth
    gs.advance(120)
    live = window.cards["live"]
    wizard.poll_until(window, lambda: bool(window.controller.last_snapshot
                                           and window.controller.last_snapshot.viewers))
    truth = gs.truth("livestream:show-1")
    snap = window.controller.last_snapshot
    assert live.viewers.value.text() == f"{snap.viewers:,}"
    assert snap.viewers == truth.viewers
    assert live.peak.value.text() == f"{snap.peak_viewers:,}"

    live.end_button.click()
    qtbot.waitUntil(lambda: live.summary.isVisible(), timeout=WAIT_MS)
    wizard.wait_state(window, State.OBS_CONFIGURED, State.READY)
    qtbot.waitUntil(lambda: not obs.streaming, timeout=WAIT_MS)  # "also stop OBS" was ticked
    # the app learns that OBS stopped from OBS's own event, which may come a moment later
    wizard.wait_state(window, State.OBS_CONFIGURED)
    assert window.asked == ["Go live now?", "End the stream?"]
    session = AppContext().store.list_sessions()[0]
    assert session.ended_at is not None and session.peak_viewers == snap.peak_viewers
    assert f"peak {session.peak_viewers:,} viewers" in live.summary.text()
    # the call can go live again: back to Go live once OBS streams again
    live.again.click()
    assert window.viewed == "obs"


def test_confirmation_no_keeps_backstage(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(answer=False)
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    wizard.configure_and_stream(window)
    window.cards["golive"].go.click()
    assert window.asked == ["Go live now?"]
    assert window.controller.state is State.READY
    assert not wizard.gs.requests("GoLive")


def test_force_end_from_live(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    assert window.emergency.isVisible()
    window.force_end_button.click()
    assert window.asked[-1] == "Force end the stream?"
    wizard.wait_state(window, State.OBS_CONFIGURED, State.PROVISIONED, State.READY)
    qtbot.waitUntil(lambda: not wizard.obs.streaming, timeout=WAIT_MS)
    assert wizard.gs.requests("StopLive")
    session = AppContext().store.list_sessions()[0]
    assert session.ended_at is not None and session.end_reason == "force_end"
    assert not window.emergency.isVisible()


def test_force_end_ignores_what_the_wizard_believes(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    """The app thinks it is still going live (GetStream never confirmed): force end still works."""
    window = make_window(go_live_timeout=30.0)
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    wizard.configure_and_stream(window)
    wizard.gs.faults.latency("GoLive", 3.0)
    window.cards["golive"].go.click()
    wizard.wait_state(window, State.GOING_LIVE)
    window.force_end_button.click()
    qtbot.waitUntil(lambda: bool(wizard.gs.requests("StopLive")), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not wizard.obs.streaming, timeout=WAIT_MS)


def test_restart_while_live_resumes_the_same_session(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    first = window.controller.session
    close(window)  # like a crash: nothing was ended

    again = make_window(clock=wizard.gs.now)
    wizard.wait_state(again, State.LIVE)
    qtbot.waitUntil(lambda: again.controller.session is not None, timeout=WAIT_MS)
    assert again.controller.session.id == first.id
    assert again.viewed == "live" and again.badge.text() == "● LIVE"
    sessions = AppContext().store.list_sessions()
    assert len(sessions) == 1 and sessions[0].ended_at is None
    wizard.gs.advance(60)
    again.controller.poll_live_now()
    qtbot.waitUntil(lambda: again.controller.last_snapshot is not None, timeout=WAIT_MS)
    assert again.controller.last_snapshot.session_id == first.id


@pytest.mark.parametrize("field,value,needle", [
    ("api_key", "has space", "no spaces"),
    ("base_url", "ftp://x", "simulator URL"),
])
def test_account_validates_as_typed(make_window: Any, field: str, value: str, needle: str) -> None:
    window = make_window()
    card = window.cards["account"]
    card.api_key.setText("key")
    set_secret = __import__("streamdesk.ui.stages.base", fromlist=["set_secret_text"]).set_secret_text
    set_secret(card.secret, "secret")
    card.user_id.setText("me")
    card.use_sim.setChecked(True)
    card.base_url.setText("http://127.0.0.1:9")
    assert card.save.isEnabled()
    getattr(card, field).setText(value)
    assert not card.save.isEnabled()
    assert needle in card.errors["api_key" if field == "api_key" else "base_url"].text()


def test_empty_secret_is_flagged_before_any_request(make_window: Any, wizard: Wizard) -> None:
    window = make_window()
    card = window.cards["account"]
    card.api_key.setText("key")
    card.user_id.setText("me")
    assert not card.save.isEnabled()
    assert "API secret" in card.save.toolTip()
    assert not wizard.gs.requests()
