"""The window itself: restored geometry and stage, shortcuts, the redacted log view, Force end's
visibility, --self-test, and --demo (which must not touch the user's keyring or database)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from PySide6.QtCore import Qt

from streamdesk.core.context import AppContext
from streamdesk.core.flow import State
from streamdesk.core.secrets import register_secret, setup_logging
from streamdesk.ui.demo import Demo
from streamdesk.ui.demo_walk import open_window
from streamdesk.ui.stage_map import WINDOW_SETTING
from tests.plugins.processes import run_cli

from .conftest import Wizard, close


def test_geometry_and_last_stage_are_restored(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    wizard.account(window)
    wizard.provision(window)
    window.resize(930, 650)  # the offscreen screen is 800 px wide: the minimum width already exceeds it
    window.show_stage("account")  # the streamer went back to look at the account
    close(window)
    saved = AppContext().store.get_setting(WINDOW_SETTING)
    assert saved["stage"] == "account"

    again = make_window()
    again.restore_stage()
    assert again.height() == 650
    assert again.viewed == "account"
    assert again.controller.state is State.PROVISIONED
    assert again.stepper.status("obs") == "current"


def test_stages_ahead_cannot_be_opened(make_window: Any) -> None:
    window = make_window()
    window.show_stage("live")
    assert window.viewed == "account"
    assert not window.stepper.buttons["live"].isEnabled()


def test_ctrl_return_presses_the_cards_main_action(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    wizard.account(window)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wizard.wait_state(window, State.PROVISIONED)
    assert wizard.gs.requests("GetOrCreateCall")


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, showing a dialog
def test_log_view_is_redacted(make_window: Any, qtbot: Any) -> None:
    ctx = AppContext()
    handler = setup_logging(ctx.paths.log_file)
    try:
        secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXN0cmVhbS1rZXk.sig"
        register_secret(secret)
        logging.getLogger("streamdesk.test").warning("pushed key %s to OBS", secret)
        handler.flush()
        window = make_window()
        window.show_log()
        view = window.findChild(object, "LogView")
        assert view is not None
        text = view.text.toPlainText()
        assert "pushed key" in text and secret not in text
        view.close()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def test_force_end_is_only_offered_when_it_can_do_something(make_window: Any, wizard: Wizard) -> None:
    window = make_window()
    assert not window.emergency.isVisible()
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    assert not window.emergency.isVisible()
    wizard.configure_and_stream(window)
    assert window.emergency.isVisible()  # READY: OBS feeds the backstage


def test_self_test_fails_clearly_without_a_keyring() -> None:
    result = run_cli("--self-test", env={"QT_QPA_PLATFORM": "offscreen",
                                         "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert "window painted" in result.stdout
    assert result.returncode == 1
    assert "keyring FAILED" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.secretservice
def test_self_test_passes_with_secret_service(secret_service: dict[str, str]) -> None:
    result = run_cli("--self-test", env={**secret_service, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert "window painted" in result.stdout and "keyring ok" in result.stdout


def test_demo_runs_the_flow_without_touching_the_users_data(qtbot: Any, isolated_home: Any,
                                                            memory_keyring: Any) -> None:
    demo = Demo.start()
    try:
        window = open_window(demo, live_interval_ms=60_000, health_interval_ms=60_000)
        qtbot.addWidget(window)
        controller = window.controller
        wizard = Wizard(qtbot, demo.gs, demo.obs)
        wizard.demo_to_ready(window)
        wizard.go_live(window)
        demo.gs.advance(90)
        wizard.poll_until(window, lambda: bool(controller.last_snapshot and controller.last_snapshot.viewers))
        window.close()
    finally:
        demo.stop()
    # the user's own home and keyring saw nothing
    assert not AppContext().store.channel().has_account
    assert memory_keyring.entries == {}
    assert not demo.home.exists()
