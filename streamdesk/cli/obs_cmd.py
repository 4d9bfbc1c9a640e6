"""OBS commands: obs configure|start|stop|status|restore."""

from __future__ import annotations

import argparse

from streamdesk.core.context import AppContext
from streamdesk.core.errors import StreamdeskError


def register(sub: argparse._SubParsersAction) -> None:
    obs = sub.add_parser("obs", help="configure and control OBS over obs-websocket")
    osub = obs.add_subparsers(dest="obs_command", metavar="ACTION", required=True)
    p = osub.add_parser("configure", help="push the RTMPS server, key and recommended output settings")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    p.add_argument("--no-output-settings", action="store_true", help="only set server and key")
    p.set_defaults(func=_todo)
    for name, text in (
        ("start", "start streaming in OBS and wait until it connects"),
        ("stop", "stop streaming in OBS"),
        ("restore", "put back the OBS settings saved before configure"),
    ):
        osub.add_parser(name, help=text).set_defaults(func=_todo)
    p = osub.add_parser("status", help="OBS connection and stream health")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_todo)


def _todo(args: argparse.Namespace, ctx: AppContext) -> int:
    raise StreamdeskError(f"`streamdesk obs {args.obs_command}` is not available in this build yet.")
