"""Issue 12 in the window, real widgets over both simulators (linked as OBS's RTMP would be):
"GetStream receives your stream" only when GetStream has the publisher; a mismatch between
OBS's server and this call is named; the call-type opt-in shows its diff and can be undone."""

from __future__ import annotations

import time
from typing import Any

from streamdesk.core.flow import State
from streamdesk.ui.ingest_watch import RECEIVES
from tests.ui.conftest import WAIT_MS, Wizard

TWITCH = {"streamServiceType": "rtmp_custom",
          "streamServiceSettings": {"server": "rtmp://live.twitch.tv/app", "key": "live_123_abc"}}


def _poll_until(window: Any, qtbot: Any, predicate: Any) -> None:
    def check() -> bool:
        window.controller.ingest.poll_now()
        return bool(predicate())
    qtbot.waitUntil(check, timeout=WAIT_MS)


def test_receives_your_stream_only_when_getstream_has_the_publisher(make_window, wizard: Wizard,
                                                                   qtbot) -> None:
    window = make_window()
    obs_card, golive = window.cards["obs"], window.cards["golive"]
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    obs_card.apply.click()
    wizard.wait_state(window, State.OBS_CONFIGURED)
    wizard.idle(window)
    _poll_until(window, qtbot, lambda: window.controller.ingest.view.gs_receives is False)
    assert RECEIVES not in obs_card.ingest.text() and RECEIVES not in golive.check_ingest.text()
    obs_card.start.click()
    wizard.wait_state(window, State.READY)
    _poll_until(window, qtbot, lambda: RECEIVES in obs_card.ingest.text())
    assert RECEIVES in golive.check_ingest.text() and golive.go.isEnabled()
    assert obs_card.mismatch.isHidden()
    # OBS keeps sending bytes, but GetStream loses the publisher: the window says so at once
    wizard.gs.rtmp_unpublish()
    _poll_until(window, qtbot, lambda: RECEIVES not in obs_card.ingest.text())
    assert "does not receive" in golive.check_ingest.text()
    assert not golive.go.isEnabled() and "does not receive" in golive.go.toolTip()
    assert window.controller.flow.obs_streaming  # OBS's own fact is unchanged


def test_undo_then_start_names_the_mismatch(make_window, make_gs_sim, make_obs_sim, qtbot) -> None:
    frozen = time.time()
    gs, obs = make_gs_sim(clock=lambda: frozen), make_obs_sim(stream_service=TWITCH)
    wizard = Wizard(qtbot, gs, obs)  # links the simulators as OBS's RTMP would
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    obs_card, golive = window.cards["obs"], window.cards["golive"]
    obs_card.apply.click()  # Configure OBS ...
    wizard.wait_state(window, State.OBS_CONFIGURED)
    wizard.idle(window)
    qtbot.waitUntil(obs_card.undo.isEnabled, timeout=WAIT_MS)
    obs_card.undo.click()  # ... Undo: OBS is back on Twitch ...
    qtbot.waitUntil(lambda: obs.stream_service["streamServiceSettings"]["server"].endswith("twitch.tv/app"),
                    timeout=WAIT_MS)
    wizard.idle(window)
    qtbot.waitUntil(obs_card.start.isEnabled, timeout=WAIT_MS)
    obs_card.start.click()  # ... and starts streaming
    wizard.wait_state(window, State.READY)
    sentence = "OBS streams to live.twitch.tv, not to this call."
    _poll_until(window, qtbot, lambda: sentence in golive.check_target.text())
    assert sentence in obs_card.mismatch.text() and not obs_card.mismatch.isHidden()
    assert "does not receive" in golive.check_ingest.text() and RECEIVES not in golive.check_ingest.text()
    assert not golive.go.isEnabled() and sentence in golive.go.toolTip()
    assert gs.app.publisher is None  # the Twitch stream never reached the call


def test_call_type_opt_in_shows_the_change_merges_and_undoes(make_window, wizard: Wizard, qtbot) -> None:
    hosts = ["join-call", "send-audio", "send-video", "end-call"]
    wizard.gs.app.call_types["livestream"].grants["host"] = list(hosts)
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    card = window.cards["provision"]
    qtbot.waitUntil(lambda: "GetStream will refuse the OBS stream in backstage" in card.banner.text,
                    timeout=WAIT_MS)
    assert wizard.gs.app.call_types["livestream"].grants["host"] == hosts  # provisioning only read it
    card.advanced_toggle.click()
    card.apply_type.setChecked(True)
    card.provision_button.click()
    merged = [*hosts, "join-backstage"]  # existing list + the grant; nothing removed
    qtbot.waitUntil(lambda: wizard.gs.app.call_types["livestream"].grants["host"] == merged, timeout=WAIT_MS)
    assert window.asked[0] == "Change the whole livestream call type?"
    wizard.idle(window)
    qtbot.waitUntil(card.undo_type.isEnabled, timeout=WAIT_MS)
    card.undo_type.click()
    qtbot.waitUntil(lambda: wizard.gs.app.call_types["livestream"].grants["host"] == hosts, timeout=WAIT_MS)
    assert "Undo the call-type change?" in window.asked


def test_the_viewers_number_says_what_it_counts(make_window, wizard: Wizard, qtbot) -> None:
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    wizard.configure_and_stream(window)
    window.cards["golive"].hls.setChecked(True)
    wizard.go_live(window)
    note = window.cards["live"].viewers_note
    qtbot.waitUntil(lambda: "HLS viewers" in note.text(), timeout=WAIT_MS)
    assert "not counting you" in note.text() and "not in this count" in note.text()
