"""Command line: the GUI by default, subcommands for scripting.

Exit codes: 0 ok, 1 runtime or remote error (one clear line on stderr), 2 usage error.
Each command group lives in its own module and registers its subcommands here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from streamdesk import __version__
from streamdesk.cli._common import run_handler

GUI_FLAGS = {"--demo", "--keep", "--self-test"}


def command_groups() -> tuple:
    # imported on demand: they pull in httpx, jwt and the simulators, which the GUI's start-up
    # (measured by bench/startup.py) must not pay for before its window is painted
    from streamdesk.cli import (
        channel,
        chat_cmd,
        discord_cmd,
        history,
        obs_cmd,
        recordings_cmd,
        report_cmd,
        sim_cmd,
    )

    return (channel, obs_cmd, history, chat_cmd, discord_cmd, sim_cmd, recordings_cmd, report_cmd)


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
    parser.add_argument("--keep", action="store_true",
                        help="with --demo: keep the demo (its folder, keyring entries and simulators) "
                        "so a restart resumes it")
    parser.add_argument(
        "--self-test", action="store_true", help="show the main window, check the keyring, exit once painted"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in command_groups():
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if set(words) <= GUI_FLAGS and len(set(words)) == len(words):  # the app: skip building the CLI
        from streamdesk.cli._common import run_gui

        return run_gui(demo="--demo" in words, self_test="--self-test" in words, keep="--keep" in words)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from streamdesk.cli._common import run_gui

        return run_gui(demo=args.demo, self_test=args.self_test, keep=args.keep)
    return run_handler(args.func, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
