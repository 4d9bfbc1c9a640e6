"""Session history and live watching: sessions, watch."""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import asdict
from datetime import datetime

from streamdesk.cli._common import EXIT_OK, UsageError, print_json
from streamdesk.core.context import AppContext
from streamdesk.core.errors import StreamdeskError
from streamdesk.core.store import Session

CSV_FIELDS = ("id", "call_cid", "started_at", "ended_at", "total_minutes", "peak_viewers", "total_chat",
              "end_reason")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sessions", help="past live sessions")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    p.set_defaults(func=sessions)

    p = sub.add_parser("watch", help="follow the live session in the terminal, recording samples")
    p.add_argument("--json", action="store_true", help="one JSON object per poll")
    p.add_argument("--for", dest="duration", type=float, metavar="SECONDS", help="stop after this long")
    p.set_defaults(func=_todo_watch)


def iso(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def session_row(s: Session) -> dict:
    row = {k: v for k, v in asdict(s).items() if k in CSV_FIELDS}
    row["started_at"], row["ended_at"] = iso(s.started_at), iso(s.ended_at)
    return row


def sessions(args: argparse.Namespace, ctx: AppContext) -> int:
    rows = [session_row(s) for s in ctx.store.list_sessions()]
    if args.json:
        print_json(rows)
    elif args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    elif not rows:
        print("No sessions yet. They appear here after you go live (streamdesk golive).")
    else:
        print(f"{'#':>4}  {'started':25}  {'minutes':>7}  {'peak':>5}  {'chat':>6}  ended")
        for r in rows:
            minutes = "live" if not r["ended_at"] else r["total_minutes"]
            print(f"{r['id']:>4}  {r['started_at']:25}  {minutes!s:>7}  {r['peak_viewers']:>5}  "
                  f"{r['total_chat']:>6}  {r['end_reason'] or ''}")
    return EXIT_OK


def _todo_watch(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.duration is not None and args.duration <= 0:
        raise UsageError("--for needs a positive number of seconds")
    raise StreamdeskError("`streamdesk watch` is not available in this build yet.")
