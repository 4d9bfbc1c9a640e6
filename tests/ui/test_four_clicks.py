"""From saved credentials to LIVE in four deliberate clicks (issue 15, "Fewer steps"): Provision,
Configure & start OBS (its diff already on screen), Go live, and Yes in the confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from streamdesk.core.flow import State
from tests.ui.conftest import WAIT_MS, Wizard, close

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def test_saved_credentials_to_live_in_four_clicks(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    # the credentials and the OBS target are saved by an earlier run of the app
    first = make_window()
    wizard.account(first)
    wizard.connect_obs(first)
    close(first)

    window = make_window()
    window.confirm = window._ask  # the real question, answered by a real click
    try:
        _four_clicks(window, wizard, qtbot)
    finally:
        window.confirm = lambda _t, _x: True  # no modal at teardown
        window.demo = True


def _four_clicks(window: Any, wizard: Wizard, qtbot: Any) -> None:
    wizard.wait_state(window, State.PROVISIONED, State.NEEDS_PROVISION)
    clicks = 0

    def click(b: QPushButton) -> None:
        nonlocal clicks
        qtbot.waitUntil(lambda: b.isEnabled() and b.isVisible(), timeout=WAIT_MS)
        clicks += 1
        qtbot.mouseClick(b, Qt.MouseButton.LeftButton)

    provision = window.cards["provision"]
    click(provision.provision_button)
    wizard.wait_state(window, State.PROVISIONED)
    assert window.stack.currentWidget() is window.cards["obs"]  # the window moves on by itself

    obs = window.cards["obs"]
    qtbot.waitUntil(lambda: obs.diff.isVisible() and obs.diff.rowCount() > 0, timeout=WAIT_MS)
    assert "Stream key" in [obs.diff.item(i, 0).text() for i in range(obs.diff.rowCount())]
    click(obs.apply_start)
    wizard.wait_state(window, State.READY)
    assert window.stack.currentWidget() is window.cards["golive"]

    golive = window.cards["golive"]
    wizard.wait_ingest(window)

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        nonlocal clicks
        clicks += 1
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)
    click(golive.go)
    wizard.wait_state(window, State.LIVE)
    assert clicks <= 4, clicks


def test_configure_and_start_waits_for_the_diff(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window()
    obs = window.cards["obs"]
    wizard.account(window)
    assert not obs.apply_start.isEnabled()
    wizard.provision(window)
    wizard.connect_obs(window)
    qtbot.waitUntil(lambda: obs.plan_shown, timeout=WAIT_MS)
    qtbot.waitUntil(obs.apply_start.isEnabled, timeout=WAIT_MS)
    assert obs.primary() is obs.apply_start
