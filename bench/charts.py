"""Chart update cost: append one sample + redraw, with 1 minute and with 12 hours of 1 Hz samples.

Both sizes are measured in the same run and compared as a ratio (goal: 12 h costs at most 2x
what 1 min costs, for a poll and for the poll that starts a minute in the whole-show view), so
the number means the same on a fast and a slow machine. Also prints the process RSS once the
12-hour series is loaded and a chat feed has been fed a 12-hour show's 50,000 messages
(goal: at most 200 MB).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/charts.py [--iterations 60]

Times are this process's CPU time (``time.process_time``), so other load on the machine does not
skew one size against the other. Each iteration is what the live page does per timer tick:
``append`` (one poll) then ``flush`` and a synchronous repaint of the three charts. Two views: the
whole session (history, or a live page zoomed out) and following the last 10 minutes (live).

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
# this checkout's streamdesk, not an installed one (a script's own directory comes first on sys.path)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

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
        # CPU time of this process, not wall time: the machine is shared, and another process's
        # burst would otherwise land in one size's median and not the other's
        start = time.process_time()
        charts.append(t, 40 + i % 5, 1, 4500.0)
        charts.flush()
        charts.repaint()
        app.processEvents()
        return (time.process_time() - start) * 1000

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
    parser.add_argument("--minutes", type=int, default=9, help="minute boundaries to time")
    parser.add_argument("--chat", type=int, default=50_000, help="chat messages fed to the feed")
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
        print(f"{'view':<22}{'1 min':>10}{'12 h':>10}{'ratio':>9}  goal <= 2x")
        for label in ("follow last 10 min", "whole session"):
            small, large = results[label, ONE_MINUTE][column], results[label, TWELVE_HOURS][column]
            ratio = large / small if small > 0 else math.inf
            verdict = ""
            if column == 0 or label == "whole session":  # the goal: polls, and the whole view's step
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

    rss_chat = feed_chat(app, host, args.chat)
    verdict = "ok" if rss_chat <= 200 else "OVER"
    print(f"process RSS after the 12 h series and {args.chat:,} chat messages through the feed: "
          f"{rss_chat:.0f} MB (goal <= 200 MB) {verdict}")
    return 0 if worst <= 2 and rss_chat <= 200 else 1


def feed_chat(app: QApplication, host: QWidget, n: int) -> float:
    """A 12-hour show's chat through the live feed, in 2-second polls' worth of batches."""
    from datetime import UTC, datetime

    from streamdesk.core.chat import ChatEntry
    from streamdesk.ui.widgets.chat_feed import ChatFeed

    feed = ChatFeed(host)
    feed.setGeometry(0, 0, 360, 600)
    feed.show()
    rng = random.Random(3)
    batch = max(1, n // (TWELVE_HOURS // 2))
    for start in range(0, n, batch):
        feed.add([ChatEntry(f"msg-{i}", "hello from the chat! " * rng.randint(1, 4), f"viewer-{i % 300}",
                            f"Viewer {i % 300}", "regular", datetime.fromtimestamp(T0 + i, UTC))
                  for i in range(start, min(start + batch, n))])
        if start % (batch * 500) == 0:
            app.processEvents()
    app.processEvents()
    assert feed.model.rowCount() <= feed.model.limit * 1.1  # trimmed in chunks of a tenth
    return rss_mb()


if __name__ == "__main__":
    sys.exit(main())
