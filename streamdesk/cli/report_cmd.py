"""``streamdesk report``: the stream summary of a session."""

from __future__ import annotations

import argparse

from streamdesk.cli._common import EXIT_OK, UsageError, print_json
from streamdesk.core.context import AppContext


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="the stream summary of a session (the latest by default)")
    p.add_argument("--session", type=int, metavar="N", help="the session (see `streamdesk sessions`)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="machine-readable output")
    fmt.add_argument("--markdown", action="store_true", help="a markdown table, e.g. for notes or a post")
    p.set_defaults(func=report_command)


def report_command(args: argparse.Namespace, ctx: AppContext) -> int:
    from streamdesk.core import after_show, report

    if args.session is not None and args.session <= 0:
        raise UsageError("--session needs a session number (see `streamdesk sessions`)")
    summary = after_show.load_summary(ctx, args.session, with_getstream=ctx.store.channel().has_account)
    if args.json:
        print_json(report.as_json(summary))
    elif args.markdown:
        print(report.markdown(summary), end="")
    else:
        print(f"Session {summary.session_id} ({summary.call_cid})")
        width = max(len(name) for name, _l, _r in report.rows(summary))
        print(f"{'':{width}}  {'local':30}  GetStream")
        for name, local, remote in report.rows(summary):
            print(f"{name:{width}}  {local:30}  {remote}")
        if summary.getstream is None and summary.getstream_note:
            print(f"GetStream figures: {summary.getstream_note}")
    return EXIT_OK
