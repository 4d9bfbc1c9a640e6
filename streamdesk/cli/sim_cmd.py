"""`streamdesk sim`: run the GetStream and OBS simulators standalone."""

from __future__ import annotations

import argparse

from streamdesk.core.context import AppContext
from streamdesk.core.errors import StreamdeskError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sim", help="run the GetStream and OBS simulators on loopback")
    p.add_argument("--port", type=int, default=0, help="GetStream simulator port (default: random)")
    p.add_argument("--obs-port", type=int, default=0, help="OBS simulator port (default: random)")
    p.add_argument("--seed", type=int, default=1, help="seed for the simulated audience")
    p.add_argument("--api-key", help="API key the simulator accepts (default: generated)")
    p.set_defaults(func=_todo)


def _todo(args: argparse.Namespace, ctx: AppContext) -> int:
    raise StreamdeskError("`streamdesk sim` is not available in this build yet.")
