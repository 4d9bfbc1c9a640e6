"""The show's chat as the live view shows it: newest at the bottom, moderation one click away.

- ``ChatModel`` keeps a bounded window (``MAX_MESSAGES``): the oldest rows are dropped as new ones
  arrive, so a 12-hour show with 50,000 messages costs what the last ``MAX_MESSAGES`` cost.
- Each row is plain text (time, author, text): a ``QListView`` shows ``DisplayRole`` strings as
  text, never as markup, so a message can't inject formatting or links.
- The view follows the newest message while it is at the bottom. Once the streamer scrolls back it
  holds still (dropped rows above are compensated) and a "N new messages" button jumps back down.
- Actions (context menu, the buttons under the list, the send box) are emitted as
  ``action(kind, argument...)``; the owner (``ui/chat_poller.py``) runs them off the GUI thread and
  calls ``apply`` with the result. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QFont, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from streamdesk.core.chat import MAX_TEXT, ChatEntry

MAX_MESSAGES = 1000  # shown; up to 10 % more are held between trims


class ChatModel(QStandardItemModel):
    """The rows the list shows, kept in Qt's own C++ model: a Python model is asked for its row
    count once per row on every layout, which made each poll cost ~17 ms at 1000 rows."""

    def __init__(self, parent: Any = None, *, limit: int = MAX_MESSAGES) -> None:
        super().__init__(parent)
        self.limit = limit
        self._rows: list[ChatEntry] = []  # aligned with the model's rows
        self._ids: set[str] = set()
        self.banned: dict[str, str] = {}  # author → "banned" / "timed out" (by this app, this show)

    def _item(self, entry: ChatEntry) -> QStandardItem:
        item = QStandardItem()
        item.setEditable(False)
        self._style(item, entry)
        return item

    def _style(self, item: QStandardItem, entry: ChatEntry) -> None:
        item.setText(display_text(entry, self.banned.get(entry.user_id, "")))
        item.setToolTip(f"{display_text(entry)}\n{entry.author} ({entry.user_id}) · message {entry.id}")
        if entry.deleted or entry.type != "regular":
            item.setForeground(QPalette().color(QPalette.ColorRole.PlaceholderText))
        else:
            item.setData(None, Qt.ItemDataRole.ForegroundRole)
        font = QFont()
        font.setBold(entry.pinned)
        item.setFont(font)

    def entry(self, row: int) -> ChatEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def add(self, entries: Iterable[ChatEntry]) -> tuple[int, int]:
        """Append the new ones (a repeated id is ignored); returns (added, dropped from the top)."""
        fresh = []
        for e in entries:
            if e.id not in self._ids:
                self._ids.add(e.id)
                fresh.append(e)
        for e in fresh:
            self._rows.append(e)
            self.appendRow(self._item(e))
        # trim in chunks of a tenth: removing rows re-lays out the whole list, so not on every poll
        dropped = len(self._rows) - self.limit if len(self._rows) > self.limit * 1.1 else 0
        if dropped:
            for e in self._rows[:dropped]:
                self._ids.discard(e.id)
            del self._rows[:dropped]
            self.removeRows(0, dropped)
        return len(fresh), dropped

    def replace(self, entry: ChatEntry) -> None:
        for row in range(len(self._rows) - 1, -1, -1):
            if self._rows[row].id == entry.id:
                self._rows[row] = entry
                self._style(self.item(row), entry)
                return

    def set_banned(self, user_id: str, how: str) -> None:
        """``how``: "banned", "timed out", or "" (unbanned)."""
        if how:
            self.banned[user_id] = how
        else:
            self.banned.pop(user_id, None)
        for row, entry in enumerate(self._rows):
            if entry.user_id == user_id:
                self._style(self.item(row), entry)

    def clear(self) -> None:  # type: ignore[override]
        self._rows.clear()
        self._ids.clear()
        self.removeRows(0, self.rowCount())


def display_text(entry: ChatEntry, author_state: str = "") -> str:
    when = entry.created_at.astimezone().strftime("%H:%M") if entry.created_at else "--:--"
    author = entry.author + (f" ({author_state})" if author_state else "")
    if entry.deleted:
        return f"{when}  {author}: message deleted"
    pin = "📌 " if entry.pinned else ""
    return f"{when}  {pin}{author}: {entry.text}"


class ChatFeed(QWidget):
    """The feed, its moderation buttons and the send box. Emits ``action``; shows results via
    ``apply``/``add``; ``set_status`` shows one line about the feed itself (loading, unreachable)."""

    action = Signal(str, object)  # kind ("delete", "pin", "unpin", "timeout", "ban", "unban", "send"), args

    def __init__(self, parent: QWidget | None = None, *, limit: int = MAX_MESSAGES) -> None:
        super().__init__(parent)
        self.setObjectName("ChatFeed")
        self.model = ChatModel(self, limit=limit)
        self.unseen = 0
        # Following the newest rows: decided by where the streamer scrolled, not by the scroll bar
        # when rows arrive. A view that got shorter (the charts going on the page beside it) has a
        # larger range while its value stays: "not at the bottom", yet nobody scrolled back.
        self.following = True

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.view = QListView(self)
        self.view.setObjectName("chat_list")
        self.view.setModel(self.model)
        # One line per message, all the same height: a word-wrapped list re-measured all its rows on
        # every insert (~130 ms a poll at 1000 rows); a long message is elided, whole in its tooltip.
        self.view.setWordWrap(False)
        self.view.setUniformItemSizes(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # per item: holding still while rows drop off the top is exact (value -= rows dropped)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.view.verticalScrollBar().rangeChanged.connect(self._range_changed)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        self.view.setAccessibleName("Chat messages")
        layout.addWidget(self.view, 1)

        self.jump = QPushButton("", self)
        self.jump.setObjectName("chat_jump")
        self.jump.setToolTip("Scroll to the newest message (End)")
        self.jump.clicked.connect(self.scroll_to_newest)
        self.jump.hide()
        layout.addWidget(self.jump)

        self.status = QLabel("", self)
        self.status.setObjectName("chat_status")
        self.status.setProperty("role", "hint")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        tools = QHBoxLayout()
        tools.setSpacing(4)
        self.delete_button = self._tool("Delete", "chat_delete", "Delete the selected message (Del)",
                                        self.delete_selected)
        self.pin_button = self._tool("Pin", "chat_pin", "Pin or unpin the selected message", self.toggle_pin)
        self.minutes = QSpinBox(self)
        self.minutes.setObjectName("chat_minutes")
        self.minutes.setRange(1, 30 * 24 * 60)
        self.minutes.setValue(10)
        self.minutes.setSuffix(" min")
        self.minutes.setToolTip("How long a time-out lasts")
        self.timeout_button = self._tool("Time out", "chat_timeout",
                                         "Keep the author from posting for the minutes shown",
                                         self.timeout_selected)
        self.ban_button = self._tool("Ban", "chat_ban", "Ban or unban the author of the selected message",
                                     self.toggle_ban)
        for w in (self.delete_button, self.pin_button, self.timeout_button, self.minutes, self.ban_button):
            tools.addWidget(w)
        tools.addStretch(1)
        layout.addLayout(tools)

        send = QHBoxLayout()
        send.setSpacing(4)
        self.input = QLineEdit(self)
        self.input.setObjectName("chat_input")
        self.input.setPlaceholderText("Say something to chat as the broadcaster…")
        self.input.setMaxLength(MAX_TEXT)
        self.input.returnPressed.connect(self.send)
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("chat_send")
        self.send_button.setToolTip("Post the message to the show's chat (Enter)")
        self.send_button.clicked.connect(self.send)
        send.addWidget(self.input, 1)
        send.addWidget(self.send_button)
        layout.addLayout(send)
        self._update_buttons()

    def _tool(self, text: str, name: str, tip: str, slot: Any) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setToolTip(tip)
        b.clicked.connect(lambda _=False: slot())
        return b

    def set_compact(self, compact: bool) -> None:
        """A narrow window: the time-out length comes from the menu (or the last one chosen)."""
        self._compact = compact
        self._fit_tools()

    def _fit_tools(self) -> None:
        # the minutes box only where the buttons still fit whole beside it
        self.minutes.setVisible(not getattr(self, "_compact", False) and self.width() >= 400)
        self.timeout_button.setToolTip(f"Keep the author from posting for {self.minutes.value()} min "
                                       "(right-click a message for other lengths)")

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit_tools()

    # -- data in ----------------------------------------------------------------------------------
    def add(self, entries: list[ChatEntry]) -> None:
        bar = self.view.verticalScrollBar()
        following = self.following
        value = bar.value()
        added, dropped = self.model.add(entries)
        if not added:
            return
        if following:
            self.view.scrollToBottom()
        else:
            self.view.doItemsLayout()  # now, so the scroll range already counts the new rows
            bar.setValue(max(value - dropped, 0))  # the rows under the pointer stay put
            self.unseen += sum(1 for e in entries[-added:] if e.type == "regular")
            self._show_jump()

    def apply(self, kind: str, args: Any, result: Any) -> None:
        """Show an action's effect (GetStream accepted it)."""
        if isinstance(result, ChatEntry):
            self.model.replace(result)
        if kind in ("timeout", "ban"):
            self.model.set_banned(args[0], "timed out" if kind == "timeout" else "banned")
        elif kind == "unban":
            self.model.set_banned(args[0], "")
        elif kind == "send":
            self.input.clear()
            if isinstance(result, ChatEntry):
                self.add([result])
                self.scroll_to_newest()
        self._update_buttons()

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def clear(self) -> None:
        self.model.clear()
        self.unseen = 0
        self.following = True
        self.jump.hide()

    # -- scrolling ----------------------------------------------------------------------------------
    def at_bottom(self) -> bool:
        bar = self.view.verticalScrollBar()
        return bar.value() >= bar.maximum() - 1

    def scroll_to_newest(self) -> None:
        self.view.scrollToBottom()
        self.unseen = 0
        self.jump.hide()

    def _range_changed(self, _low: int, high: int) -> None:
        if self.following:
            self.view.verticalScrollBar().setValue(high)

    def _scrolled(self, _value: int) -> None:
        self.following = self.at_bottom()
        if self.following and self.unseen:
            self.unseen = 0
            self.jump.hide()

    def _show_jump(self) -> None:
        if self.unseen:
            self.jump.setText(f"↓ {self.unseen} new message{'s' if self.unseen != 1 else ''}")
            self.jump.show()

    # -- actions ------------------------------------------------------------------------------------
    def selected(self) -> ChatEntry | None:
        index = self.view.currentIndex()
        return self.model.entry(index.row()) if index.isValid() else None

    def _update_buttons(self) -> None:
        entry = self.selected()
        usable = entry is not None and entry.type in ("regular", "deleted")
        self.delete_button.setEnabled(usable and entry is not None and not entry.deleted)
        self.pin_button.setEnabled(usable and entry is not None and not entry.deleted)
        self.pin_button.setText("Unpin" if entry is not None and entry.pinned else "Pin")
        self.timeout_button.setEnabled(usable)
        self.ban_button.setEnabled(usable)
        banned = entry is not None and entry.user_id in self.model.banned
        self.ban_button.setText("Unban" if banned else "Ban")

    def delete_selected(self) -> None:
        entry = self.selected()
        if entry is not None and not entry.deleted:
            self.action.emit("delete", (entry.id,))

    def toggle_pin(self) -> None:
        entry = self.selected()
        if entry is not None and not entry.deleted:
            self.action.emit("unpin" if entry.pinned else "pin", (entry.id,))

    def timeout_selected(self, minutes: int | None = None) -> None:
        entry = self.selected()
        if entry is not None:
            self.action.emit("timeout", (entry.user_id, minutes or self.minutes.value()))

    def toggle_ban(self) -> None:
        entry = self.selected()
        if entry is not None:
            banned = entry.user_id in self.model.banned
            self.action.emit("unban" if banned else "ban", (entry.user_id,))

    def send(self) -> None:
        text = self.input.text().strip()
        if text:
            self.action.emit("send", (text,))

    def _menu(self, pos: QPoint) -> None:
        menu = self.context_menu(pos)
        if menu is not None:
            menu.popup(self.view.viewport().mapToGlobal(pos))

    def context_menu(self, pos: QPoint) -> QMenu | None:
        """The menu for the message at ``pos`` (selecting it), or None off a message."""
        index = self.view.indexAt(pos)
        if not index.isValid():
            return None
        self.view.setCurrentIndex(index)
        entry = self.model.entry(index.row())
        if entry is None or entry.type not in ("regular", "deleted"):
            return None
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if not entry.deleted:
            menu.addAction("Delete message", self.delete_selected)
            menu.addAction("Unpin message" if entry.pinned else "Pin message", self.toggle_pin)
            menu.addSeparator()
        who = entry.author
        timeouts = menu.addMenu(f"Time out {who}")
        for minutes in (1, 5, 10, 60):
            act = QAction(f"{minutes} minute{'s' if minutes != 1 else ''}", timeouts)
            act.triggered.connect(lambda _=False, m=minutes: self.timeout_selected(m))
            timeouts.addAction(act)
        timeouts.addAction("Other…", self._timeout_other)
        if entry.user_id in self.model.banned:
            menu.addAction(f"Unban {who}", self.toggle_ban)
        else:
            menu.addAction(f"Ban {who}", self.toggle_ban)
        return menu

    def _timeout_other(self) -> None:
        minutes, ok = QInputDialog.getInt(self, "Time out", "Minutes:", self.minutes.value(), 1,
                                          self.minutes.maximum())
        if ok:
            self.timeout_selected(minutes)
