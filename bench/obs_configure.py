"""One-click OBS configure against REAL OBS 29, as a ratio to the same requests sent raw one by one.

    .venv/bin/python bench/obs_configure.py [--iterations 30]

Starts its own headless OBS (Xvfb, throwaway config dir; the same recipe as the test fixture) and
measures, interleaved in the same run, medians of:

- raw request: one ``GetStreamStatus`` on an already connected obsws-python ``ReqClient``, and one
  ``SetStreamServiceSettings`` (a write: OBS saves ``service.json``, which is most of a configure's cost);
- raw sequence (the baseline): every request the one-click sends (recorded from its batches),
  sent one by one through that same open ``ReqClient``;
- one-click: what the Configure button does on the GUI's open connection — ``ObsController.configure``
  (one RequestBatch of reads, one halting RequestBatch of writes), each time on the seeded profile
  (put back untimed before each run) so that it changes everything, as a first configure does;
- rotated: configure again with a new stream key (only the service differs, so only it is written);
- writes: only the one-click's writes, raw one by one: what OBS itself spends saving its files, a
  floor no client can go under;
- plan: the review's diff (the read batch alone), which shows where the one-click's time goes;
- CLI configure: ``streamdesk obs configure`` without the GetStream part — connect (one socket,
  Identify, GetVersion), configure, close.

Keys alternate between two values per row: a new key every iteration would grow the log-redaction
pattern (every secret is registered with it) without bound, which no real session does.

The goal (issue 17 item 2): one-click ≤ 1.5× the raw sequence and ≤ 10 ms. Ratios are against
baselines measured in the same run, so they mean the same on a fast and a slow machine.
Needs obs and Xvfb installed.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import obsws_python as obsws

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streamdesk.core.obs import ObsController, ObsTarget
from streamdesk.core.obs_socket import ObsSocket
from tests.plugins.obs import _RESET_PARAMETERS, missing_tools, start_obs

SERVER = "rtmp://127.0.0.1:1935/live"
GOAL_RATIO = 1.5
GOAL_MS = 10.0


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def record_batches(fn: Callable[[], Any]) -> list[tuple[str, dict | None]]:
    """Run ``fn`` and return every request it sent in RequestBatches, in order."""
    sent: list[tuple[str, dict | None]] = []
    original = ObsSocket.send_batch

    def spy(self: ObsSocket, requests: list[tuple[str, dict | None]], **kw: Any) -> str:
        sent.extend(requests)
        return original(self, requests, **kw)

    ObsSocket.send_batch = spy  # type: ignore[method-assign]
    try:
        fn()
    finally:
        ObsSocket.send_batch = original  # type: ignore[method-assign]
    return sent


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30)
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
        gui = ObsController(target, events=True)  # the GUI's OBS worker keeps one like this open
        gui.connect()

        def reset() -> None:
            """Back to the seeded profile and another service (untimed): every one-click is a first one."""
            for category, name, value in _RESET_PARAMETERS:
                with contextlib.suppress(obsws.error.OBSSDKRequestError):  # 600: deleting an unset one
                    raw.send("SetProfileParameter", {"parameterCategory": category, "parameterName": name,
                                                     "parameterValue": value})
            initial = {"server": "rtmp://127.0.0.1/initial", "key": "initial-key"}
            raw.send("SetStreamServiceSettings",
                     {"streamServiceType": "rtmp_custom", "streamServiceSettings": initial})

        reset()
        sequence = record_batches(lambda: gui.configure(SERVER, "bench-key-warm"))
        assert len(sequence) == 15, sequence

        def raw_sequence(only_writes: bool = False) -> None:
            for request_type, data in sequence:
                if only_writes and not request_type.startswith("Set"):
                    continue
                with contextlib.suppress(obsws.error.OBSSDKRequestError):  # none expected
                    raw.send(request_type, data)

        def cli(i: int) -> None:
            with ObsController(target, events=False) as obs:
                obs.configure(SERVER, f"bench-key-cli-{i}")

        samples: dict[str, list[float]] = {"request": [], "sequence": [], "one_click": [], "plan": [],
                                           "rotated": [], "cli": [], "write": [], "writes": []}
        for i in range(3):  # warm-up: first calls pay imports and OBS-side lazy work
            raw_sequence()
            reset()
            gui.configure(SERVER, f"bench-key-{i}")
            reset()
            cli(i)
        for i in range(args.iterations):
            samples["request"].append(timed(lambda: raw.send("GetStreamStatus")))
            samples["write"].append(timed(lambda i=i: raw.send("SetStreamServiceSettings", {
                "streamServiceType": "rtmp_custom",
                "streamServiceSettings": {"server": SERVER, "key": f"bench-raw-{i % 2}"}})))
            reset()
            samples["sequence"].append(timed(raw_sequence))
            reset()
            samples["writes"].append(timed(lambda: raw_sequence(only_writes=True)))
            reset()
            samples["one_click"].append(timed(lambda i=i: gui.configure(SERVER, f"bench-key-{i % 2}")))
            samples["plan"].append(timed(lambda: gui.plan_configure(SERVER, "bench-key-0")))
            samples["rotated"].append(timed(lambda i=i: gui.configure(SERVER, f"bench-key-rotated-{i % 2}")))
            reset()
            samples["cli"].append(timed(lambda i=i: cli(i % 2)))
        raw.disconnect()
        gui.close()
    finally:
        proc.stop()
        shutil.rmtree(root, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in samples.items()}
    base = med["sequence"]
    print(f"OBS 29 on 127.0.0.1, {args.iterations} interleaved iterations, medians; "
          f"the one-click sends {len(sequence)} requests in 2 batches:")
    for name, label in (("request", "raw obsws-python: one GetStreamStatus"),
                        ("write", "raw obsws-python: one SetStreamServiceSettings (OBS saves a file)"),
                        ("sequence", f"raw obsws-python: the same {len(sequence)} requests one by one"),
                        ("writes", "raw obsws-python: only its 5 writes, one by one (OBS's floor)"),
                        ("one_click", "one-click configure (open connection, 2 batches)"),
                        ("plan", "  of which: the plan / review (the read batch alone)"),
                        ("rotated", "re-configure after a key rotation (only the service differs)"),
                        ("cli", "CLI configure (connect, 2 batches, close)")):
        print(f"  {label:<66} {med[name] * 1000:8.2f} ms   ratio {med[name] / base:5.2f}x the sequence")
    ok = med["one_click"] / base <= GOAL_RATIO and med["one_click"] * 1000 <= GOAL_MS
    verdict = "met" if ok else "NOT met"
    print(f"goal (one-click ≤ {GOAL_RATIO}× the raw sequence and ≤ {GOAL_MS:g} ms): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
