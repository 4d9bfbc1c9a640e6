"""The Live card's chat: a ``ChatPoller`` (reads and moderates off the GUI thread) wired to the
card's ``ChatFeed``.

Apart from ``stages/live.py`` to keep that module its layout; ``ui/chat_poller.py`` is still
imported only when the first live session starts, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from streamdesk.core.context import AppContext
    from streamdesk.ui.chat_poller import ChatPoller
    from streamdesk.ui.widgets.chat_feed import ChatFeed


def wire_chat(ctx: AppContext, feed: ChatFeed, parent: QObject) -> ChatPoller:
    """A new ``ChatPoller`` whose messages, status and moderation results show in ``feed``, and
    which carries out what the streamer does in it (delete, ban…)."""
    from streamdesk.ui.chat_poller import ChatPoller, done_text

    def acted(kind: str, args: Any, result: Any) -> None:
        feed.apply(kind, args, result)
        feed.set_status(done_text(kind, tuple(args)))

    poller = ChatPoller(ctx, parent)
    poller.entries.connect(feed.add)
    poller.status.connect(feed.set_status)
    poller.acted.connect(acted)
    poller.action_failed.connect(lambda _kind, text: feed.set_status(f"Not done: {text}"))
    feed.action.connect(poller.act)
    return poller
