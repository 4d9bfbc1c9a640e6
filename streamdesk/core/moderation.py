"""Chat moderation for the saved show: what ``streamdesk chat …`` and the GUI's chat feed run.

Each function checks its input before any request (``InvalidInput``), opens one client for the
saved account, and acts on the show's chat channel as the broadcaster. Blocking: the GUI calls
these from its worker (``ui/tasks.py``), never on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from streamdesk.core import channel_ops, chat
from streamdesk.core.context import AppContext
from streamdesk.core.getstream import GetStreamClient


@dataclass(frozen=True)
class ChatTarget:
    """Where the show's chat lives and who acts on it."""

    channel_type: str
    channel_id: str
    cid: str
    broadcaster: str


def target(ctx: AppContext) -> ChatTarget:
    channel = channel_ops.require_provisioned(ctx)
    cid = channel.chat_cid or f"{channel_ops.CHAT_CHANNEL_TYPE}:{channel.call_id}"
    channel_type, _, channel_id = cid.partition(":")
    return ChatTarget(channel_type, channel_id, cid, channel.user_id)


def fetch(gs: GetStreamClient, where: ChatTarget, after_id: str | None,
          limit: int = 100) -> list[chat.ChatEntry]:
    return gs.chat_page(where.channel_type, where.channel_id, after_id, limit=limit)


def send(gs: GetStreamClient, where: ChatTarget, text: str) -> chat.ChatEntry:
    return gs.send_message(where.channel_type, where.channel_id, chat.validate_text(text),
                           user_id=where.broadcaster)


def delete(gs: GetStreamClient, where: ChatTarget, message_id: str) -> chat.ChatEntry | None:
    return gs.delete_message(chat.validate_message_id(message_id), deleted_by=where.broadcaster)


def pin(gs: GetStreamClient, where: ChatTarget, message_id: str,
        pinned: bool = True) -> chat.ChatEntry | None:
    return gs.set_pinned(chat.validate_message_id(message_id), pinned, user_id=where.broadcaster)


def timeout(gs: GetStreamClient, where: ChatTarget, user_id: str, minutes: float) -> None:
    gs.ban_user(chat.validate_user_id(user_id), banned_by_id=where.broadcaster, channel_cid=where.cid,
                timeout_minutes=chat.validate_minutes(minutes))


def ban(gs: GetStreamClient, where: ChatTarget, user_id: str, reason: str | None = None) -> None:
    gs.ban_user(chat.validate_user_id(user_id), banned_by_id=where.broadcaster, channel_cid=where.cid,
                reason=chat.validate_reason(reason))


def unban(gs: GetStreamClient, where: ChatTarget, user_id: str) -> None:
    gs.unban_user(chat.validate_user_id(user_id), unbanned_by_id=where.broadcaster, channel_cid=where.cid)


def banned(gs: GetStreamClient, where: ChatTarget) -> list[chat.Ban]:
    return gs.banned_users(where.cid)


def pinned(gs: GetStreamClient, where: ChatTarget) -> list[chat.ChatEntry]:
    return gs.pinned_messages(where.channel_type, where.channel_id)
