"""``streamdesk recordings``: the show's recordings and transcriptions, and downloading them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from streamdesk.cli._common import EXIT_OK, UsageError, print_json
from streamdesk.core.context import AppContext
from streamdesk.core.getstream import CallFile


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recordings", help="recordings and transcriptions (fresh links; they expire)")
    p.add_argument("--session", type=int, metavar="N", help="only this session's (see `streamdesk sessions`)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--download", metavar="DIR", help="download every file into DIR (resumes partial files)")
    p.set_defaults(func=recordings)


def _files(ctx: AppContext, session_id: int | None) -> list[CallFile]:
    from streamdesk.core import after_show, channel_ops, recordings

    if session_id is not None:
        if session_id <= 0:
            raise UsageError("--session needs a session number (see `streamdesk sessions`)")
        return after_show.session_files(ctx, after_show.session_or_latest(ctx, session_id))
    channel = channel_ops.require_account(ctx)
    with channel_ops.client(ctx, timeout=10.0, max_retries=2) as client:
        return recordings.list_files(client, channel.call_type, channel.call_id)


def recordings(args: argparse.Namespace, ctx: AppContext) -> int:
    folder = None
    if args.download is not None:
        folder = Path(args.download).expanduser()
        if not folder.is_dir():
            raise UsageError(f"--download needs an existing folder; {folder} is not one")
    files = _files(ctx, args.session)
    saved: dict[str, str] = {}
    if folder is not None:
        saved = _download_all(files, folder, show_progress=sys.stdout.isatty() and not args.json)
    if args.json:
        print_json([{**f.as_json(), **({"path": saved[f.filename]} if f.filename in saved else {})}
                    for f in files])
        return EXIT_OK
    if not files:
        print("No recordings or transcriptions yet. Go live with --record or --transcribe; GetStream lists "
              "them once the recording stops.")
        return EXIT_OK
    for f in files:
        when = f.start_time.astimezone().strftime("%Y-%m-%d %H:%M") if f.start_time else "?"
        kind = f.kind + (f" ({f.recording_type})" if f.recording_type else "")
        line = f"{when}  {kind:24}  {f.filename}"
        print(line + (f"  → {saved[f.filename]}" if f.filename in saved else ""))
    if folder is None:
        print("Links expire: use --json for them now, or --download DIR.", file=sys.stderr)
    return EXIT_OK


def _download_all(files: list[CallFile], folder: Path, *, show_progress: bool) -> dict[str, str]:
    from streamdesk.core import recordings

    saved = {}
    for f in files:
        progress = _Bar(f.filename) if show_progress else None
        result = recordings.download(f.url, folder, f.filename, progress=progress)
        if progress is not None:
            progress.done()
        saved[f.filename] = str(result.path)
    return saved


class _Bar:
    """A one-line progress bar on a terminal (only used when stdout is one)."""

    def __init__(self, name: str) -> None:
        self.name = name if len(name) <= 40 else name[:37] + "…"
        self._last = -1

    def __call__(self, done: int, total: int | None) -> None:
        if total:
            pct = int(100 * done / total)
            if pct == self._last:
                return
            self._last = pct
            bar = "#" * (pct // 5)
            sys.stdout.write(f"\r{self.name:40}  [{bar:20}] {pct:3d}%  {done / 1e6:7.1f} MB")
        else:
            sys.stdout.write(f"\r{self.name:40}  {done / 1e6:7.1f} MB")
        sys.stdout.flush()

    def done(self) -> None:
        sys.stdout.write("\n")
        sys.stdout.flush()
