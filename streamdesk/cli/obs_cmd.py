"""OBS commands: obs configure|start|stop|status|restore.

The OBS websocket password comes from ``--password-stdin`` or ``STREAMDESK_OBS_PASSWORD`` the first
time and is kept in the keyring (per host:port) once a connection with it succeeds."""

from __future__ import annotations

import argparse

from streamdesk.cli._common import EXIT_OK, print_json, secret_from
from streamdesk.core.context import AppContext


def register(sub: argparse._SubParsersAction) -> None:
    obs = sub.add_parser("obs", help="configure and control OBS over obs-websocket")
    osub = obs.add_subparsers(dest="obs_command", metavar="ACTION", required=True)
    p = osub.add_parser("configure", help="push the RTMPS server, key and recommended output settings")
    _connection_args(p)
    p.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    p.add_argument("--no-output-settings", action="store_true", help="only set server and key")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=configure)
    for name, text, func in (
        ("start", "start streaming in OBS and wait until it connects", start),
        ("stop", "stop streaming in OBS", stop),
        ("restore", "put back the OBS settings saved before configure", restore),
    ):
        p = osub.add_parser(name, help=text)
        _connection_args(p)
        p.set_defaults(func=func)
    p = osub.add_parser("status", help="OBS connection and stream health")
    _connection_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=status)


def _connection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="OBS host (default: the saved one, else 127.0.0.1)")
    p.add_argument("--port", type=_port, help="OBS websocket port (default: the saved one, else 4455)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the OBS websocket password from standard input (else STREAMDESK_OBS_PASSWORD, "
                   "else the keyring)")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535; OBS uses 4455)")
    return port


def _target(args: argparse.Namespace, ctx: AppContext):
    from streamdesk.core import obs_ops

    password = secret_from("STREAMDESK_OBS_PASSWORD", args.password_stdin, "OBS password")
    return obs_ops.target(ctx, args.host, args.port, password)


def configure(args: argparse.Namespace, ctx: AppContext) -> int:
    from streamdesk.core import channel_ops, obs_ops

    channel_ops.require_provisioned(ctx)  # say what is missing before asking for any password
    result = obs_ops.configure(ctx, dry_run=args.dry_run, output_settings=not args.no_output_settings,
                               t=_target(args, ctx))
    if args.json:
        print_json(result.as_dict())
        return EXIT_OK
    if result.dry_run:
        print(f"Dry run against OBS at {result.target}: nothing was changed.")
    else:
        print(f"Configured OBS at {result.target}.")
    width = max(len(c.setting) for c in result.changes)
    for c in result.changes:
        mark = "→" if c.changes else "="
        value = f"{c.old} {mark} {c.new}" if c.changes else c.old
        note = f"   ({c.note})" if c.note else ""
        print(f"  {'*' if c.changes else ' '} {c.setting:<{width}}  {value}{note}")
    if not result.dry_run:
        print("Saved the previous settings: `streamdesk obs restore` puts them back."
              if result.backup_taken else
              "The settings from before the first configure are still saved for `streamdesk obs restore`.")
    return EXIT_OK


def start(args: argparse.Namespace, ctx: AppContext) -> int:
    from streamdesk.core import obs_ops

    obs_ops.start(ctx, t=_target(args, ctx))
    print("OBS is streaming.")
    return EXIT_OK


def stop(args: argparse.Namespace, ctx: AppContext) -> int:
    from streamdesk.core import obs_ops

    obs_ops.stop(ctx, t=_target(args, ctx))
    print("OBS stopped streaming.")
    return EXIT_OK


def restore(args: argparse.Namespace, ctx: AppContext) -> int:
    from streamdesk.core import obs_ops

    obs_ops.restore(ctx, _target(args, ctx))
    print("Restored the OBS settings saved before `streamdesk obs configure`.")
    return EXIT_OK


def status(args: argparse.Namespace, ctx: AppContext) -> int:
    from streamdesk.core import obs_ops

    st = obs_ops.status(ctx, sample_s=0.0 if args.json else 2.0, t=_target(args, ctx))
    if args.json:
        print_json(st.as_dict())
        return EXIT_OK
    h = st.health
    print(f"OBS {st.info.obs_version} (obs-websocket {st.info.websocket_version}) at {st.target}")
    print(f"  server: {st.server or '(none)'}")
    print(f"  key:    {st.key}")
    if h.active:
        print(f"  streaming for {h.duration_ms // 1000} s: {h.bitrate_kbps:.0f} kbps, "
              f"network drops {h.dropped_frames}/{h.total_frames} ({h.dropped_pct:.1f} %), "
              f"congestion {h.congestion:.2f}{', RECONNECTING' if h.reconnecting else ''}")
    else:
        print("  not streaming")
    print(f"  encoder lag skipped {h.encoder_skipped} frames; render lag missed {h.render_skipped} frames")
    for note in st.notes:
        print(f"  note: {note}")
    return EXIT_OK
