"""Chart update cost: append one sample + redraw, with 1 minute and with 12 hours of 1 Hz samples.

Both sizes are measured in the same run and compared as a ratio (goal: 12 h costs at most 2x
what 1 min costs), so the number means the same on a fast and a slow machine. Also prints the
process RSS once the 12-hour series is loaded.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/charts.py [--iterations 60]

Each iteration is what the live page does per timer tick: ``append`` (one poll) then ``flush`` and
a synchronous repaint of the three charts. Two views: the whole session (history, or a live page
zoomed out) and following the last 10 minutes (the live page's default).

A poll inside a minute redraws only the newest samples and the bar in progress; once a minute the
view steps (and a bar closes), which redraws axes and the cached curves too. That tick is printed
on its own line (median of ``--minutes`` minute boundaries) so the per-poll median hides nothing.
The charts sit in a plain host widget, as in the app: a top-level LiveCharts changes its window's
minimum size when the bitrate chart appears, which the offscreen platform reports on stderr.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget

from streamdesk.core.store import Sample

ONE_MINUTE, TWELVE_HOURS = 60, 12 * 3600
T0 = 1_767_225_600.0


def series(n: int, seed: int = 1) -> list[Sample]:
    rng = random.Random(seed)
    viewers = 40.0
    out = []
    for i in range(n):
        viewers = max(0.0, viewers + rng.gauss(0, 1.5))
        out.append(Sample(T0 + i, None if rng.random() < 0.002 else round(viewers), rng.randint(0, 2),
                          4500 + rng.gauss(0, 150)))
    return out


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(app: QApplication, n: int, iterations: int, minutes: int,
            window_s: float | None) -> tuple[float, float]:
    """Median ms of append + flush + repaint with ``n`` samples already on the charts: of a poll
    (``iterations`` in a row), and of the poll that starts a new minute (``minutes`` of them)."""
    from streamdesk.ui.widgets.charts import LiveCharts

    host = QWidget()
    host.resize(1100, 700)
    charts = LiveCharts(host, redraw_ms=1_000_000)  # the bench drives redraws itself
    charts.setGeometry(host.rect())
    host.show()
    charts.load(series(n))
    charts.set_window(window_s)
    charts.flush()
    charts.repaint()
    app.processEvents()

    def tick(t: float, i: int) -> float:
        start = time.perf_counter()
        charts.append(t, 40 + i % 5, 1, 4500.0)
        charts.flush()
        charts.repaint()
        app.processEvents()
        return (time.perf_counter() - start) * 1000

    t = T0 + n
    polls = [tick(t + i, i) for i in range(iterations + 5)][5:]  # warm-up: first paints build caches
    t += iterations + 5
    steps = []
    for i in range(minutes):
        while (t + 1) % 60:  # fill this minute up to its last second, untimed
            charts.append(t, 40 + i % 5, 1, 4500.0)
            t += 1
        tick(t, i)  # the last second: everything before the step drawn, untimed
        steps.append(tick(t + 1, i))
        t += 2
    host.close()
    host.deleteLater()
    app.processEvents()
    return statistics.median(polls), statistics.median(steps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--minutes", type=int, default=5, help="minute boundaries to time")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])

    results = {}
    for label, window in (("follow last 10 min", 600.0), ("whole session", None)):
        for n in (ONE_MINUTE, TWELVE_HOURS):
            results[label, n] = measure(app, n, args.iterations, args.minutes, window)

    worst = 0.0
    for column, title in ((0, f"a poll, median of {args.iterations}"),
                          (1, f"the poll that starts a minute (view steps), median of {args.minutes}")):
        print(f"chart update = append 1 sample + redraw (ms): {title}")
        print(f"{'view':<22}{'1 min':>10}{'12 h':>10}{'ratio':>9}" + ("  goal <= 2x" if column == 0 else ""))
        for label in ("follow last 10 min", "whole session"):
            small, large = results[label, ONE_MINUTE][column], results[label, TWELVE_HOURS][column]
            ratio = large / small if small > 0 else math.inf
            verdict = ""
            if column == 0:
                worst = max(worst, ratio)
                verdict = "  ok" if ratio <= 2 else "  OVER"
            print(f"{label:<22}{small:>10.2f}{large:>10.2f}{ratio:>8.2f}x{verdict}")
    follow, whole = results["follow last 10 min", ONE_MINUTE][0], results["whole session", ONE_MINUTE][0]
    print(f"a poll at 1 min, follow / whole session: {follow / whole:.2f}x (goal <= 1x, within noise)")

    from streamdesk.ui.widgets.charts import LiveCharts

    before = rss_mb()
    host = QWidget()
    host.resize(1100, 700)
    keep = LiveCharts(host)
    keep.setGeometry(host.rect())
    host.show()
    samples = series(TWELVE_HOURS)
    start = time.perf_counter()
    keep.load(samples)  # what opening a 12 h session in History costs (plus the database read)
    keep.repaint()
    app.processEvents()
    load_ms = (time.perf_counter() - start) * 1000
    print(f"opening a 12 h session (load {TWELVE_HOURS} samples + first paint): {load_ms:.0f} ms")
    print(f"process RSS after loading a 12 h series: {rss_mb():.0f} MB (+{rss_mb() - before:.1f} MB for it)")
    return 0 if worst <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
