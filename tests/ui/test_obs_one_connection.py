"""The Connect-OBS stage's review and one-click configure run on the GUI's open OBS connection:
no new socket, the reads in one RequestBatch and the writes in one more (issue 17 item 2)."""

from __future__ import annotations

from typing import Any

from streamdesk.core.flow import State

from .conftest import WAIT_MS, Wizard

HEALTH = ["GetStreamStatus", "GetStats"]  # the status bar's poll, a batch of its own at any time


def batches(obs: Any) -> list[list[str]]:
    return [b for b in obs.batches if b != HEALTH]


def test_review_configure_and_undo_open_no_socket_and_batch(make_window: Any, wizard: Wizard,
                                                            qtbot: Any) -> None:
    obs = wizard.obs
    window = make_window(clock=wizard.gs.now)
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    card = window.cards["obs"]
    qtbot.waitUntil(lambda: card.plan_shown, timeout=WAIT_MS)  # the diff shows once OBS is connected
    wizard.idle(window)
    sockets = obs.sessions_opened

    seen = len(batches(obs))
    card.review.click()
    qtbot.waitUntil(lambda: card.diff.rowCount() > 0, timeout=WAIT_MS)
    wizard.idle(window)
    assert len(batches(obs)) == seen + 1  # the diff: one read batch

    before = len(obs.received)
    card.apply.click()
    wizard.wait_state(window, State.OBS_CONFIGURED)
    wizard.idle(window)
    configure = batches(obs)[seen + 1:]
    assert [b[0] for b in configure] == ["GetStreamStatus", "SetStreamServiceSettings"]
    assert all(t.startswith("Set") for t in configure[1])
    sets = [r.request_type for r in obs.received[before:] if r.request_type.startswith("Set")]
    assert sets == configure[1]  # every write went in the one batch
    rtmps = window.cards["provision"].server.text()
    assert obs.stream_service["streamServiceSettings"]["server"] == rtmps
    assert obs.sessions_opened == sockets  # nothing opened a second socket

    undone_at = len(batches(obs))
    card.undo.click()
    qtbot.waitUntil(lambda: obs.stream_service["streamServiceSettings"].get("server") != rtmps,
                    timeout=WAIT_MS)
    wizard.idle(window)
    # the undo's batch (then, back to Provisioned, the diff is read again to show it)
    assert "SetStreamServiceSettings" in [b[0] for b in batches(obs)[undone_at:]]
    assert obs.sessions_opened == sockets
