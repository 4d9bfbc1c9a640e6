"""Session history and live watching: sessions, watch."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from streamdesk.cli._common import EXIT_OK, UsageError, finite_float, print_json
from streamdesk.core import live, stats
from streamdesk.core.context import AppContext
from streamdesk.core.errors import InvalidInput, StreamdeskError
from streamdesk.core.obs_errors import ObsError
from streamdesk.core.secrets import KeyringLocked, KeyringUnavailable
from streamdesk.core.store import Session

if TYPE_CHECKING:
    from streamdesk.core.obs import ObsController
    from streamdesk.core.obs_health import StreamHealth


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sessions", help="past live sessions")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    p.set_defaults(func=sessions)

    p = sub.add_parser("watch", help="follow the live session in the terminal, recording samples")
    p.add_argument("--json", action="store_true", help="one JSON object per poll")
    p.add_argument("--for", dest="duration", type=finite_float, metavar="SECONDS",
                   help="stop after this long")
    p.set_defaults(func=watch)


def sessions(args: argparse.Namespace, ctx: AppContext) -> int:
    all_sessions = ctx.store.list_sessions()
    rows = [stats.session_record(s) for s in all_sessions]
    if args.json:
        print_json(rows)
    elif args.csv:
        stats.write_sessions_csv(sys.stdout, all_sessions)
    elif not rows:
        print("No sessions yet. They appear here after you go live (streamdesk golive).")
    else:
        print(f"{'#':>4}  {'started':25}  {'minutes':>7}  {'peak':>5}  {'chat':>6}  ended")
        for r in rows:
            minutes = "live" if not r["ended_at"] else r["total_minutes"]
            print(f"{r['id']:>4}  {r['started_at']:25}  {minutes!s:>7}  {r['peak_viewers']:>5}  "
                  f"{r['total_chat']:>6}  {r['end_reason'] or ''}")
    return EXIT_OK


def watch(args: argparse.Namespace, ctx: AppContext) -> int:
    """Follow the live session, recording samples exactly as the GUI does, until Ctrl-C, --for,
    or the session ends. One line (or JSON object) per poll."""
    if args.duration is not None and args.duration <= 0:
        raise UsageError("--for needs a positive number of seconds")
    session = _live_session(ctx)
    obs = _obs_reading(ctx)
    show = _print_json_line if args.json else _print_text_line
    source: live.LiveRecorder | live.RecordingTail
    try:
        try:
            source = live.LiveRecorder(ctx, session.id, bitrate=obs.bitrate if obs else None,
                                       frames=obs.frames if obs else None)
        except live.RecorderBusy as e:  # the app records it: show its samples, count nothing twice
            print(f"streamdesk: {e.message} Showing what it records.", file=sys.stderr, flush=True)
            source = live.RecordingTail(ctx, session.id)
        with source:
            if not args.json:
                print(f"Watching session {session.id} ({session.call_cid}), live since "
                      f"{stats.local_iso(session.started_at)}; Ctrl-C to stop watching.", flush=True)
            # Ctrl-C is the normal way to stop watching, not an error.
            with contextlib.suppress(KeyboardInterrupt):
                live.follow(source, show, duration_s=args.duration)
    finally:
        if obs is not None:
            obs.close()
    if not args.json:
        row = ctx.store.get_session(session.id)
        if row is not None:
            state = "ended" if not row.is_open else "still live"
            print(f"Session {row.id} {state}: peak {row.peak_viewers} viewers, "
                  f"{row.total_chat} chat messages.")
    return EXIT_OK


def _live_session(ctx: AppContext) -> Session:
    """The open session row; if GetStream says the call is live but no row is open (it went
    live from another machine, or the row was closed by mistake), open one from the server's data."""
    channel = ctx.store.channel()
    session = ctx.store.open_session(channel.call_cid or None)
    if session is not None:
        return session
    if channel.has_account:
        client = live.default_client(ctx)
        try:
            call = client.get_call(channel.call_type, channel.call_id)
        finally:
            client.close()
        if call.is_live and call.live_started_at is not None:
            return live.open_session(ctx, call.cid, call.live_started_at.timestamp(), call.session_id)
    raise StreamdeskError("There is no live session to watch.",
                          hint="Go live first (`streamdesk golive`); `streamdesk status` shows the state.")


class ObsReading:
    """OBS's stream health for the recorder while watching: ``bitrate`` and ``frames`` read one health
    per poll (the recorder asks for the bitrate first, then the frame counters of that same reading)."""

    def __init__(self, controller: ObsController) -> None:
        self._controller = controller
        self._last: StreamHealth | None = None

    def bitrate(self) -> float | None:
        # cleared first: a failed read must not leave the previous poll's counters for ``frames``
        self._last = None
        health = self._controller.health(with_stats=False)
        self._last = health
        return health.bitrate_kbps if health.active else None

    def frames(self) -> tuple[int, int] | None:
        health = self._last
        if health is None or not health.active:
            return None
        return health.dropped_frames, health.total_frames

    def close(self) -> None:
        self._controller.close()


def _obs_reading(ctx: AppContext) -> ObsReading | None:
    """OBS's health reader when OBS is reachable; None otherwise (the column is left out)."""
    from streamdesk.core import obs_ops  # lazy: the OBS socket stack only when watching

    try:
        controller = obs_ops.connect(ctx, timeout=2.0)
    except (ObsError, KeyringUnavailable, KeyringLocked, InvalidInput):
        return None  # no OBS, wrong password, no keyring, bad saved target: viewers and chat still work
    return ObsReading(controller)


def _print_json_line(snap: live.LiveSnapshot) -> None:
    print(json.dumps(snap.as_json(), sort_keys=True), flush=True)


def _print_text_line(snap: live.LiveSnapshot) -> None:
    clock = datetime.fromtimestamp(snap.t).strftime("%H:%M:%S")
    if snap.ended:
        print(f"{clock}  the stream has ended ({stats.fmt_duration(snap.duration_s)} live).", flush=True)
        return
    viewers = "   —" if snap.viewers is None else f"{snap.viewers:>4}"
    line = (f"{clock}  viewers {viewers}  chat/min {snap.chat_per_minute:5.1f}  peak {snap.peak_viewers:>4}  "
            f"chat {snap.total_chat:>5}  {stats.fmt_duration(snap.duration_s):>8}")
    if snap.bitrate_kbps is not None:
        line += f"  {snap.bitrate_kbps:6.0f} kbps"
    if snap.error:
        line += f"  ({snap.error})"
    print(line, flush=True)
