"""GetStream client cost, as ratios against baselines measured in the same run.

    .venv/bin/python bench/getstream_client.py [--calls 300] [--repeats 5]

1. Start-up: ``import streamdesk.core.getstream`` vs a bare interpreter and vs the official SDK
   (``from getstream import Stream``), median of ``--repeats`` fresh processes.
2. Per request: ``GetStreamClient.get_call`` (auth header, retries wrapper, typed parsing) vs a raw
   ``httpx.Client`` sending the same GET and only ``json()``-decoding it, both against the
   GetStream simulator on loopback. Goal: under 1 ms added per request (a real GetStream round
   trip is tens of ms); on loopback the ratio is noisy on a shared machine, so read the added ms.
3. Parsing: ``parse_call`` on the reference GetCallResponse vs ``json.loads`` of the same body.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamdesk.core.getstream import GetStreamClient, parse_call  # noqa: E402
from streamdesk.sim.getstream_server import GetStreamSimulator  # noqa: E402

KEY, SECRET = "bench-key", "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"


def startup(code: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def timed(fn, n: int) -> float:
    fn()  # warm up the connection
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    bare = startup("pass", args.repeats)
    ours = startup("import streamdesk.core.getstream", args.repeats)
    print(f"start-up  bare {bare * 1000:6.0f} ms | streamdesk.core.getstream {ours * 1000:6.0f} ms "
          f"(+{(ours - bare) * 1000:.0f} ms)")
    try:
        sdk = startup("from getstream import Stream", args.repeats)
    except subprocess.CalledProcessError:
        print("          official SDK not installed: skipped")
    else:
        print(f"          official SDK {sdk * 1000:6.0f} ms (+{(sdk - bare) * 1000:.0f} ms); "
              f"import cost ratio SDK/ours = {(sdk - bare) / max(ours - bare, 1e-3):.1f}x")

    with GetStreamSimulator(api_key=KEY, api_secret=SECRET) as sim:
        client = GetStreamClient(KEY, SECRET, base_url=sim.url)
        client.create_user("host-1")
        client.get_or_create_call("livestream", "bench", created_by_id="host-1")
        raw = httpx.Client(base_url=sim.url, timeout=10,
                           headers={"stream-auth-type": "jwt", "Authorization": client._server_token})
        path = "/api/v2/video/call/livestream/bench"
        # Interleaved rounds, so drift on a shared machine hits both sides alike.
        rounds, base_t, ours_t = 5, [], []
        for _ in range(rounds):
            base_t.append(timed(lambda: raw.get(path, params={"api_key": KEY}).json(), args.calls // rounds))
            ours_t.append(timed(lambda: client.get_call("livestream", "bench"), args.calls // rounds))
        baseline, ours_req = statistics.median(base_t), statistics.median(ours_t)
        raw.close()
        client.close()
    print(f"request   raw httpx {baseline * 1e3:6.2f} ms | GetStreamClient.get_call {ours_req * 1e3:6.2f} ms "
          f"| ratio {ours_req / baseline:.2f}, added {(ours_req - baseline) * 1e3:+.2f} ms (goal < 1 ms)")

    examples = json.loads((ROOT / "tests/data/getstream-examples.json").read_text())
    body = json.dumps(examples["GetCallResponse"])
    n = args.calls * 10
    decode = timed(lambda: json.loads(body), n)
    parse = timed(lambda: parse_call(json.loads(body)["call"]), n)
    print(f"parsing   json.loads {decode * 1e6:6.1f} us | + parse_call {parse * 1e6:6.1f} us "
          f"| ratio {parse / decode:.2f}")


if __name__ == "__main__":
    main()
