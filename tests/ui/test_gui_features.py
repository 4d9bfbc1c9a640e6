"""The GUI features added after the first screenshots review: live health while the bitrate is
being measured, the ended summary and the stepper, the OBS diff's labels, the History page, the
Settings dialog (Discord webhook kept in the keyring only, a test message to a loopback receiver),
About, go-live confirmed without waiting on Discord, and the live charts after a restart."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtWidgets import QApplication

from streamdesk.core import discord
from streamdesk.core.context import AppContext
from streamdesk.core.flow import State
from streamdesk.core.secrets import SecretKind
from streamdesk.ui.settings_dialog import SettingsDialog

from .conftest import WAIT_MS, Wizard, close

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

TOKEN = "gUi-webhook-token_XYZ987"


class Receiver:
    """A loopback Discord webhook. While ``hold`` is set, requests wait for ``release()`` (Discord
    being slow); every request body is kept."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        self.gate = threading.Event()
        self.gate.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                receiver.arrived.set()
                receiver.gate.wait(20)
                receiver.bodies.append(body)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/webhooks/42/{TOKEN}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.release()
    r.server.shutdown()
    r.server.server_close()


def _close_modal_soon(qtbot: Any, seen: list[str]) -> None:
    def close_it() -> None:
        modal = QApplication.activeModalWidget()
        if modal is None:
            QTimer.singleShot(20, close_it)
            return
        seen.append(modal.objectName())
        modal.reject()

    QTimer.singleShot(0, close_it)


def _measured(window: Any, qtbot: Any) -> None:
    """Poll OBS health until a bitrate is known: Δbytes needs ≥ 2 s of real time between samples."""
    c = window.controller

    def known() -> bool:
        h = c.last_health
        if h is None or h.measuring:
            c.poll_health_now()
            return False
        return True

    qtbot.waitUntil(known, timeout=WAIT_MS)


