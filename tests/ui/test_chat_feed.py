"""The chat feed: bounded, follows the newest message, holds still when scrolled back, and its
moderation actions reach the GetStream simulator over HTTP through the poller (off the GUI thread)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from streamdesk.core import channel_ops as ops
from streamdesk.core import moderation
from streamdesk.core.chat import ChatEntry
from streamdesk.core.context import AppContext
from streamdesk.ui.chat_poller import ChatPoller
from streamdesk.ui.widgets.chat_feed import ChatFeed, display_text
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

T0 = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)


def entries(start: int, n: int, user: str = "viewer-1") -> list[ChatEntry]:
    return [ChatEntry(f"m-{i}", f"message {i}", user, "", "regular", T0 + timedelta(seconds=i))
            for i in range(start, start + n)]


@pytest.fixture
def feed(qtbot) -> ChatFeed:
    # in a plain host, as in the app (a top-level feed makes the offscreen platform warn)
    host = QWidget()
    host.resize(360, 400)
    feed = ChatFeed(host, limit=200)
    QVBoxLayout(host).addWidget(feed)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    feed.host = host  # keep the host alive as long as the feed
    return feed


def test_the_feed_keeps_a_bounded_window(feed) -> None:
    for batch in range(50):
        feed.add(entries(batch * 100, 100))
    rows = feed.model.rowCount()
    assert 200 <= rows <= 220  # trimmed in chunks of a tenth
    assert feed.model.entry(rows - 1).id == "m-4999" and feed.model.entry(0).id == f"m-{5000 - rows}"
    assert len(feed.model._ids) == len(feed.model._rows) == rows  # the id index is bounded too


def test_repeated_messages_are_shown_once(feed) -> None:
    feed.add(entries(0, 10))
    feed.add(entries(5, 10))
    assert feed.model.rowCount() == 15


def test_it_follows_the_newest_and_holds_still_when_scrolled_back(feed, qtbot) -> None:
    feed.add(entries(0, 100))
    qtbot.waitUntil(feed.at_bottom)
    feed.add(entries(100, 5))
    assert feed.at_bottom(), "at the bottom, new messages scroll into view"
    bar = feed.view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    top = feed.view.indexAt(feed.view.viewport().rect().topLeft()).row()
    top_id = feed.model.entry(top).id
    assert top > 20
    feed.add(entries(105, 60))
    feed.add(entries(165, 60))  # 225 rows: 25 drop off the top of the bounded window
    assert feed.model.entry(0).id == "m-25"
    now_top = feed.view.indexAt(feed.view.viewport().rect().topLeft()).row()
    assert feed.model.entry(now_top).id == top_id, "the message under the pointer stays put"
    assert not feed.at_bottom()
    assert feed.jump.isVisible() and feed.jump.text() == "↓ 120 new messages"
    qtbot.mouseClick(feed.jump, Qt.MouseButton.LeftButton)
    assert feed.at_bottom() and not feed.jump.isVisible()


def test_it_keeps_following_when_the_view_gets_shorter(feed, qtbot) -> None:
    # the charts going on the page beside the feed make it shorter: a larger scroll range, the same
    # value; nobody scrolled back, so the newest rows stay in view and nothing counts as unseen
    feed.add(entries(0, 100))
    qtbot.waitUntil(feed.at_bottom)
    feed.host.resize(360, 200)
    qtbot.waitUntil(lambda: feed.view.height() < 150)
    qtbot.waitUntil(feed.at_bottom)
    feed.add(entries(100, 5))
    assert feed.at_bottom() and not feed.jump.isVisible() and feed.unseen == 0


def test_text_is_plain(feed) -> None:
    hostile = ChatEntry("m-x", "<b>bold</b> <a href='x'>link</a>", "v", "<i>name</i>", "regular", T0)
    feed.add([hostile])
    shown = feed.model.index(0, 0).data(Qt.ItemDataRole.DisplayRole)
    assert "<b>bold</b>" in shown and "<i>name</i>" in shown  # shown as typed, not rendered
    assert display_text(ChatEntry("d", "gone", "v", "", "deleted", T0)).endswith("v: message deleted")


def test_buttons_and_menu_emit_actions_for_the_selected_message(feed, qtbot) -> None:
    feed.add(entries(0, 3))
    got = []
    feed.action.connect(lambda kind, args: got.append((kind, args)))
    assert not feed.delete_button.isEnabled()
    feed.view.setCurrentIndex(feed.model.index(1, 0))
    qtbot.mouseClick(feed.delete_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(feed.pin_button, Qt.MouseButton.LeftButton)
    feed.minutes.setValue(7)
    qtbot.mouseClick(feed.timeout_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(feed.ban_button, Qt.MouseButton.LeftButton)
    feed.input.setText("hello chat")
    qtbot.keyClick(feed.input, Qt.Key.Key_Return)
    assert got == [("delete", ("m-1",)), ("pin", ("m-1",)), ("timeout", ("viewer-1", 7)),
                   ("ban", ("viewer-1",)), ("send", ("hello chat",))]
    feed.apply("ban", ("viewer-1",), None)
    assert feed.ban_button.text() == "Unban"
    menu = feed.context_menu(feed.view.visualRect(feed.model.index(1, 0)).center())
    labels = [a.text() for a in menu.actions()]
    assert "Delete message" in labels and "Unban viewer-1" in labels
    next(a for a in menu.actions() if a.text() == "Delete message").trigger()
    assert got[-1] == ("delete", ("m-1",))


# -- against the simulator ----------------------------------------------------------------------
@pytest.fixture
def live_ctx(gs_sim, monkeypatch) -> AppContext:
    monkeypatch.setenv("STREAMDESK_API_BASE", gs_sim.url)
    ctx = AppContext()
    ops.save_account(ctx, api_key=SIM_API_KEY, api_secret=SIM_API_SECRET, user_id="host-1", call_id="show-1")
    ops.provision(ctx)
    ops.go_live(ctx)
    gs_sim.advance(300)
    return ctx


@pytest.fixture
def wired(live_ctx, feed, qtbot):
    poller = ChatPoller(live_ctx, interval_ms=60_000)
    threads: set[str] = set()
    original = poller._fetch

    def fetch(after):
        threads.add(threading.current_thread().name)
        return original(after)

    poller._fetch = fetch
    poller.entries.connect(feed.add)
    poller.status.connect(feed.set_status)
    poller.acted.connect(feed.apply)
    feed.action.connect(poller.act)
    failures = []
    poller.action_failed.connect(lambda kind, text: failures.append((kind, text)))
    yield feed, poller, threads, failures
    poller.close()


def test_the_feed_shows_the_show_chat_read_off_the_gui_thread(wired, qtbot) -> None:
    feed, poller, threads, _ = wired
    poller.start()
    qtbot.waitUntil(lambda: feed.model.rowCount() > 0, timeout=10_000)
    assert threading.current_thread().name not in threads


def test_each_moderation_action_from_the_gui_reaches_getstream(wired, qtbot, live_ctx, gs_sim) -> None:
    feed, poller, _, failures = wired
    poller.start()
    qtbot.waitUntil(lambda: feed.model.rowCount() > 3, timeout=10_000)
    where = moderation.target(live_ctx)
    # the regular messages (GetStream also sends system ones, e.g. "The livestream started")
    first, second = [r for r in range(feed.model.rowCount()) if feed.model.entry(r).type == "regular"][:2]
    victim = feed.model.entry(first)
    feed.view.setCurrentIndex(feed.model.index(first, 0))
    qtbot.mouseClick(feed.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: feed.model.entry(first).deleted, timeout=10_000)
    assert "message deleted" in feed.model.index(first, 0).data()

    feed.view.setCurrentIndex(feed.model.index(second, 0))
    pinned = feed.model.entry(second)
    qtbot.mouseClick(feed.pin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: feed.model.entry(second).pinned, timeout=10_000)
    qtbot.mouseClick(feed.pin_button, Qt.MouseButton.LeftButton)  # now "Unpin"
    qtbot.waitUntil(lambda: not feed.model.entry(second).pinned, timeout=10_000)

    feed.minutes.setValue(3)
    qtbot.mouseClick(feed.timeout_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: feed.ban_button.text() == "Unban", timeout=10_000)
    qtbot.mouseClick(feed.ban_button, Qt.MouseButton.LeftButton)  # unban
    qtbot.waitUntil(lambda: feed.ban_button.text() == "Ban", timeout=10_000)
    qtbot.mouseClick(feed.ban_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: feed.ban_button.text() == "Unban", timeout=10_000)

    feed.input.setText("thanks for watching")
    qtbot.keyClick(feed.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(feed.model.entry(r).text == "thanks for watching"
                                for r in range(feed.model.rowCount())), timeout=10_000)
    assert feed.input.text() == ""
    assert failures == []

    # GetStream's own view, read back independently
    from tests.integration.test_contract_requests import check

    with ops.client(live_ctx) as gs:
        chat = {e.id: e for e in moderation.fetch(gs, where, None, limit=300)}
        assert chat[victim.id].deleted and not chat[pinned.id].pinned
        assert [b.user_id for b in moderation.banned(gs, where)] == [pinned.user_id]
    ops_seen = {check(r) for r in gs_sim.received}
    assert {"DeleteMessage", "UpdateMessagePartial", "ban", "unban", "SendMessage"} <= ops_seen


def test_a_refused_action_says_why_in_one_line(wired, qtbot, gs_sim) -> None:
    _feed, poller, _, failures = wired
    poller.act("delete", ("no-such-message",))
    qtbot.waitUntil(lambda: bool(failures), timeout=10_000)
    kind, text = failures[0]
    assert kind == "delete" and "\n" not in text and "Traceback" not in text
