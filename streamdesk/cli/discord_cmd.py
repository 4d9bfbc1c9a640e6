"""Discord notifications: discord set|test|clear|status.

The webhook URL is a secret, so it is read from standard input (``--url-stdin``), never from argv.
"""

from __future__ import annotations

import argparse
import sys

from streamdesk.cli._common import EXIT_ERROR, EXIT_OK, UsageError, print_json
from streamdesk.core import discord
from streamdesk.core.context import AppContext
from streamdesk.core.store import check_setting


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("discord", help="optional Discord go-live / end notifications")
    dsub = p.add_subparsers(dest="discord_command", metavar="ACTION", required=True)

    s = dsub.add_parser("set", help="save the webhook URL (read from standard input) in the keyring")
    s.add_argument("--url-stdin", action="store_true", required=True,
                   help="read the webhook URL from standard input (a secret: never an argument)")
    s.add_argument("--title", help="what the embeds call the stream (default: the call id)")
    s.add_argument("--link", help="where viewers watch, linked from the go-live embed")
    s.set_defaults(func=set_webhook)

    t = dsub.add_parser("test", help="send a test message (mentions suppressed)")
    t.set_defaults(func=test)

    c = dsub.add_parser("clear", help="remove the webhook: no more Discord notifications")
    c.set_defaults(func=clear)

    st = dsub.add_parser("status", help="whether notifications are on, and what the embeds say")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=status)


def set_webhook(args: argparse.Namespace, ctx: AppContext) -> int:
    from streamdesk.core.secrets import SecretKind

    line = sys.stdin.readline().strip()
    if not line:
        raise UsageError("no webhook URL on standard input",
                         hint="pipe it in: `… | streamdesk discord set --url-stdin`.")
    url = discord.validate_webhook_url(line)
    # Every argument is checked before anything is stored: a refusal leaves nothing half-saved.
    title = args.title.strip() if args.title is not None else None
    link = args.link.strip() if args.link is not None else None
    if link and not link.startswith(("https://", "http://")):
        raise UsageError("--link must be a web address starting with https://")
    for key, value in ((discord.TITLE_SETTING, title), (discord.LINK_SETTING, link)):
        if value is not None:
            check_setting(key, value)
    ctx.secrets.set(SecretKind.DISCORD_WEBHOOK, url, "")
    if title is not None:
        ctx.store.put_setting(discord.TITLE_SETTING, title)
    if link is not None:
        ctx.store.put_setting(discord.LINK_SETTING, link)
    print("Discord webhook saved in the keyring. Send a test with `streamdesk discord test`.")
    return EXIT_OK


def test(args: argparse.Namespace, ctx: AppContext) -> int:
    notice = discord.send_test(ctx)
    if notice:
        print(f"streamdesk: {notice}", file=sys.stderr)
        return EXIT_ERROR
    print("Test message delivered to Discord.")
    return EXIT_OK


def clear(args: argparse.Namespace, ctx: AppContext) -> int:
    from streamdesk.core.secrets import SecretKind

    ctx.secrets.delete(SecretKind.DISCORD_WEBHOOK, "")
    print("Discord webhook removed; no notifications will be sent.")
    return EXIT_OK


def status(args: argparse.Namespace, ctx: AppContext) -> int:
    info = {
        "enabled": discord.webhook_url(ctx) is not None,
        "title": ctx.store.get_setting(discord.TITLE_SETTING, "") or None,
        "link": ctx.store.get_setting(discord.LINK_SETTING, "") or None,
    }
    if args.json:
        print_json(info)
    else:
        print(f"Discord notifications: {'on' if info['enabled'] else 'off'}")
        if info["title"]:
            print(f"title: {info['title']}")
        if info["link"]:
            print(f"link:  {info['link']}")
    return EXIT_OK
