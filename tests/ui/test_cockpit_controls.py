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
    window.controller.end_stream() if hasattr(window.controller, "end_stream") else None
    wizard.wait_state(window, State.ENDED, State.READY, State.OBS_CONFIGURED, State.PROVISIONED)
    assert status.ingest.text() != "GetStream no stream"  # the live reading went with the state
