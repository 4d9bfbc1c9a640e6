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
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from streamdesk.core.flow import State
from streamdesk.ui.controller import Controller
from streamdesk.ui.demo import Demo, prefill
from streamdesk.ui.main_window import MainWindow

INTERVAL_MS = 10


def spin(cond: Callable[[], object], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit("responsiveness: the flow timed out")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def gaps_ms(ticks: list[float]) -> list[float]:
    return [(b - a) * 1000 for a, b in itertools.pairwise(ticks)]


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 2 else max(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=2.0, help="seconds added to every GetStream request")
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])  # noqa: F841 - must outlive the widgets
    demo = Demo.start()
    controller = Controller(demo.ctx, live_interval_ms=3_600_000, health_interval_ms=2000)
    window = MainWindow(controller, simulator_url=demo.api_url, demo=True)
    window.confirm = lambda _t, _x: True
    window.show()
    controller.start()
    prefill(window, demo)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(INTERVAL_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))

    def idle() -> None:
        spin(lambda: not controller.busy)

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
        started = time.perf_counter()
        window.cards["account"].save.click()
        spin(lambda: controller.state is State.NEEDS_PROVISION)
        idle()
        window.cards["provision"].provision_button.click()
        spin(lambda: controller.state is State.PROVISIONED)
        idle()
        window.cards["obs"].connect_button.click()
        spin(lambda: controller.obs_info is not None)
        idle()
        window.cards["obs"].apply.click()
        spin(lambda: controller.state is State.OBS_CONFIGURED)
        idle()
        window.cards["obs"].start.click()
        spin(lambda: controller.state is State.READY)
        idle()
        spin(window.cards["golive"].go.isEnabled)  # offered once GetStream receives the stream
        window.cards["golive"].go.click()
        spin(lambda: controller.state is State.LIVE and controller.session is not None)
        for _ in range(2):
            idle()
            spin(lambda: not controller._polling)
            controller.poll_live_now()
            spin(lambda: not controller._polling)
        idle()
        window.cards["live"].end_button.click()
        spin(lambda: window.cards["live"].summary_shown)
        idle()
        flow_s = time.perf_counter() - started
        timer.stop()
        flow_gaps = gaps_ms(ticks)
    finally:
        window.close()
        demo.stop()

    requests = len(demo.gs.requests())
    print(f"timer interval {INTERVAL_MS} ms; GetStream latency {args.latency:g} s on each of {requests} "
          f"requests; flow took {flow_s:.1f} s")
    for name, g in (("idle GUI (baseline)", idle_gaps), ("wizard, slow GetStream", flow_gaps)):
        print(f"{name:24s} worst {max(g):6.1f} ms = {max(g) / INTERVAL_MS:5.1f}x interval   "
              f"p99 {p99(g):6.1f} ms = {p99(g) / INTERVAL_MS:4.1f}x interval   ({len(g)} gaps)")
    blocking_ms = args.latency * 1000
    print(f"worst gap, wizard vs idle: {max(flow_gaps) / max(idle_gaps):.2f}x; "
          f"vs one blocking request ({blocking_ms:.0f} ms): {max(flow_gaps) / blocking_ms:.3f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
