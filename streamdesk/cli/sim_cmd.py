"""`streamdesk sim`: run the GetStream and OBS simulators standalone, in the foreground.

Prints where they listen and the credentials they accept, then serves until Ctrl-C (or SIGTERM).
The GetStream secret comes from STREAMDESK_API_SECRET; without it a demo pair is generated and
printed — it only unlocks this local simulator, so showing it is fine and saves a copy step.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import threading
from typing import Any

from streamdesk.cli._common import UsageError, finite_float, secret_from
from streamdesk.core.context import AppContext
from streamdesk.sim.getstream_server import GetStreamSimulator


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sim", help="run the GetStream and OBS simulators on loopback")
    p.add_argument("--port", type=int, default=0, help="GetStream simulator port (default: random)")
    p.add_argument("--obs-port", type=int, default=0, help="OBS simulator port (default: random)")
    p.add_argument("--seed", type=int, default=1, help="seed for the simulated audience")
    p.add_argument("--api-key", help="API key the simulator accepts (default: generated)")
    p.add_argument("--rtmp-address", metavar="URL",
                   help="ingress address calls report, e.g. rtmp://127.0.0.1:1935/live (default: "
                        "GetStream's rtmps:// form; {api_key}, {call_type}, {call_id} are filled in)")
    p.add_argument("--time-scale", type=finite_float, default=1.0, metavar="X",
                   help="run the simulated audience X times faster than real time (e.g. 60 for demos)")
    p.add_argument("--no-obs", action="store_true", help="do not start the OBS simulator")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    for name in ("port", "obs_port"):
        if not 0 <= getattr(args, name) <= 65535:
            raise UsageError(f"--{name.replace('_', '-')} must be a port number between 0 and 65535")
    if not 0 < args.time_scale <= 3600:
        raise UsageError("--time-scale must be a number above 0 and at most 3600")
    api_key = args.api_key or f"demo-{secrets.token_hex(4)}"
    secret = secret_from("STREAMDESK_API_SECRET", False, "API secret")
    try:
        gs = GetStreamSimulator(api_key, secret, port=args.port, seed=args.seed,
                                rtmp_address=args.rtmp_address, time_scale=args.time_scale)
    except ValueError as e:
        raise UsageError(str(e)) from None
    try:
        gs.start()
    except OSError as e:
        raise UsageError(f"the GetStream simulator cannot listen on port {args.port} ({e.strerror}); "
                         "pick another --port or 0 for a random one") from None
    obs = None
    try:
        print(f"GetStream simulator  {gs.url}", flush=True)
        print(f"  api key            {api_key}")
        if gs.generated_secret:
            print(f"  api secret         {gs.api_secret}   (demo secret for this run; "
                  "set STREAMDESK_API_SECRET to choose one)")
        else:
            print("  api secret         from STREAMDESK_API_SECRET")
        print(f"  seed               {args.seed}")
        secret_env = f"STREAMDESK_API_SECRET={gs.api_secret} " if gs.generated_secret else ""
        print(f"  try it             {secret_env}streamdesk setup --api-key {api_key} --user-id host-1 "
              f"--api-base {gs.url}")
        print("                     then: streamdesk provision, streamdesk golive, streamdesk watch")
        if not args.no_obs:
            obs = _start_obs(args.obs_port)
            if obs is not None:
                # the OBS simulator's stream joins the call only with the provisioned server and key
                from streamdesk.sim.ingest_link import link

                link(obs, gs)
                print("  ingest             OBS simulator -> this GetStream simulator (when server and "
                      "key match)")
        print("Press Ctrl-C to stop.", flush=True)
        _serve_until_stopped()
    finally:
        if obs is not None:
            obs.stop()
        gs.stop()
    print("simulators stopped", flush=True)
    return 0


def _start_obs(port: int) -> Any:
    from streamdesk.sim.obs_server import ObsSimulator

    password = os.environ.get("STREAMDESK_OBS_PASSWORD") or secrets.token_urlsafe(12)
    obs = ObsSimulator(password, port=port)
    try:
        obs.start()
    except OSError as e:
        print(f"OBS simulator        not started: port {port} unavailable ({e.strerror})", flush=True)
        return None
    print(f"OBS simulator        {obs.url}")
    if os.environ.get("STREAMDESK_OBS_PASSWORD"):
        print("  password           from STREAMDESK_OBS_PASSWORD", flush=True)
    else:
        print(f"  password           {password}   (demo password for this run)", flush=True)
    return obs


def _serve_until_stopped() -> None:
    """Block until Ctrl-C or SIGTERM (how tests and service managers stop it); on Windows, where no
    other process can deliver SIGTERM, also Ctrl-Break (SIGBREAK, which a process group can be sent)."""
    stop = threading.Event()
    signals = [signal.SIGTERM, *filter(None, [getattr(signal, "SIGBREAK", None)])]
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in signals}
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
