"""The cockpit's remaining controls (issue 15): GetStream's ingest on the status strip while live,
the whole-show toggle of the live charts, Enter on a stage, and the shortcut in the main button's
tooltip."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from streamdesk.core.flow import State
from tests.ui.conftest import WAIT_MS, Wizard

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def _poll(window: Any, qtbot: Any, condition: Any) -> None:
    def polled() -> bool:
        window.controller.poll_live_now()  # guarded against overlap; the live timer is slow in tests
        return bool(condition())

    qtbot.waitUntil(polled, timeout=WAIT_MS)


def test_status_strip_says_what_getstream_receives_while_live(make_window: Any, wizard: Wizard,
                                                              qtbot: Any) -> None:
    window = make_window()
    wizard.to_live(window)
    status = window.status
    _poll(window, qtbot, lambda: status.ingest.text() == "GetStream receiving")
    wizard.gs.rtmp_unpublish()  # GetStream loses the publisher; only its reply can say so
    _poll(window, qtbot, lambda: status.ingest.text() == "GetStream no stream")
    assert status.ingest.property("level") == "warning"  # live, and GetStream lost the stream
    status.set_state("OFFLINE")
    assert status.ingest.property("level") == "", "offline, no stream is no warning"
    status.set_state("LIVE")
    assert status.ingest.property("level") == "warning"
    seen: list[tuple[str, str]] = []  # (state, strip) right after each change (the window's slot ran first)
    window.controller.state_changed.connect(lambda _o, new: seen.append((new, status.ingest.text())))
    window.cards["live"]._end()  # End stream (the confirmation is answered Yes)
    wizard.wait_state(window, State.ENDED, State.READY, State.OBS_CONFIGURED, State.PROVISIONED)
    assert seen and seen[0][1] == "GetStream —", seen  # the live reading went with the state
    wizard.idle(window)


def test_whole_show_toggle_on_the_live_charts(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    wizard.to_live(window)
    live = window.cards["live"]
    _poll(window, qtbot, lambda: live.charts is not None)
    assert live.whole_show.isVisible() and not live.whole_show.isChecked()
    assert live.charts._window_s is not None  # following the last minutes
    live.whole_show.click()
    assert live.whole_show.isChecked() and live.charts._window_s is None  # the whole show
    live.whole_show.click()
    assert live.charts._window_s is not None


def test_the_main_buttons_tooltip_names_its_shortcut(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    obs = window.cards["obs"]
    qtbot.waitUntil(obs.apply_start.isEnabled, timeout=WAIT_MS)
    assert obs.apply_start.toolTip().endswith("(Ctrl+Enter)")
    assert "Ctrl+Enter" not in obs.connect_button.toolTip()  # not the main button now


def test_enter_on_a_stage_presses_its_main_button(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    obs = window.cards["obs"]
    obs.set_target("127.0.0.1", wizard.obs.port, wizard.obs.password)
    window.show_stage("obs")
    obs.host.setFocus()
    qtbot.keyClick(obs.host, Qt.Key.Key_Return)  # Enter in the form submits it: Connect
    qtbot.waitUntil(lambda: window.controller.obs_info is not None, timeout=WAIT_MS)
