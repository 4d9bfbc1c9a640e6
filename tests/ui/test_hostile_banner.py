"""The window against a hostile GetStream: whatever the proxy answers, the provision card's banner
says one plain-text sentence (never rich text, never "unexpected error"), and a long operation
can be cancelled from the busy bar."""

from __future__ import annotations

import re
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from streamdesk.core.flow import State
from streamdesk.ui.stages.base import set_secret_text
from tests.plugins.hostile_getstream import HTML_MESSAGE, MODES, HostileGetStream
from tests.ui.conftest import WAIT_MS

#: modes whose provision would sit in retries or deadlines for a while: the test cancels them
SLOW = {"trickle", "hang", "huge_declared", "truncated", "ratelimit_ms", "ratelimit_1e20",
        "ratelimit_inf", "ratelimit_nan"}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def proxy(wizard: Any) -> Any:
    p = HostileGetStream(wizard.gs).start()
    yield p
    p.stop()


def _account_through(window: Any, wizard: Any, url: str) -> None:
    card = window.cards["account"]
    card.api_key.setText(wizard.gs.api_key)
    set_secret_text(card.secret, wizard.gs.api_secret)
    card.user_id.setText("host-1")
    card.call_id.setText("show-1")
    card.use_sim.setChecked(True)
    card.base_url.setText(url)
    card.save.click()
    wizard.wait_state(window, State.NEEDS_PROVISION, State.PROVISIONED)
    wizard.idle(window)


@pytest.mark.parametrize("mode", MODES)
def test_every_hostile_reply_is_one_plain_sentence_in_the_banner(mode: str, make_window: Any, wizard: Any,
                                                                 proxy: HostileGetStream, qtbot: Any) -> None:
    window = make_window()
    _account_through(window, wizard, proxy.url)
    proxy.mode = mode
    card = window.cards["provision"]
    qtbot.waitUntil(card.provision_button.isEnabled, timeout=WAIT_MS)
    card.provision_button.click()
    if mode in SLOW:
        bar = window.busy_bar
        qtbot.waitUntil(lambda: bar.isVisible() and bar.cancel_button.isEnabled(), timeout=WAIT_MS)
        bar.cancel_button.click()
    qtbot.waitUntil(lambda: not window.controller.busy and bool(card.banner.text), timeout=WAIT_MS)
    label = card.banner.label
    text = label.text()
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert "unexpected error" not in text and "Traceback" not in text
    assert not CONTROL.search(text), repr(text)
    if mode == "html_message":
        assert HTML_MESSAGE in text  # shown as the characters GetStream sent, not as a headline
    if mode in SLOW:
        assert "Cancelled" in text
        assert not window.busy_bar.isVisible()


def test_every_label_in_the_window_is_plain_text(make_window: Any, wizard: Any) -> None:
    """Any label may one day carry a GetStream or OBS string: none renders rich text."""
    window = make_window()
    window.build_cards()
    window.show_history()
    labels = window.findChildren(QLabel)
    assert len(labels) > 20
    rich = [lb.objectName() or lb.text()[:30] for lb in labels if lb.textFormat() != Qt.TextFormat.PlainText]
    assert not rich