# -- live health, summary, stepper -------------------------------------------------------------------
def test_bitrate_reads_measuring_then_a_real_rate_and_the_summary_reads_as_ended(
        make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    wizard.configure_and_stream(window)
    c = window.controller
    # the first sample of a new stream has one byte count: no rate yet, and no false 0 kbps alarm
    qtbot.waitUntil(lambda: c.last_health is not None and c.last_health.active, timeout=WAIT_MS)
    obs_card = window.cards["obs"]
    assert c.last_health.measuring
    assert "measuring" in obs_card.receiving.text() and "0 kbps" not in obs_card.receiving.text()
    assert c._bitrate() is None  # a sample recorded now has no bitrate, rather than 0

    _measured(window, qtbot)
    # the OBS simulator sends at the profile bitrate (2500 kbps at 720p before configure, 4500 after)
    assert 2000 <= c.last_health.bitrate_kbps <= 5000
    assert "kbps" in obs_card.receiving.text()

    wizard.go_live(window)
    live = window.cards["live"]
    qtbot.waitUntil(lambda: c.last_snapshot is not None, timeout=WAIT_MS)
    c.poll_health_now()
    qtbot.waitUntil(lambda: "kbps" in live.health.text(), timeout=WAIT_MS)
    assert live.health.text().startswith("✔ OBS:") and "measuring" not in live.health.text()
    # the charts go on the page a moment after LIVE is painted (LiveCard._on_session_started)
    qtbot.waitUntil(lambda: live.charts is not None, timeout=WAIT_MS)
    assert live.charts._window_s == 600  # live: the last 10 minutes

    live.end_button.click()
    qtbot.waitUntil(lambda: live.summary.isVisible(), timeout=WAIT_MS)
    wizard.idle(window)
    # ended: live-only numbers say so; the checklist shows the show as done, Live & end selected
    assert live.viewers.value.text() == "—" and "ended" in live.viewers.caption.text()
    assert live.chat_rate.value.text() == "—"
    assert live.charts._window_s is None  # the summary shows the whole show
    assert window.viewed == "live"
    for stage in ("account", "provision", "obs", "golive", "live"):
        assert window.stepper.status(stage) == "done"
        assert window.stepper.buttons[stage].isEnabled()
    assert window.stepper.buttons["live"].isChecked()
    assert window.stepper.buttons["live"].text().startswith("✓")
    live.again.click()  # back to the flow: the checklist follows the real state again
    assert window.stepper.status("live") == "ahead"
    for y_range in (live.charts.viewers_plot, live.charts.chat_plot):
        assert y_range.getPlotItem().vb.viewRange()[1][0] > -1  # never a negative axis


# -- OBS diff ------------------------------------------------------------------------------------------
def test_obs_diff_uses_human_labels_and_shows_every_row(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    card = window.cards["obs"]
    card.review.click()
    qtbot.waitUntil(lambda: card.diff.rowCount() > 0, timeout=WAIT_MS)
    labels = [card.diff.item(r, 0).text() for r in range(card.diff.rowCount())]
    assert labels[:3] == ["Stream service", "Server", "Stream key"]
    assert "Video bitrate (kbps)" in labels and "x264 preset" in labels and "Keyframe interval" in labels
    assert not any("/" in label for label in labels)  # no raw "SimpleOutput/…" names
    bitrate_row = labels.index("Video bitrate (kbps)")
    assert "SimpleOutput/VBitrate" in card.diff.item(bitrate_row, 0).toolTip()
    qtbot.waitUntil(lambda: card.diff.verticalScrollBar().maximum() == 0, timeout=WAIT_MS)
    last = card.diff.rowCount() - 1
    assert card.diff.rowViewportPosition(last) + card.diff.rowHeight(last) <= card.diff.viewport().height()


# -- provision: schedule format and the key's expiry against the planned show ------------------------
def test_planned_show_longer_than_the_key_warns(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.account(window)
    card = window.cards["provision"]
    assert card.starts_at.displayFormat() == "yyyy-MM-dd HH:mm"
    card.key_ttl.setValue(2)
    wizard.provision(window)
    qtbot.waitUntil(lambda: bool(card.key.value()), timeout=WAIT_MS)
    card.show_length.setValue(1)
    assert not card.key.expiry_warning()
    card.show_length.setValue(3)  # the key (2 h) would run out mid-show
    assert card.key.expiry_warning()
    assert "planned end" in card.key.expiry.text()
    card.show_length.setValue(1)
    card.use_starts_at.setChecked(True)
    card.starts_at.setDateTime(QDateTime.currentDateTime().addSecs(90 * 60))  # start in 1.5 h, 1 h long
    assert card.key.expiry_warning()


# -- History ------------------------------------------------------------------------------------------
def test_history_page_lists_the_show_with_its_charts_and_exports_csv(
        make_window: Any, wizard: Wizard, qtbot: Any, tmp_path: Path) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    c = window.controller
    for _ in range(3):
        wizard.gs.advance(30)
        c.poll_live_now()
        qtbot.waitUntil(lambda: not c._polling, timeout=WAIT_MS)

    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    page = window.history
    assert page is not None and window.stack.currentWidget() is page
    assert window.history_button.isChecked()
    assert not any(b.isChecked() for b in window.stepper.buttons.values())
    qtbot.waitUntil(lambda: page.view.table.rowCount() == 1, timeout=WAIT_MS)  # read in the background
    assert page.view.table.item(0, 1).text() == "live now"

    # the show ends while the page is open: the row is finished there
    window.show_stage("live")
    window.cards["live"].end_button.click()
    qtbot.waitUntil(lambda: c.state is not State.LIVE and c.session is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.view.table.item(0, 1).text() != "live now", timeout=WAIT_MS)
    window.history_button.click()
    assert window.stack.currentWidget() is page
    page.view.table.selectRow(0)
    qtbot.waitUntil(lambda: len(page.view.charts.viewers) >= 3, timeout=WAIT_MS)  # its stored samples
    out = tmp_path / "sessions.csv"
    assert page.view.export_csv(out) == 1
    assert len(out.read_text().splitlines()) == 2
    window.history_button.click()  # toggles back to the stage
    assert window.stack.currentWidget() is window.cards["live"]


# -- About ----------------------------------------------------------------------------------------
def test_about_opens_from_the_sidebar(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    seen: list[str] = []
    _close_modal_soon(qtbot, seen)
    window.about_button.click()
    assert seen == ["aboutDialog"]


# -- Settings -------------------------------------------------------------------------------------
def _dialog(window: Any, qtbot: Any) -> SettingsDialog:
    dialog = SettingsDialog(window.controller, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    return dialog


def test_settings_save_the_webhook_to_the_keyring_only_and_send_a_test(
        make_window: Any, qtbot: Any, receiver: Receiver, isolated_home: Path) -> None:
    window = make_window()
    ctx = window.controller.ctx
    dialog = _dialog(window, qtbot)
    assert not dialog.remove_button.isEnabled()

    dialog.webhook.set_value(receiver.url)
    dialog.title_edit.setText("Friday speedrun")
    dialog.link_edit.setText("https://example.com/watch")
    dialog.poll.setValue(7)
    dialog.test_button.click()  # the typed URL, before saving
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    assert "delivered" in dialog.banner.text
    assert len(receiver.bodies) == 1 and receiver.bodies[0]["allowed_mentions"] == {"parse": []}

    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert AppContext().secrets.get(SecretKind.DISCORD_WEBHOOK, "") == receiver.url
    assert ctx.store.get_setting(discord.TITLE_SETTING) == "Friday speedrun"
    assert ctx.store.get_setting(discord.LINK_SETTING) == "https://example.com/watch"
    assert window.controller.live_timer.interval() == 7000
    assert window.controller.live_interval_s() == 7.0

    # the saved webhook: a new dialog says one is saved without showing it, and tests it
    again = _dialog(window, qtbot)
    assert again.webhook.value() == "" and "saved" in again.webhook.edit.placeholderText()
    assert again.remove_button.isEnabled()
    again.test_button.click()
    qtbot.waitUntil(lambda: len(receiver.bodies) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not again.busy, timeout=WAIT_MS)
    again.reject()

    # the URL's token is nowhere on disk: not in the database, not in the log
    for path in isolated_home.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_settings_refuse_a_bad_webhook_or_link_and_store_nothing(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    ctx = window.controller.ctx
    dialog = _dialog(window, qtbot)
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)

    dialog.webhook.set_value("https://example.com/not-a-webhook")
    save.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    assert dialog.isVisible() and "not a Discord webhook URL" in dialog.banner.text
    assert "example.com/not-a-webhook" not in dialog.banner.text  # never echoed
    assert AppContext().secrets.get(SecretKind.DISCORD_WEBHOOK, "") is None

    dialog.webhook.set_value("")
    dialog.link_edit.setText("example.com/watch")
    save.click()
    assert "https://" in dialog.banner.text and dialog.isVisible()
    assert ctx.store.get_setting(discord.LINK_SETTING) is None
    dialog.reject()


# -- Discord does not hold up "you're live" ---------------------------------------------------------
def test_go_live_is_confirmed_while_discord_is_still_answering(
        make_window: Any, wizard: Wizard, qtbot: Any, receiver: Receiver) -> None:
    AppContext().secrets.set(SecretKind.DISCORD_WEBHOOK, receiver.url, "")
    window = make_window(clock=wizard.gs.now)
    receiver.hold()  # Discord takes its time
    wizard.to_live(window)  # waits for LIVE and the session
    assert window.controller.state is State.LIVE and window.viewed == "live"
    assert receiver.bodies == []  # …and it has not answered yet
    qtbot.waitUntil(receiver.arrived.is_set, timeout=WAIT_MS)
    receiver.release()
    qtbot.waitUntil(lambda: len(receiver.bodies) == 1, timeout=WAIT_MS)
    assert "Live now" in receiver.bodies[0]["embeds"][0]["title"]

    receiver.arrived.clear()
    receiver.hold()
    window.cards["live"].end_button.click()
    qtbot.waitUntil(lambda: window.cards["live"].summary.isVisible(), timeout=WAIT_MS)
    assert len(receiver.bodies) == 1  # the summary did not wait for the end message either
    receiver.release()
    qtbot.waitUntil(lambda: len(receiver.bodies) == 2, timeout=WAIT_MS)
    assert "Stream ended" in receiver.bodies[1]["embeds"][0]["title"]


# -- restart while live ---------------------------------------------------------------------------
def test_reopened_window_while_live_shows_the_stored_samples(
        make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    c = window.controller
    for _ in range(4):
        wizard.gs.advance(30)
        c.poll_live_now()
        qtbot.waitUntil(lambda: not c._polling, timeout=WAIT_MS)
    stored = len(c.ctx.store.samples(c.session.id))
    assert stored >= 4
    close(window)  # the app quits; the call stays live on GetStream

    again = make_window(clock=wizard.gs.now)
    qtbot.waitUntil(lambda: again.controller.session is not None, timeout=WAIT_MS)
    card = again.cards["live"]
    qtbot.waitUntil(lambda: card.charts is not None and len(card.charts.viewers) >= stored, timeout=WAIT_MS)
    assert card.charts._window_s == 600
    assert again.viewed == "live" and again.controller.state is State.LIVE
