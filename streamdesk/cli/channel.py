"""GetStream commands: setup, provision, key, golive, stop, end, status.

Thin wrappers over ``core.channel_ops``: parse, call, print. Secrets come in only through
STREAMDESK_API_SECRET or --secret-stdin (never argv) and are printed only on ``key --reveal``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from streamdesk.cli._common import EXIT_OK, UsageError, finite_float, print_json, secret_from
from streamdesk.core import channel_ops as ops
from streamdesk.core.context import AppContext
from streamdesk.core.errors import InvalidInput, StreamdeskError
from streamdesk.core.getstream import NetworkError
from streamdesk.core.keys import key_expired, mask_key
from streamdesk.core.options import GoLiveOptions, StopOptions
from streamdesk.core.store import Session

#: how long `key --copy` keeps the key on an X11/Wayland clipboard before clearing it
CLIPBOARD_SECONDS = 45.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("setup",
                       help="save the GetStream account (secret from STREAMDESK_API_SECRET or stdin)")
    p.add_argument("--api-key", required=True)
    p.add_argument("--user-id", required=True, help="the broadcaster's GetStream user id")
    p.add_argument("--call-id", help="the livestream call id (default: derived from the user id)")
    p.add_argument("--api-base", help="GetStream base URL (default https://chat.stream-io-api.com)")
    p.add_argument("--secret-stdin", action="store_true", help="read the API secret from standard input")
    p.set_defaults(func=setup)

    p = sub.add_parser("provision", help="create the user, the livestream call, the chat channel and the key")
    p.add_argument("--join-ahead", type=int, metavar="SECONDS", help="backstage join-ahead time")
    p.add_argument("--starts-at", metavar="ISO8601", help="scheduled start time")
    p.add_argument("--key-ttl", type=finite_float, metavar="HOURS",
                   help=f"stream key lifetime in hours (default {ops.DEFAULT_KEY_TTL_HOURS:.0f}: a long show "
                   "plus reconnects; OBS cannot reconnect with an expired key)")
    p.add_argument("--display-name", metavar="NAME",
                   help="the broadcaster's display name (only this field of an existing user changes)")
    p.add_argument("--call-type-settings", action="store_true",
                   help="also change the whole livestream call type (app-wide): add join-backstage to the "
                   "hosts' grants and turn backstage on. Shows the change; applies it only with --yes")
    p.add_argument("--yes", action="store_true", help="apply the --call-type-settings change shown")
    p.add_argument("--undo-call-type-settings", action="store_true",
                   help="undo streamdesk's change to the call type (shows it; applies with --yes)")
    p.set_defaults(func=provision)

    p = sub.add_parser("key", help="show (masked), reveal, copy or rotate the stream key")
    p.add_argument("--reveal", action="store_true", help="print the whole key")
    p.add_argument("--copy", action="store_true", help="copy the key to the clipboard (needs a display)")
    p.add_argument("--rotate", action="store_true", help="mint a new key (and push it to OBS when possible)")
    p.add_argument("--key-ttl", type=finite_float, metavar="HOURS", help="lifetime of a rotated key in hours")
    p.set_defaults(func=key)

    p = sub.add_parser("golive", help="take the call out of backstage")
    for flag in ("hls", "record", "captions", "transcribe"):
        p.add_argument(f"--{flag}", action="store_true")
    p.add_argument("--recording-storage", metavar="NAME")
    p.add_argument("--transcription-storage", metavar="NAME")
    p.add_argument("--timeout", type=finite_float, default=30.0, metavar="SECONDS",
                   help="how long to wait for GetStream to confirm (default 30)")
    p.add_argument("--skip-ingest-check", action="store_true",
                   help="go live even when GetStream does not receive your stream yet")
    p.set_defaults(func=golive)

    p = sub.add_parser("stop", help="stop live: back to backstage")
    for flag in ("hls", "recording", "captions", "transcription"):
        p.add_argument(f"--continue-{flag}", action="store_true")
    p.set_defaults(func=stop)

    p = sub.add_parser("end", help="end the stream (stop live and stop OBS)")
    p.add_argument("--force", action="store_true", help="call the server directly, whatever the local state")
    p.add_argument("--mark-ended", action="store_true", help="also end the call for everyone")
    p.set_defaults(func=end)

    p = sub.add_parser("status", help="where the stream stands and what to do next")
    p.add_argument("--json", action="store_true")
    p.add_argument("--offline", action="store_true", help="do not ask GetStream, show the local state only")
    p.set_defaults(func=status)


# -- setup / provision / key ------------------------------------------------------------------------
def setup(args: argparse.Namespace, ctx: AppContext) -> int:
    secret = secret_from(ops.API_SECRET_ENV, args.secret_stdin, "API secret")
    try:
        channel = ops.save_account(ctx, api_key=args.api_key, api_secret=secret, user_id=args.user_id,
                                   call_id=args.call_id, api_base=args.api_base)
    except ops.NotSetUp as e:  # no secret handed in and none stored: the command line is incomplete
        raise UsageError(e.message, hint=e.hint) from None
    print(f"Saved the GetStream account: API key {channel.api_key}, user {channel.user_id}, "
          f"call {channel.call_cid}.")
    print("The API secret is in the system keyring." if secret
          else "Kept the API secret already in the keyring.")
    print("Next: streamdesk provision")
    return EXIT_OK


def provision(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.yes and not (args.call_type_settings or args.undo_call_type_settings):
        raise UsageError("--yes only applies with --call-type-settings or --undo-call-type-settings.")
    if args.call_type_settings and args.undo_call_type_settings:
        raise UsageError("Choose --call-type-settings or --undo-call-type-settings, not both.")
    if args.undo_call_type_settings:
        return _undo_call_type(args, ctx)
    if args.call_type_settings:
        _call_type_opt_in(args, ctx)
    result = ops.provision(ctx, join_ahead=args.join_ahead, starts_at=args.starts_at,
                           key_ttl_hours=args.key_ttl, display_name=args.display_name)
    print(f"Provisioned {result.call_cid} (in backstage until you go live).")
    if result.call_type_notice:
        print(f"Warning: {result.call_type_notice}")
        print("  To allow it (app-wide, for every livestream call): "
              "streamdesk provision --call-type-settings")
    print(f"Chat channel: {result.chat_cid}")
    print(f"RTMPS server: {result.rtmps_url}")
    print(f"Stream key:   {mask_key(ops.stream_key(ctx))} (in the keyring; {_expiry(result.key_expires_at)})")
    print("Next: streamdesk obs configure")
    return EXIT_OK


def _print_changes(name: str, changes: Any) -> None:
    width = max(len(c.setting) for c in changes)
    print(f"Call type {name} (app-wide: every livestream call of this app):")
    for c in changes:
        print(f"  {c.setting:<{width}}  {c.old}  ->  {c.new}")


def _call_type_opt_in(args: argparse.Namespace, ctx: AppContext) -> None:
    """Show the call-type change; apply it with --yes (a dry run otherwise)."""
    from streamdesk.core import call_type_settings as cts

    channel = ops.require_account(ctx)
    join_ahead = ops.validate_join_ahead(args.join_ahead)
    with ops.client(ctx) as gs:
        plan = cts.plan(gs, channel.call_type, join_ahead=join_ahead)
        if not plan.changes:
            print(f"Call type {channel.call_type}: nothing to change (hosts may join backstage).")
            return
        _print_changes(plan.name, plan.changes)
        if not args.yes:
            print("Dry run: the call type was not changed. Add --yes to apply this change.")
            return
        cts.apply(ctx, gs, plan)
    print("Applied. Undo with: streamdesk provision --undo-call-type-settings --yes")


def _undo_call_type(args: argparse.Namespace, ctx: AppContext) -> int:
    from streamdesk.core import call_type_settings as cts

    ops.require_account(ctx)
    with ops.client(ctx) as gs:
        plan = cts.plan_undo(gs, ctx)
        if not plan.changes:
            if args.yes:
                cts.undo(ctx, gs, plan)
            print(f"Call type {plan.name}: already as it was before streamdesk changed it.")
            return EXIT_OK
        _print_changes(plan.name, plan.changes)
        if not args.yes:
            print("Dry run: the call type was not changed. Add --yes to undo.")
            return EXIT_OK
        cts.undo(ctx, gs, plan)
    print("Undone: the call type is back as it was (grants added since by others are kept).")
    return EXIT_OK


def _expiry(expires_at: float | None) -> str:
    if expires_at is None:
        return "never expires"
    when = datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    left = expires_at - time.time()
    if key_expired(expires_at):
        return f"EXPIRED at {when}: rotate it with streamdesk key --rotate"
    return f"expires {when}, in {_duration(left)}"


def _duration(seconds: float) -> str:
    hours, rem = divmod(int(seconds), 3600)
    return f"{hours} h {rem // 60} min" if hours else f"{rem // 60} min"


def key(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.key_ttl is not None and not args.rotate:
        raise UsageError("--key-ttl only applies with --rotate.")
    if args.rotate:
        result = ops.rotate_key(ctx, key_ttl_hours=args.key_ttl)
        print(f"Minted a new stream key for {result.call_cid} ({_expiry(result.key_expires_at)}).")
        print("The previous key keeps working until it expires.")
        _push_key_to_obs(ctx)
    secret = ops.stream_key(ctx)
    channel = ctx.store.channel()
    if args.reveal:
        print(secret)
    elif not args.rotate or args.copy:
        print(f"Server: {channel.rtmps_url}")
        print(f"Key:    {mask_key(secret)} ({_expiry(channel.key_expires_at)})")
    if args.copy:
        _copy_to_clipboard(secret)
    elif not args.reveal and not args.rotate:
        print("Reveal it with --reveal or copy it with --copy.")
    return EXIT_OK


def _push_key_to_obs(ctx: AppContext) -> None:
    """Give OBS the new key if streamdesk configured it before. OBS refuses to change the key of a
    running stream (which would cut the show), so while streaming it keeps the old one."""
    from streamdesk.core import obs_ops

    if not ctx.store.get_setting(obs_ops.SETTING_CONFIGURED):
        print("Give OBS the new key with: streamdesk obs configure")
        return
    try:
        obs_ops.configure(ctx, output_settings=False)
    except StreamdeskError as e:
        print(f"OBS still has the previous key ({e.one_line()}); "
              "update it later with: streamdesk obs configure")
    else:
        print("OBS now has the new key.")


def _copy_to_clipboard(secret: str) -> None:
    """Put the key on the system clipboard through Qt (imported only here).

    On X11 the clipboard lives in the owning process, so we keep it for ``CLIPBOARD_SECONDS`` (or
    until something else is copied) and then clear it, like ``pass -c``; a stream key should not
    sit on the clipboard for the rest of the session anyway."""
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal"):
        raise StreamdeskError("Cannot copy: there is no display (QT_QPA_PLATFORM is "
                              f"{os.environ['QT_QPA_PLATFORM']}).", hint="Use --reveal instead.")
    has_display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if sys.platform.startswith("linux") and not has_display:
        raise StreamdeskError("Cannot copy: there is no display to own a clipboard.",
                              hint="Use --reveal instead.")
    try:
        from PySide6.QtCore import QTimer
        from PySide6.QtGui import QClipboard, QGuiApplication
    except ImportError as e:
        raise StreamdeskError(f"Cannot copy: Qt is not available ({e}).",
                              hint="Use --reveal instead.") from None
    app = QGuiApplication.instance() or QGuiApplication(["streamdesk"])
    clipboard = QGuiApplication.clipboard()
    clipboard.setText(secret, QClipboard.Mode.Clipboard)
    if not sys.platform.startswith("linux"):
        print("Copied the stream key to the clipboard.")
        return
    seconds = float(os.environ.get("STREAMDESK_CLIPBOARD_SECONDS", CLIPBOARD_SECONDS))
    print(f"Copied the stream key to the clipboard; it is cleared in {seconds:.0f} s "
          "(paste it now; Ctrl+C clears it sooner).", flush=True)
    clipboard.dataChanged.connect(app.quit)  # someone copied something else: nothing left to clear
    QTimer.singleShot(int(seconds * 1000), app.quit)
    try:
        app.exec()
    except KeyboardInterrupt:
        pass
    finally:
        if clipboard.text(QClipboard.Mode.Clipboard) == secret:
            clipboard.clear(QClipboard.Mode.Clipboard)


# -- live -------------------------------------------------------------------------------------------
def golive(args: argparse.Namespace, ctx: AppContext) -> int:
    if args.timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds.")
    options = GoLiveOptions(hls=args.hls, recording=args.record, captions=args.captions,
                                transcription=args.transcribe, recording_storage=args.recording_storage,
                                transcription_storage=args.transcription_storage)
    result = ops.go_live(ctx, options, timeout=args.timeout, check_ingest=not args.skip_ingest_check)
    started = datetime.fromtimestamp(result.session.started_at, UTC).strftime("%H:%M:%S UTC")
    print(f"LIVE: {result.call.cid} went live at {started} (session {result.session.id}).")
    if result.call.hls_playlist_url:
        print(f"HLS: {result.call.hls_playlist_url}")
    _print_notices(result.notices)
    print("Follow it with: streamdesk watch    End it with: streamdesk end")
    return EXIT_OK


def stop(args: argparse.Namespace, ctx: AppContext) -> int:
    options = StopOptions(continue_hls=args.continue_hls, continue_recording=args.continue_recording,
                              continue_captions=args.continue_captions,
                              continue_transcription=args.continue_transcription)
    notices: list[str] = []
    session = ops.stop_live(ctx, options, notices=notices)
    print(f"Stopped: {ctx.store.channel().call_cid} is back in backstage.")
    _print_session(session)
    _print_notices(notices)
    return EXIT_OK


def end(args: argparse.Namespace, ctx: AppContext) -> int:
    notices: list[str] = []
    if args.force:
        session = ops.force_end(ctx, mark_ended=args.mark_ended, notices=notices)
    else:
        session = ops.end(ctx, mark_ended=args.mark_ended, notices=notices)
    cid = ctx.store.channel().call_cid
    print(f"Ended: {cid} was ended for everyone." if args.mark_ended
          else f"Ended: {cid} is back in backstage.")
    _print_session(session)
    _print_notices(notices)
    return EXIT_OK


def _print_session(session: Session | None) -> None:
    if session is None:
        print("No session was open on this computer.")
        return
    print(f"Session {session.id}: {session.total_minutes} min, peak {session.peak_viewers} viewers, "
          f"{session.total_chat} chat messages.")


def _print_notices(notices: Any) -> None:
    for notice in notices:
        print(f"Note: {notice}")


# -- status -----------------------------------------------------------------------------------------
def status(args: argparse.Namespace, ctx: AppContext) -> int:
    channel = ctx.store.channel()
    session = ctx.store.open_session(channel.call_cid) if channel.call_id else None
    remote: dict[str, Any] | None = None
    remote_error: str | None = None
    remote_label = ""
    call = None
    if channel.has_account and not args.offline:
        try:
            # Quick and single-shot: status answers within its budget whatever GetStream does.
            call = ops.fetch_call(ctx, timeout=min(5.0, ops.command_budget() / 2), max_retries=0)
        except InvalidInput:  # a refused STREAMDESK_API_BASE is a usage error (exit 2)
            raise
        except NetworkError as e:
            remote_error, remote_label = e.one_line(), "GetStream unreachable"
        except StreamdeskError as e:
            remote_error, remote_label = e.one_line(), "GetStream check failed"
        else:
            remote = _call_info(call)

    if not channel.has_account:
        state, next_step = "needs_account", (
            "Set up your account: STREAMDESK_API_SECRET=… streamdesk setup --api-key KEY --user-id USER"
        )
    elif not channel.is_provisioned or (remote is not None and call is None):
        state, next_step = "needs_provision", "Provision the livestream: streamdesk provision"
    elif call is not None and call.ended_at is not None:
        state = "ended"
        next_step = "The call was ended for everyone: streamdesk setup --call-id NEW_ID, then provision"
    elif call is not None and call.is_live:
        state = "live"
        next_step = "You are live. End with: streamdesk end (or streamdesk end --force)"
        if session is None:
            next_step = ("GetStream shows you live but no session is recorded here; "
                         "streamdesk golive resumes it, streamdesk end ends it")
    elif call is None and session is not None:  # offline: trust the local row
        state, next_step = "live", "You are live. End with: streamdesk end (or streamdesk end --force)"
    else:
        state, next_step = "provisioned", "Configure OBS (streamdesk obs configure), then: streamdesk golive"
        if session is not None:
            next_step = ("GetStream shows the call in backstage but a session is still open here; "
                         "close it with: streamdesk end --force")
    info = {
        "state": state,
        "next": next_step,
        "api_key": channel.api_key or None,
        "user_id": channel.user_id or None,
        "call_cid": channel.call_cid or None,
        "chat_cid": channel.chat_cid or None,
        "rtmps_url": channel.rtmps_url or None,
        "key_expires_at": channel.key_expires_at,
        "session_id": session.id if session else None,
        # does GetStream receive the stream (the broadcaster is in the call)? null: not known
        "ingest": (call.has_participant(channel.user_id) if call is not None and remote_error is None
                   else None),
        "remote": remote,
        "remote_error": remote_error,
    }
    if args.json:
        print_json(info)
        return EXIT_OK
    print(f"State: {state.replace('_', ' ')}")
    for field, label in (("api_key", "API key"), ("user_id", "User"), ("call_cid", "Call"),
                         ("rtmps_url", "RTMPS server")):
        if info[field]:
            print(f"{label}: {info[field]}")
    if channel.is_provisioned:
        print(f"Stream key: {_expiry(channel.key_expires_at)}")
    if remote_error:
        print(f"{remote_label}: {remote_error}")
    elif remote and call is not None:
        where = "live" if call.is_live else ("ended" if call.ended_at else "backstage")
        print(f"GetStream: {where}, {call.viewers()} viewers (in the call, not counting you; "
              "HLS viewers are not counted)")
        print("GetStream receives your stream." if call.has_participant(channel.user_id)
              else "GetStream does not receive your stream (you are not in the call).")
    print(f"Next: {next_step}")
    return EXIT_OK


def _call_info(call: Any) -> dict[str, Any] | None:
    if call is None:
        return None

    def ts(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "cid": call.cid,
        "backstage": call.backstage,
        "live": call.is_live,
        "live_started_at": ts(call.live_started_at),
        "live_ended_at": ts(call.live_ended_at),
        "ended_at": ts(call.ended_at),
        "session_id": call.session_id,
        "viewers": call.viewers(),
        "participants_by_role": call.participants_by_role,
        "anonymous": call.anonymous_count,
    }
