"""Frozen vs unfrozen start-up: the bundle's ``--self-test`` and ``--version`` next to the same commands
run from the virtualenv, measured in the same run (ratios, not absolute numbers, are the result).

    scripts/build_bundle.sh && .venv/bin/python -m bench.bundle_startup [--runs 5]

``--self-test`` runs offscreen inside a private, unlocked gnome-keyring Secret Service (the tests'
recipe), so both include finding the real keyring backend. Prints the median wall time of each and the
"window painted" time the self-test reports.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FROZEN = REPO / "dist" / "streamdesk" / "streamdesk"
PAINTED = re.compile(r"window painted \((\d+) ms")


def measure(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float | None]:
    walls, painted = [], []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120,
                              cwd=tempfile.gettempdir())
        walls.append((time.perf_counter() - started) * 1000)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
        if m := PAINTED.search(proc.stdout):
            painted.append(float(m.group(1)))
    return statistics.median(walls), (statistics.median(painted) if painted else None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not FROZEN.exists():
        raise SystemExit("bench: no bundle; run scripts/build_bundle.sh first")
    sys.path.insert(0, str(REPO))
    from tests.plugins.keyrings import _secret_service  # the tests' private Secret Service recipe

    with tempfile.TemporaryDirectory() as tmp, _secret_service(Path(tmp) / "ss", locked=False) as ss:
        env = {**os.environ, **ss, "QT_QPA_PLATFORM": "offscreen", "STREAMDESK_HOME": str(Path(tmp) / "home")}
        env.pop("PYTHON_KEYRING_BACKEND", None)  # both find the backend themselves
        unfrozen = [sys.executable, "-m", "streamdesk"]
        rows = []
        for what in ("--version", "--self-test"):
            f_wall, f_paint = measure([str(FROZEN), what], env, args.runs)
            u_wall, u_paint = measure([*unfrozen, what], {**env, "PYTHONPATH": str(REPO)}, args.runs)
            rows.append((what, f_wall, u_wall, f_paint, u_paint))
    print(f"median of {args.runs} runs, offscreen, real Secret Service")
    print(f"{'command':<12} {'frozen ms':>10} {'venv ms':>10} {'frozen/venv':>12}"
          "   first paint frozen / venv")
    for what, f_wall, u_wall, f_paint, u_paint in rows:
        paint = f"{f_paint:.0f} / {u_paint:.0f} ms" if f_paint and u_paint else "-"
        print(f"{what:<12} {f_wall:>10.0f} {u_wall:>10.0f} {f_wall / u_wall:>12.2f}   {paint}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
