"""The live cockpit fills the window from a narrow 480 px beside OBS to 1920x1080: the numbers,
the viewer chart and the chat on screen without scrolling; the status strip on every page; the
show's chat in the live view, moderated against the simulator; --demo says what it is."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QLabel

from streamdesk.core.flow import State
from tests.ui.conftest import close

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
WAIT_MS = 15_000


def on_screen(widget: Any, window: Any) -> bool:
    """Visible and wholly inside the window's visible area (not scrolled away, not clipped)."""
    if not widget.isVisible() or widget.width() <= 0 or widget.height() <= 0:
        return False
    top_left = widget.mapTo(window, QPoint(0, 0))
    return window.rect().contains(QRect(top_left, widget.size()))


@pytest.fixture
def live_window(make_window, wizard, qtbot):
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    wizard.gs.advance(180)
    window.controller.poll_live_now()
    card = window.cards["live"]
    qtbot.waitUntil(lambda: card.charts is not None, timeout=WAIT_MS)
    model = card.chat_feed.model
    qtbot.waitUntil(lambda: any(model.entry(r).type == "regular" for r in range(model.rowCount())),
                    timeout=WAIT_MS)
    yield window
    close(window)  # before the simulators stop: OBS "quitting" must not reach a closed window


@pytest.mark.parametrize(("width", "height"), [(480, 800), (520, 900), (1024, 600), (1920, 1080)])
def test_the_cockpit_fills_the_window_without_scrolling(live_window, qtbot, width, height) -> None:
    window = live_window
    window.resize(width, height)
    card = window.cards["live"]
    qtbot.waitUntil(lambda: card.width() > 0 and abs(window.width() - width) <= 1, timeout=WAIT_MS)
    # layouts settle over a few passes; then nothing may be scrolled away, in either direction
    qtbot.waitUntil(lambda: card.verticalScrollBar().maximum() == 0
                    and card.horizontalScrollBar().maximum() == 0, timeout=3000)
    for widget in (card.viewers.value, card.duration.value, card.charts.viewers_plot, card.chat_feed.view,
                   card.chat_feed.input, card.end_button, window.status):
        assert on_screen(widget, window), widget.objectName() or type(widget).__name__
    assert card.charts.viewers_plot.height() >= 120
    assert card.chat_feed.view.height() >= 80
    assert card.compact is (width < 640)
    assert window.sidebar.isVisible() is (width >= 760)
    # the status strip's texts at their widest plausible values are whole, none cut off
    status = window.status
    status.set_on_air(10 * 3600)
    status.set_viewers(12_345)
    status.set_chat_rate(1_234)
    status.set_obs(12_345, 12.5)
    shown = [w for w in status.findChildren(QLabel) if w.isVisible()]
    margins = status.layout().contentsMargins()
    needed = (sum(w.sizeHint().width() for w in shown) + status.layout().spacing() * (len(shown) - 1)
              + margins.left() + margins.right())
    assert needed <= status.width(), [w.text() for w in shown]
    assert status.state in shown and status.obs in shown and status.ingest in shown
    if height == 600:  # 1024x600: the charts are above the fold, side by side with the chat
        assert on_screen(card.charts.chat_plot, window)
        charts = card.charts.mapTo(window, QPoint(0, 0))
        chat = card.chat_feed.mapTo(window, QPoint(0, 0))
        assert chat.x() > charts.x() and abs(chat.y() - charts.y()) < 60


def test_the_status_strip_is_on_every_page_and_follows_the_show(live_window, qtbot) -> None:
    window = live_window
    status = window.status
    assert status.state.text() == "● LIVE"
    qtbot.waitUntil(lambda: "0:0" in status.clock.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: status.viewers.text() != "viewers —", timeout=WAIT_MS)
    # follows what GetStream says about the incoming stream (ui/ingest_watch.py)
    from streamdesk.ui.ingest_watch import IngestView

    window.controller.ingest.changed.emit(IngestView(gs_receives=True))
    assert status.ingest.text() == "GetStream receiving"
    window.controller.ingest.changed.emit(IngestView(gs_receives=None))
    assert status.ingest.text() == "GetStream —"  # unknown reads as unknown, never a guess
    for stage in ("account", "provision", "obs", "golive", "live"):
        window.show_stage(stage)
        assert on_screen(status, window)
    window.show_history()
    assert on_screen(status, window)


def test_after_the_end_the_strip_gives_the_last_show_not_a_running_clock(make_window, wizard, qtbot) -> None:
    """Beside BACKSTAGE (OBS still streaming after End), "on air 0:03:00" would read as on air now."""
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    status, card = window.status, window.cards["live"]
    wizard.gs.advance(180)
    card.stop_obs.setChecked(False)
    card.end_button.click()
    qtbot.waitUntil(lambda: card.summary_shown and not window.controller.busy, timeout=WAIT_MS)
    assert status.state.text() == "BACKSTAGE"
    assert status.clock.text() == "last show 0:03:00", status.clock.text()
    assert "on air" not in status.clock.text()
    card.again.click()
    wizard.go_live(window)
    assert status.clock.text().startswith("on air 0:00:0"), status.clock.text()
    close(window)


