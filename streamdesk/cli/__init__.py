"""Command line: the GUI by default, subcommands for scripting.

Exit codes: 0 ok, 1 runtime or remote error (one clear line on stderr), 2 usage error.
Each command group lives in its own module and registers its subcommands here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from streamdesk import __version__
from streamdesk.cli import channel, discord_cmd, history, obs_cmd, sim_cmd
from streamdesk.cli._common import run_handler

GROUPS = (channel, obs_cmd, history, discord_cmd, sim_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streamdesk",
        description="Take a GetStream livestream from nothing to live and back, next to OBS Studio. "
        "With no command, opens the app.",
        epilog="Secrets never go on the command line: use STREAMDESK_API_SECRET / STREAMDESK_OBS_PASSWORD "
        "or the --*-stdin options.",
    )
    parser.add_argument("--version", action="version", version=f"streamdesk {__version__}")
    parser.add_argument("--demo", action="store_true", help="open the app on the embedded simulators")
    parser.add_argument(
        "--self-test", action="store_true", help="show the main window, check the keyring, exit once painted"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from streamdesk.cli._common import run_gui

        return run_gui(demo=args.demo, self_test=args.self_test)
    return run_handler(args.func, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
