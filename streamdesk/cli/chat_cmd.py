"""The show's chat: tail it, and moderate it (delete, pin, time out, ban, unban, send)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from datetime import datetime

from streamdesk.cli._common import EXIT_OK, UsageError, finite_float
from streamdesk.core import channel_ops, chat, moderation
from streamdesk.core.context import AppContext

POLL_S = 2.0
BACKLOG = 20  # messages shown when tailing starts


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="tail the show's chat, or moderate it (see `streamdesk chat -h`)")
    p.add_argument("--json", action="store_true", help="one JSON object per message")
    p.add_argument("--for", dest="duration", type=finite_float, metavar="SECONDS",
                   help="stop tailing after this long")
    p.set_defaults(func=tail)
    actions = p.add_subparsers(dest="chat_action", metavar="ACTION")

    for name, what, func in (("delete", "delete a message (viewers see it removed)", delete),
                             ("pin", "pin a message", pin), ("unpin", "unpin a message", unpin)):
        a = actions.add_parser(name, help=what)
        a.add_argument("message_id", metavar="ID")
        a.set_defaults(func=func)
    a = actions.add_parser("timeout", help="keep a user from posting for some minutes")
    a.add_argument("user_id", metavar="USER")
    a.add_argument("--minutes", type=finite_float, required=True, metavar="N")
    a.set_defaults(func=timeout)
    a = actions.add_parser("ban", help="ban a user from the show's chat until unbanned")
    a.add_argument("user_id", metavar="USER")
    a.add_argument("--reason", metavar="R")
    a.set_defaults(func=ban)
    a = actions.add_parser("unban", help="lift a ban or time-out")
    a.add_argument("user_id", metavar="USER")
    a.set_defaults(func=unban)
    a = actions.add_parser("send", help="post a message as the broadcaster (text from stdin when omitted)")
    a.add_argument("text", nargs="?", metavar="TEXT")
    a.set_defaults(func=send)


def _line(entry: chat.ChatEntry) -> str:
    when = entry.created_at.astimezone().strftime("%H:%M:%S") if entry.created_at else "--:--:--"
    pin = " [pinned]" if entry.pinned else ""
    return f"{when}  {entry.author}: {entry.text}{pin}  ({entry.id})"


def tail(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.duration is not None and args.duration <= 0:
        raise UsageError("--for needs a positive number of seconds")
    where = moderation.target(ctx)
    deadline = None if args.duration is None else time.monotonic() + args.duration
    last: str | None = None
    first = True
    with channel_ops.client(ctx) as gs, contextlib.suppress(KeyboardInterrupt):
        if not args.json:
            print(f"Chat of {where.cid}; Ctrl-C to stop.", flush=True)
        while True:
            entries = moderation.fetch(gs, where, last, limit=BACKLOG if first else 100)
            first = False
            for entry in entries:
                last = entry.id
                if entry.type != "regular":
                    continue
                print(json.dumps(entry.to_json(), sort_keys=True) if args.json else _line(entry), flush=True)
            if deadline is not None and time.monotonic() >= deadline:
                break
            wait = POLL_S if deadline is None else min(POLL_S, max(deadline - time.monotonic(), 0))
            time.sleep(wait)
    return EXIT_OK


def _act(ctx: AppContext, done: str, action) -> int:  # type: ignore[no-untyped-def]
    where = moderation.target(ctx)
    with channel_ops.client(ctx) as gs:
        action(gs, where)
    if done:
        print(done)
    return EXIT_OK


def delete(args: argparse.Namespace, ctx: AppContext) -> int:
    msg_id = chat.validate_message_id(args.message_id)
    return _act(ctx, f"Deleted message {msg_id}.", lambda gs, w: moderation.delete(gs, w, msg_id))


def pin(args: argparse.Namespace, ctx: AppContext) -> int:
    msg_id = chat.validate_message_id(args.message_id)
    return _act(ctx, f"Pinned message {msg_id}.", lambda gs, w: moderation.pin(gs, w, msg_id, True))


def unpin(args: argparse.Namespace, ctx: AppContext) -> int:
    msg_id = chat.validate_message_id(args.message_id)
    return _act(ctx, f"Unpinned message {msg_id}.", lambda gs, w: moderation.pin(gs, w, msg_id, False))


def timeout(args: argparse.Namespace, ctx: AppContext) -> int:
    user = chat.validate_user_id(args.user_id)
    minutes = chat.validate_minutes(args.minutes)
    return _act(ctx, f"{user} cannot post for {minutes} minute{'s' if minutes != 1 else ''}.",
                lambda gs, w: moderation.timeout(gs, w, user, minutes))


def ban(args: argparse.Namespace, ctx: AppContext) -> int:
    user = chat.validate_user_id(args.user_id)
    reason = chat.validate_reason(args.reason)
    return _act(ctx, f"{user} is banned from the chat until unbanned.",
                lambda gs, w: moderation.ban(gs, w, user, reason))


def unban(args: argparse.Namespace, ctx: AppContext) -> int:
    user = chat.validate_user_id(args.user_id)
    return _act(ctx, f"{user} can post again.", lambda gs, w: moderation.unban(gs, w, user))


def send(args: argparse.Namespace, ctx: AppContext) -> int:
    raw = args.text if args.text is not None else sys.stdin.read()
    text = chat.validate_text(raw)
    sent: list[chat.ChatEntry] = []
    _act(ctx, "", lambda gs, w: sent.append(moderation.send(gs, w, text)))
    print(f"Sent message {sent[0].id} at {datetime.now().strftime('%H:%M:%S')}.")
    return EXIT_OK
