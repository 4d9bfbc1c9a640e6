"""GUI responsiveness while the wizard runs against a slow GetStream.

    .venv/bin/python bench/responsiveness.py [--latency 2.0]

Runs the demo (both simulators in-process, in-memory keyring, a throw-away home) offscreen, adds
``--latency`` seconds to every GetStream request, and clicks through account → provision →
configure OBS → start streaming → go live → two live polls → end, while a 10 ms QTimer in the GUI
thread records when it fires. Prints the worst and 99th-percentile gap as ratios to the timer
interval, next to the same numbers for an idle GUI measured in the same run (the baseline).
A blocking request would show as a gap of about ``latency`` (200x the interval at 2 s).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from streamdesk.ui.demo import Demo
from streamdesk.ui.demo_walk import Walk, close_window, open_window, waiter

INTERVAL_MS = 10


wait = waiter(default_timeout=120.0, slice_ms=5)


def spin(cond: Callable[[], object]) -> None:
    wait(cond, "the flow")


def gaps_ms(ticks: list[float]) -> list[float]:
    return [(b - a) * 1000 for a, b in itertools.pairwise(ticks)]


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 2 else max(values)


class GapTracer:
    """A watcher thread that samples the GUI thread's Python stack while the timer is late.

    ``tick()`` runs on the GUI thread at each timer tick; the watcher wakes every ``every_s`` and,
    when the last tick is older than ``late_ms``, records the GUI thread's stack
    (``sys._current_frames``), keyed by the gap it falls in. ``report()`` prints the stacks seen
    during the worst gaps: where the GUI thread was while it did not tick."""

    def __init__(self, late_ms: float, every_s: float = 0.003) -> None:
        self.late_s, self.every_s = late_ms / 1000, every_s
        self.gui = threading.get_ident()
        self.last = time.perf_counter()
        self.samples: dict[float, list[tuple[str, ...]]] = {}  # gap start -> stacks
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="gap-tracer", daemon=True)

    def start(self) -> None:
        self.last = time.perf_counter()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def tick(self) -> None:
        self.last = time.perf_counter()

    def _watch(self) -> None:
        while not self._stop.wait(self.every_s):
            last = self.last
            if time.perf_counter() - last < self.late_s:
                continue
            frame = sys._current_frames().get(self.gui)
            if frame is None:
                continue
            try:
                stack = tuple(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                              for f in traceback.extract_stack(frame)[-14:])
            except (AttributeError, ValueError):  # the GUI thread moved on while it was walked
                continue
            self.samples.setdefault(last, []).append(stack)

    def report(self, ticks: list[float], worst: int = 5) -> None:
        gaps = sorted(((b - a, a) for a, b in itertools.pairwise(ticks)), reverse=True)[:worst]
        for length, start in gaps:
            stacks = self.samples.get(start, [])
            print(f"gap {length * 1000:.1f} ms: {len(stacks)} stack samples")
            seen: dict[tuple[str, ...], int] = {}
            for st in stacks:
                seen[st] = seen.get(st, 0) + 1
            for st, n in sorted(seen.items(), key=lambda kv: -kv[1])[:3]:
                print(f"  x{n}:")
                for line in st:
                    print(f"      {line}")


# work that must never run on the GUI thread (issue 17 item 4): GetStream requests, the store's
# database, the keyring. Libraries by path; our own classes by the type of ``self`` (the typed
# results parsed from GetStream and the store's rows are plain values, free to read anywhere).
FORBIDDEN = ("/httpx/", "/httpcore/", "/keyring/", "/sqlite3/", "/jwt/", "/secretstorage/", "/jeepney/")
FORBIDDEN_CLASSES = {"GetStreamClient", "Store", "SecretStore"}


class GuiThreadAudit:
    """``sys.setprofile`` on the GUI thread only: records each forbidden function the GUI thread
    calls (by file and name, with the first stack seen), and each ``sqlite3`` C call."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[int, list[str]]] = {}
        self._verdict: dict[object, str | None] = {}

    def _hit(self, key: str, frame: object) -> None:
        # one entry per forbidden function and the first caller outside the forbidden classes
        caller = frame.f_back  # type: ignore[attr-defined]
        while caller is not None and self._verdict.get(caller.f_code):
            caller = caller.f_back
        if caller is not None:
            key += f" <- {Path(caller.f_code.co_filename).name}:{caller.f_code.co_name}"
        n, stack = self.found.get(key, (0, []))
        if not stack:
            stack = [f"{Path(f.filename).name}:{f.lineno} {f.name}"
                     for f in traceback.extract_stack(frame)[-12:]]  # type: ignore[arg-type]
        self.found[key] = (n + 1, stack)

    def __call__(self, frame: object, event: str, arg: object) -> None:
        if event == "call":
            code = frame.f_code  # type: ignore[attr-defined]
            verdict = self._verdict.get(code, "")
            if verdict == "":
                name = code.co_filename.replace("\\", "/")
                verdict = next((f"{name.rsplit('/', 2)[-2]}/{Path(name).name}:{code.co_name}"
                                for part in FORBIDDEN if part in name), None)
                # our classes: decided per call (a code object of a method always has the same class)
                if verdict is None and code.co_varnames[:1] == ("self",) and "/streamdesk/" in name:
                    owner = type(frame.f_locals.get("self")).__name__  # type: ignore[attr-defined]
                    verdict = f"{owner}.{code.co_name}" if owner in FORBIDDEN_CLASSES else None
                self._verdict[code] = verdict
            if verdict:
                self._hit(verdict, frame)
        elif event == "c_call" and getattr(arg, "__module__", None) in ("sqlite3", "_sqlite3"):
            self._hit(f"sqlite3.{getattr(arg, '__qualname__', arg)}", frame)

    def report(self) -> None:
        if not self.found:
            print("GUI thread audit: no GetStream, store or keyring work on the GUI thread")
            return
        print(f"GUI thread audit: {len(self.found)} forbidden function(s) ran on the GUI thread")
        for key, (n, stack) in sorted(self.found.items(), key=lambda kv: -kv[1][0]):
            print(f"  {key}  x{n}, first from:")
            for line in stack:
                print(f"      {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=2.0, help="seconds added to every GetStream request")
    parser.add_argument("--trace", action="store_true",
                        help="sample the GUI thread's stack in gaps over 3x the interval; print the worst")
    parser.add_argument("--audit", action="store_true",
                        help="profile the GUI thread for GetStream, store or keyring work (slows it: "
                             "the gaps are then not the figure)")
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])  # noqa: F841 - must outlive the widgets
    demo = Demo.start()
    window = open_window(demo, live_interval_ms=3_600_000, health_interval_ms=2000)
    controller = window.controller
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(INTERVAL_MS)
    tracer = GapTracer(late_ms=3 * INTERVAL_MS) if args.trace else None

    def tick() -> None:
        now = time.perf_counter()
        ticks.append(now)
        if tracer is not None:
            tracer.last = now

    timer.timeout.connect(tick)

    walk = Walk(window, wait)
    try:
        # the window's warm-up imports (pyqtgraph, the clients) run right after it is shown; let
        # them finish first so this measures the flow, not a one-off start-up cost
        spin(lambda: controller.tasks.pending == 0)
        timer.start()
        end = time.monotonic() + 3.0
        spin(lambda: time.monotonic() > end)
        idle_gaps = gaps_ms(ticks)
        ticks.clear()

        demo.gs.faults.latency("*", args.latency, times=None)
        if tracer is not None:
            tracer.start()
        audit = GuiThreadAudit() if args.audit else None
        if audit is not None:
            sys.setprofile(audit)
        started = time.perf_counter()
        walk.to_ready()
        walk.go_live()
        for _ in range(2):
            walk.idle()
            spin(lambda: not controller._polling)
            controller.poll_live_now()
            spin(lambda: not controller._polling)
        walk.idle()
        window.cards["live"].end_button.click()
        spin(lambda: window.cards["live"].summary_shown)
        walk.idle()
        flow_s = time.perf_counter() - started
        timer.stop()
        flow_gaps = gaps_ms(ticks)
        sys.setprofile(None)
        if tracer is not None:
            tracer.stop()
    finally:
        close_window(window, demo)

    requests = len(demo.gs.requests())
    print(f"timer interval {INTERVAL_MS} ms; GetStream latency {args.latency:g} s on each of {requests} "
          f"requests; flow took {flow_s:.1f} s")
    for name, g in (("idle GUI (baseline)", idle_gaps), ("wizard, slow GetStream", flow_gaps)):
        print(f"{name:24s} worst {max(g):6.1f} ms = {max(g) / INTERVAL_MS:5.1f}x interval   "
              f"p99 {p99(g):6.1f} ms = {p99(g) / INTERVAL_MS:4.1f}x interval   ({len(g)} gaps)")
    blocking_ms = args.latency * 1000
    print(f"worst gap, wizard vs idle: {max(flow_gaps) / max(idle_gaps):.2f}x; "
          f"vs one blocking request ({blocking_ms:.0f} ms): {max(flow_gaps) / blocking_ms:.3f}x")
    if tracer is not None:
        tracer.report(ticks)
    if audit is not None:
        audit.report()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