def test_moderating_from_the_live_view_reaches_getstream(live_window, qtbot, wizard) -> None:
    from streamdesk.core import channel_ops, moderation

    card = live_window.cards["live"]
    feed = card.chat_feed
    first = next(r for r in range(feed.model.rowCount()) if feed.model.entry(r).type == "regular")
    feed.view.setCurrentIndex(feed.model.index(first, 0))
    author = feed.selected().user_id
    feed.ban_button.click()
    qtbot.waitUntil(lambda: "banned" in feed.status.text(), timeout=WAIT_MS)
    ctx = live_window.controller.ctx
    with channel_ops.client(ctx) as gs:
        assert [b.user_id for b in moderation.banned(gs, moderation.target(ctx))] == [author]


def test_demo_says_it_is_a_demo(qtbot) -> None:
    from streamdesk.core.context import AppContext
    from streamdesk.ui.controller import Controller
    from streamdesk.ui.main_window import MainWindow

    window = MainWindow(Controller(AppContext()), demo=True, warm_up=False)
    qtbot.addWidget(window)
    window.show()
    assert window.demo_notice is not None and window.demo_notice.isVisible()
    assert "thrown away when you quit" in window.demo_notice.text()
    window.demo = True
    window.close()
    assert State.LIVE  # the import is used by the fixtures' flow


# -- safe controls ---------------------------------------------------------------------------------
def test_stopping_obs_while_live_asks_first_and_no_keeps_streaming(make_window, wizard, qtbot) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    window.confirm = lambda title, text: (window.asked.append((title, text)), False)[1]  # say No
    obs = window.cards["obs"]
    window.show_stage("obs")
    obs.refresh()
    assert obs.stop.isEnabled(), obs.stop.toolTip()
    obs.stop.click()
    title, text = window.asked[-1]
    assert title == "Stop streaming in OBS?" and "viewers lose the picture" in text
    assert window.controller.flow.obs_streaming and window.controller.state is State.LIVE
    close(window)


def test_configure_and_undo_are_disabled_while_live_saying_why(make_window, wizard, qtbot) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.to_live(window)
    obs = window.cards["obs"]
    obs.refresh()
    for b in (obs.review, obs.apply, obs.undo):
        assert not b.isEnabled() and "Not while you are live" in b.toolTip()
    close(window)


def test_end_and_force_end_say_what_they_do_and_how_they_differ(make_window, wizard, qtbot) -> None:
    window = make_window(clock=wizard.gs.now)
    asked: list[tuple[str, str]] = []
    wizard.to_live(window)
    window.confirm = lambda title, text: (asked.append((title, text)), False)[1]
    window.cards["live"].end_button.click()
    window.force_end_button.click()  # one click, then its confirmation
    (end_title, end_text), (force_title, force_text) = asked
    assert end_title == "End the stream?" and "back to backstage" in end_text and "Force end" in end_text
    assert force_title == "Force end the stream?" and "End does not work" in force_text
    assert "whatever state this app shows" in force_text
    close(window)


def test_risky_questions_default_to_no_others_to_yes(make_window) -> None:
    from streamdesk.ui.main_window import RISKY_CONFIRMATIONS

    assert {"Stop streaming in OBS?", "Force end the stream?", "Quit while live?"} <= RISKY_CONFIRMATIONS
    assert "Go live now?" not in RISKY_CONFIRMATIONS  # Enter confirms the step the streamer chose


# -- notices follow the state ------------------------------------------------------------------------
def test_a_notice_goes_when_its_state_changes(make_window, wizard, qtbot) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.account(window)
    card = window.cards["provision"]
    window.controller.message.emit("provision", "ok", "Force end done: the call is off air.")
    assert card.banner.text
    wizard.provision(window)  # the state moves on
    qtbot.waitUntil(lambda: not card.banner.text or "Force end" not in card.banner.text, timeout=WAIT_MS)


def test_account_saved_goes_when_the_form_shows_errors(make_window, qtbot) -> None:
    window = make_window()
    card = window.cards["account"]
    window.controller.message.emit("account", "ok", "Account saved.")
    assert card.banner.text == "Account saved."
    card.api_key.setText("k")
    card.user_id.setText("not a valid id!")
    qtbot.waitUntil(lambda: bool(card.errors["user_id"].text()), timeout=WAIT_MS)
    assert card.banner.text == ""


def test_unreachable_goes_when_getstream_answers_and_gui_text_speaks_gui(make_window) -> None:
    window = make_window(start=False)
    card = window.cards["account"] if window.cards.is_built("account") else None
    window.build_cards()
    card = window.cards["account"]
    window.controller.message.emit(
        "account", "error", "Could not reach GetStream: Could not reach GetStream at http://x (connection "
        "failed). Run: streamdesk status")
    text = card.banner.text
    assert text.count("Could not reach GetStream") == 1 and "streamdesk status" not in text
    window.controller.reachability.emit("getstream", True)
    assert card.banner.text == ""


def test_enter_in_the_account_form_submits_it(make_window, wizard, qtbot) -> None:
    from PySide6.QtCore import Qt as QtNs

    window = make_window(clock=wizard.gs.now)
    card = window.cards["account"]
    from streamdesk.ui.stages.base import set_secret_text

    card.api_key.setText(wizard.gs.api_key)
    set_secret_text(card.secret, wizard.gs.api_secret)
    card.user_id.setText("host-1")
    card.call_id.setText("show-1")
    card.use_sim.setChecked(True)
    card.base_url.setText(wizard.gs.url)
    qtbot.keyClick(card.call_id, QtNs.Key.Key_Return)
    wizard.wait_state(window, State.NEEDS_PROVISION)
