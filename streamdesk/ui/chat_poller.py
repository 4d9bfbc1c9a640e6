"""Feeds the chat feed: polls the show's chat and runs moderation actions, all off the GUI thread.

One owner for the chat's GetStream client: a ``Tasks`` pool with a single thread, so the client
(created there on first use: the keyring read and the connection never happen on the GUI thread)
is only ever used by one job at a time. At most one poll is in flight; a slow GetStream makes
polls further apart, never piles them up. Results and one-line errors come back as signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from streamdesk.ui.tasks import Tasks

log = logging.getLogger("streamdesk.ui.chat")

POLL_MS = 2000
FIRST_PAGE = 100  # the backlog shown when the feed starts (or resumes after a restart)
PAGE = 200

ACTIONS = ("delete", "pin", "unpin", "timeout", "ban", "unban", "send")
DONE_TEXT = {
    "delete": "Message deleted.",
    "pin": "Message pinned.",
    "unpin": "Message unpinned.",
    "timeout": "{0} is timed out for {1} min.",
    "ban": "{0} is banned from the chat.",
    "unban": "{0} can post again.",
    "send": "",
}


class ChatPoller(QObject):
    entries = Signal(object)  # list[ChatEntry], oldest first
    status = Signal(str)  # one line about the feed ("" when all is well)
    acted = Signal(str, object, object)  # kind, args, result
    action_failed = Signal(str, str)  # kind, one-line reason

    def __init__(self, ctx: Any, parent: QObject | None = None, *, interval_ms: int = POLL_MS,
                 client_factory: Callable[[], Any] | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = Tasks(self, max_threads=1)
        self._client_factory = client_factory
        self._client: Any = None  # used on the chat thread only
        self._where: Any = None
        self.last_id: str | None = None
        self.in_flight = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll_now)

    # -- the chat thread --------------------------------------------------------------------------
    def _ensure(self) -> tuple[Any, Any]:
        from streamdesk.core import channel_ops, moderation

        if self._client is None:
            self._where = moderation.target(self.ctx)
            if self._client_factory is not None:
                self._client = self._client_factory()
            else:
                self._client = channel_ops.client(self.ctx, timeout=5.0, max_retries=1)
        return self._client, self._where

    def _fetch(self, after: str | None) -> list[Any]:
        from streamdesk.core import moderation

        gs, where = self._ensure()
        return moderation.fetch(gs, where, after, limit=PAGE if after else FIRST_PAGE)

    def _act(self, kind: str, args: tuple[Any, ...]) -> Any:
        from streamdesk.core import moderation

        gs, where = self._ensure()
        if kind == "pin":
            return moderation.pin(gs, where, args[0], True)
        if kind == "unpin":
            return moderation.pin(gs, where, args[0], False)
        return getattr(moderation, kind)(gs, where, *args)

    # -- the GUI thread -----------------------------------------------------------------------------
    def start(self) -> None:
        if not self.timer.isActive():
            self.timer.start()
            self.poll_now()

    def stop(self) -> None:
        self.timer.stop()

    def reset(self) -> None:
        """A new show: start from its backlog again."""
        self.last_id = None

    def poll_now(self) -> None:
        if self.in_flight or self.tasks.closed:
            return
        self.in_flight = True
        after = self.last_id
        self.tasks.run(lambda: self._fetch(after), self._got, self._failed, what="read the chat")

    def _got(self, entries: list[Any]) -> None:
        self.in_flight = False
        if entries:
            self.last_id = entries[-1].id
            self.entries.emit(entries)
        self.status.emit("")
        if len(entries) >= PAGE:  # a burst: catch up now rather than a poll later
            QTimer.singleShot(0, self.poll_now)

    def _failed(self, text: str, _error: BaseException) -> None:
        self.in_flight = False
        self.status.emit(f"Chat not updated: {text}")

    def act(self, kind: str, args: tuple[Any, ...]) -> None:
        if kind not in ACTIONS:
            raise ValueError(kind)
        self.tasks.run(lambda: self._act(kind, args),
                       lambda result: self._acted(kind, args, result),
                       lambda text, _e: self.action_failed.emit(kind, text), what=f"chat {kind}")

    def _acted(self, kind: str, args: tuple[Any, ...], result: Any) -> None:
        self.acted.emit(kind, args, result)
        if kind == "send":
            self.poll_now()

    def close(self) -> None:
        self.timer.stop()
        self.tasks.close()
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:
                log.info("closing the chat client failed", exc_info=True)


def done_text(kind: str, args: tuple[Any, ...]) -> str:
    return DONE_TEXT.get(kind, "").format(*args)
