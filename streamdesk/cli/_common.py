"""Shared plumbing for CLI commands: context, output, secrets from env/stdin, error → exit code."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from streamdesk.core.errors import InvalidInput, StreamdeskError, bug_sentence

if TYPE_CHECKING:
    # imported where a command runs: the GUI comes through this module (run_gui) and must not pay
    # for the store (sqlite3, json, dataclasses) before its first paint (bench/startup.py)
    from streamdesk.core.context import AppContext

log = logging.getLogger("streamdesk.cli")

Handler = Callable[[argparse.Namespace, "AppContext"], int]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(InvalidInput):
    """Bad arguments (exit 2)."""


def finite_float(text: str) -> float:
    """The argparse ``type`` of every fractional numeric option: NaN and infinity are refused
    (argparse turns this into exit 2 naming the option), so no timeout is ever "forever" by
    accident and no comparison with NaN silently passes."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a finite number")
    return value


class TerminalSafe:
    """A text stream that strips terminal control (ANSI/OSC escapes, other control characters)
    from everything written through it: the CLI prints text that came from GetStream, OBS and
    Discord, and a hostile server must not be able to retitle, recolour or rewrite the terminal.
    ``run_handler`` puts one on stdout and stderr for the whole command (one place, every print)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        from streamdesk.core.remote_values import terminal_safe

        self._inner.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def run_handler(handler: Handler, args: argparse.Namespace) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalSafe(out), TerminalSafe(err)
    try:
        return _run_handler(handler, args)
    finally:
        sys.stdout, sys.stderr = out, err


def _run_handler(handler: Handler, args: argparse.Namespace) -> int:
    if not logging.getLogger().handlers:
        # until the log file is set up, records must not fall through to stderr as tracebacks
        logging.getLogger().addHandler(logging.NullHandler())
    try:
        from streamdesk.core.context import AppContext

        ctx = AppContext()
        _setup_logging(ctx)
        return handler(args, ctx)
    except InvalidInput as e:  # UsageError, or a value the core's validators refused
        _fail(e)
        return EXIT_USAGE
    except StreamdeskError as e:
        log.info("command failed: %s", e.one_line())
        _fail(e)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("streamdesk: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: keep the traceback in the (redacted) log, not on the terminal
        log.exception("a bug stopped the command")
        print(f"streamdesk: {bug_sentence(e, f'the log under {_log_hint()}')}", file=sys.stderr)
        return EXIT_ERROR


def _fail(error: StreamdeskError) -> None:
    # Messages never carry secrets by construction; redacting here is the second guard.
    from streamdesk.core.secrets import redact

    print(f"streamdesk: {redact(error.one_line())}", file=sys.stderr)


def _log_hint() -> str:
    try:
        from streamdesk.core.context import AppContext

        return str(AppContext().paths.log_file)
    except Exception:
        return "STREAMDESK_HOME/logs"


def _setup_logging(ctx: AppContext) -> None:
    from streamdesk.core.secrets import setup_logging

    setup_logging(ctx.paths.log_file)


def print_json(data: Any) -> None:
    import json

    print(json.dumps(data, indent=2, sort_keys=True, default=str))


def secret_from(env_var: str, use_stdin: bool, what: str) -> str | None:
    """A secret handed in by a script: stdin when asked, else the environment, else None."""
    if use_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value.strip():
            raise UsageError(f"no {what} on standard input")
        return value
    value = os.environ.get(env_var, "")
    return value if value.strip() else None


def run_gui(*, demo: bool, self_test: bool, keep: bool = False) -> int:
    # ui.app imports Qt inside run(), which says so in one line when Qt is unusable
    from streamdesk.ui.app import run

    if keep and not demo:  # before the window: one sentence, the usage exit code
        print("streamdesk: --keep keeps a demo: use it with --demo", file=sys.stderr)
        return 2
    return run(demo=demo, self_test=self_test, keep=keep)
