"""One-click configure latency against REAL OBS 29, as a ratio to a raw obsws-python round trip.

    .venv/bin/python bench/obs_configure.py [--iterations 20]

Starts its own headless OBS (Xvfb, throwaway config dir; the same recipe as the test fixture) and
measures, interleaved in the same run:

- baseline: one ``SetStreamServiceSettings`` on an already connected obsws-python ``ReqClient``;
- single request: the same request through ``ObsController.request`` (our request layer's overhead);
- one-click: what the Connect-OBS button does — connect (request + event sockets, Identify,
  GetVersion), read the plan, configure (backup reads + service + 4 profile parameters), close.

Medians are printed with their ratio to the baseline, so the figure means the same on a fast and a
slow machine. Needs obs and Xvfb installed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import obsws_python as obsws

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streamdesk.core.obs import ObsController, ObsTarget
from tests.plugins.obs import missing_tools, start_obs

SERVER = "rtmp://127.0.0.1:1935/live"


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    args = parser.parse_args()
    reason = missing_tools()
    if reason:
        print(f"skipped: {reason}")
        return 0
    root = Path(tempfile.mkdtemp(prefix="streamdesk-bench-obs-"))
    proc = start_obs(root)
    try:
        target = ObsTarget(proc.host, proc.port, proc.password)
        raw = obsws.ReqClient(host=target.host, port=target.port, password=target.password, timeout=5)
        ours = ObsController(target, events=False)
        ours.connect()
        settings = {"server": SERVER, "key": "bench-key", "use_auth": False}
        samples: dict[str, list[float]] = {"raw": [], "request": [], "one_click": []}

        def one_click(i: int) -> None:
            with ObsController(target) as obs:
                obs.plan_configure(SERVER, f"bench-key-{i}")
                obs.configure(SERVER, f"bench-key-{i}")

        for i in range(2):  # warm-up: first calls pay imports and OBS-side lazy work
            raw.send("SetStreamServiceSettings", {"streamServiceType": "rtmp_custom",
                                                  "streamServiceSettings": settings})
            one_click(i)
        for i in range(args.iterations):
            samples["raw"].append(timed(lambda: raw.send(
                "SetStreamServiceSettings",
                {"streamServiceType": "rtmp_custom", "streamServiceSettings": settings})))
            samples["request"].append(timed(lambda: ours.request(
                "SetStreamServiceSettings",
                {"streamServiceType": "rtmp_custom", "streamServiceSettings": settings})))
            samples["one_click"].append(timed(lambda i=i: one_click(i)))
        raw.disconnect()
        ours.close()
    finally:
        proc.stop()
        shutil.rmtree(root, ignore_errors=True)

    base = statistics.median(samples["raw"])
    print(f"OBS 29 on 127.0.0.1, {args.iterations} interleaved iterations, medians:")
    for name, label in (("raw", "raw obsws-python SetStreamServiceSettings"),
                        ("request", "ObsController.request(SetStreamServiceSettings)"),
                        ("one_click", "one-click configure (connect+plan+configure+close)")):
        med = statistics.median(samples[name])
        print(f"  {label:<52} {med * 1000:8.2f} ms   ratio {med / base:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
