"""GetStream commands: setup, provision, key, golive, stop, end, status."""

from __future__ import annotations

import argparse

from streamdesk.cli._common import EXIT_OK, print_json
from streamdesk.core.context import AppContext
from streamdesk.core.errors import StreamdeskError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("setup", help="save the GetStream account (secret from STREAMDESK_API_SECRET or stdin)")
    p.add_argument("--api-key", required=True)
    p.add_argument("--user-id", required=True, help="the broadcaster's GetStream user id")
    p.add_argument("--call-id", help="the livestream call id (default: derived from the user id)")
    p.add_argument("--api-base", help="GetStream base URL (default https://chat.stream-io-api.com)")
    p.add_argument("--secret-stdin", action="store_true", help="read the API secret from standard input")
    p.set_defaults(func=_todo)

    p = sub.add_parser("provision", help="create the user, the livestream call, the chat channel and the key")
    p.add_argument("--join-ahead", type=int, metavar="SECONDS", help="backstage join-ahead time")
    p.add_argument("--starts-at", metavar="ISO8601", help="scheduled start time")
    p.add_argument("--key-ttl", type=float, metavar="HOURS", help="stream key lifetime in hours")
    p.set_defaults(func=_todo)

    p = sub.add_parser("key", help="show (masked), reveal, copy or rotate the stream key")
    p.add_argument("--reveal", action="store_true")
    p.add_argument("--copy", action="store_true")
    p.add_argument("--rotate", action="store_true")
    p.set_defaults(func=_todo)

    p = sub.add_parser("golive", help="take the call out of backstage")
    for flag in ("hls", "record", "captions", "transcribe"):
        p.add_argument(f"--{flag}", action="store_true")
    p.add_argument("--recording-storage", metavar="NAME")
    p.add_argument("--transcription-storage", metavar="NAME")
    p.set_defaults(func=_todo)

    p = sub.add_parser("stop", help="stop live: back to backstage")
    for flag in ("hls", "recording", "captions", "transcription"):
        p.add_argument(f"--continue-{flag}", action="store_true")
    p.set_defaults(func=_todo)

    p = sub.add_parser("end", help="end the stream (stop live and stop OBS)")
    p.add_argument("--force", action="store_true", help="call the server directly, whatever the local state")
    p.add_argument("--mark-ended", action="store_true", help="also end the call for everyone")
    p.set_defaults(func=_todo)

    p = sub.add_parser("status", help="where the stream stands and what to do next")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=status)


def _todo(args: argparse.Namespace, ctx: AppContext) -> int:
    raise StreamdeskError(f"`streamdesk {args.command}` is not available in this build yet.")


def status(args: argparse.Namespace, ctx: AppContext) -> int:
    channel = ctx.store.channel()
    session = ctx.store.open_session(channel.call_cid) if channel.call_id else None
    if not channel.has_account:
        state, next_step = "needs_account", (
            "Set up your account: STREAMDESK_API_SECRET=… streamdesk setup --api-key KEY --user-id USER"
        )
    elif not channel.is_provisioned:
        state, next_step = "needs_provision", "Provision the livestream: streamdesk provision"
    elif session is not None:
        state, next_step = "live", "You are live. End with: streamdesk stop (or streamdesk end --force)"
    else:
        state, next_step = "provisioned", "Configure OBS: streamdesk obs configure"
    info = {
        "state": state,
        "next": next_step,
        "api_key": channel.api_key or None,
        "user_id": channel.user_id or None,
        "call_cid": channel.call_cid or None,
        "rtmps_url": channel.rtmps_url or None,
        "session_id": session.id if session else None,
    }
    if args.json:
        print_json(info)
    else:
        print(f"State: {state.replace('_', ' ')}")
        for key in ("api_key", "user_id", "call_cid", "rtmps_url"):
            if info[key]:
                print(f"{key.replace('_', ' ').capitalize()}: {info[key]}")
        print(f"Next: {next_step}")
    return EXIT_OK
