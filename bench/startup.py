"""Start-up: process start → main window painted, for streamdesk and for a bare PySide6
QMainWindow measured in the same run (same machine, same moment), and their ratio.

    .venv/bin/python bench/startup.py [--runs N] [--instructions [--phases | --annotate] [--returning]]

``--instructions`` counts instead the CPU instructions each process executes up to its first
paint, under ``valgrind --tool=callgrind`` (one run each, ~15 s each): it barely moves with the
machine's load, so it is the number to compare two versions of the code with. Barely: it includes
Qt's and the session bus's helper threads, which run longer on a loaded machine (a ``--phases`` run
beside the test suite drifted by up to 13 M per phase); quiet, repeated runs agree within 1 M.

Each run is a fresh process (offscreen Qt, a fresh XDG_DATA_HOME: the app finds its data
directory through platformdirs, as it does for a streamer, not through STREAMDESK_HOME). The time
is taken by this script from spawning the process to the line the process prints once its window
painted, so interpreter start and imports count. Runs alternate between the two so machine noise
hits both. Goal: streamdesk within 1.3x of the bare window.

Both also report the CPU time their process had used when it painted (``time.process_time()``):
on a shared, loaded machine the wall-clock ratio swings with the load; the CPU ratio much less.

``--returning`` starts streamdesk over a data directory holding a database with a saved Dark theme
and window geometry (a streamer's second start), instead of a fresh one.

What runs before the first paint: interpreter start and importing PySide6 (the bare window pays
the same; argparse, inspect, logging, zipfile and tempfile come with PySide6's signature loader),
our light modules (the window's shell, the stage map, core.paths; not the store, the controller or
the task pool), the home check, a read-only read of the theme and window geometry from the
database (core/settings_peek.py; sqlite3 is imported only if a database exists), and the shell:
sidebar, badge, checklist, status strip and the page's skeleton. On the event-loop turn after the
paint: the store, the controller and its task pool (attached to the window then), every stage card,
the window icon, the log file and redaction, the keyring, the GetStream reconcile and OBS, the
warm-up imports, and PySide6 building the ``QtCore.Qt`` namespace's ~90 Python enums, which it does
the first time anything looks ``Qt`` up (tests/ui/test_startup.py checks that nothing does before
the paint); the cyclic GC is off until the first paint.

Measured (--instructions, 2026-11-22): 964 M before the second pass, 824 M after, bare 584 M
(1.65x -> 1.41x). 2026-12-03: 837 M (1.43x) -> 792 M (1.36x) with the page's skeleton painted first
and every card built after the paint. 2026-12-03, the shell painted before the controller exists:
**728 M, 1.25x** (twice); ``--returning`` **749 M, 1.28x** (was 906 M, 1.55x). Where the rest goes
(``--annotate``: by shared object; ``--phases``: by start-up phase): docs/performance.md "Start-up".
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

BARE = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow()
w.resize(1040, 720)
class F(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Type.Paint:
            print(f"painted; cpu {time.process_time() * 1000:.0f} ms", flush=True)
            QTimer.singleShot(0, app.quit)
        return False
f = F()
w.installEventFilter(f)
w.show()
app.exec()
"""


# run a command, ending the process (os._exit) the moment it prints ``marker``: with --instructions
# nothing after the first paint may count
UNTIL = r"""
import os, runpy, sys
marker, real = sys.argv[1], sys.stdout


class Until:
    def write(self, text):
        real.write(text)
        if marker in text:
            real.flush()
            os._exit(0)
        return len(text)

    def flush(self):
        real.flush()


sys.stdout = Until()
if sys.argv[2] == "-m":
    sys.argv = [sys.argv[3], *sys.argv[4:]]
    runpy.run_module(sys.argv[0], run_name="__main__")
else:
    sys.argv = ["-c"]
    exec(compile(os.environ["BENCH_CODE"], "<bare>", "exec"))
"""
CPU = re.compile(r"cpu (\d+) ms")
COLLECTED = re.compile(r"Collected : (\d+)")


def returning_user(data_home: str) -> None:
    """The data directory of a streamer who ran the app before: a database with a saved theme and
    window geometry, which the first frame reads (``--returning``)."""
    sys.path.insert(0, str(REPO))
    os.environ["XDG_DATA_HOME"] = data_home
    os.environ.pop("STREAMDESK_HOME", None)
    from streamdesk.core.paths import get_paths
    from streamdesk.core.store import Store

    store = Store.open(get_paths().database)
    store.put_setting("ui.theme", os.environ.get("BENCH_THEME", "dark"))
    store.put_setting("ui.window", {"geometry": GEOMETRY, "stage": "account"})
    store.close()


# a 1040x720 window's QWidget.saveGeometry(), hex: what a returning streamer's database holds
GEOMETRY = ("01d9d0cb00030000000000000000000000000413000002d3000000020000000200000411000002d1"
            "00000000000000000320000000020000000200000411000002d1")


def instructions(args: list[str], marker: str, code: str = "", keep: Path | None = None,
                 returning: bool = False) -> int:
    """Instructions ``python UNTIL marker args`` executes up to ``marker`` (callgrind's count);
    ``keep``: where to copy callgrind's output file (for ``--annotate``); ``returning``: in a data
    directory with a database (see ``returning_user``), else a fresh one."""
    with tempfile.TemporaryDirectory() as home:
        if returning:
            saved = dict(os.environ)
            try:
                returning_user(home)
            finally:
                os.environ.clear()
                os.environ.update(saved)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": home, "BENCH_CODE": code}
        env.pop("STREAMDESK_HOME", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        out = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={home}/cg.out",
                              sys.executable, "-c", UNTIL, marker, *args],
                             env=env, cwd=REPO, capture_output=True, text=True, timeout=900)
        if keep is not None and (Path(home) / "cg.out").exists():
            shutil.copyfile(Path(home) / "cg.out", keep)
    found = COLLECTED.search(out.stderr)
    if not found or marker not in out.stdout:
        raise SystemExit(f"no instruction count for {args}: {out.stderr[-500:]}")
    return int(found.group(1))


# streamdesk.ui.app's start-up path up to the paint (``--self-test``; ui/app.py ``_shell``), with a
# marker after each phase: ``--phases`` counts the instructions up to each marker (one callgrind run
# each) and prints the differences
PHASES_CODE = r"""
import gc, sys
gc.disable()
def mark(name):
    print(f"phase {name}", flush=True)
from PySide6.QtWidgets import QApplication
from streamdesk.ui.first_paint import FirstPaint
mark("import-pyside6")
from streamdesk.ui import app as appmod
appmod.install_crash_hooks()
app = QApplication(sys.argv[:1])
app.setApplicationName("streamdesk")
app.setOrganizationName("streamdesk")
app.setApplicationDisplayName("streamdesk")
mark("qapplication")
from streamdesk.ui import style
style.apply(app)
mark("style-sheet")
early = appmod._EarlyRecords.install()
from streamdesk.core.paths import get_paths
from streamdesk.core.settings_peek import peek_settings
from streamdesk.ui.main_window import MainWindow
from streamdesk.ui.stage_map import WINDOW_SETTING
mark("import-streamdesk")
paths = get_paths()
saved = peek_settings(paths.database, (style.THEME_SETTING, WINDOW_SETTING))
if saved.get(style.THEME_SETTING) in ("light", "dark"):
    style.apply_theme(app, saved[style.THEME_SETTING])
mark("home-and-settings")
window = MainWindow(window_state=saved.get(WINDOW_SETTING) or {}, warm_up=False)
mark("build-window")
FirstPaint(window, lambda: mark("show-and-paint"))
window.show()
app.exec()
"""
PHASES = ("import-pyside6", "qapplication", "style-sheet", "import-streamdesk", "home-and-settings",
          "build-window", "show-and-paint")
BARE_PHASES = r"""
import sys
def mark(name):
    print(f"phase {name}", flush=True)
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
mark("import-pyside6")
app = QApplication(sys.argv[:1])
mark("qapplication")
w = QMainWindow()
w.resize(1040, 720)
mark("build-window")
class F(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, lambda: mark("show-and-paint"))
        return False
f = F()
w.installEventFilter(f)
w.show()
app.exec()
"""
OBJECT = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?)\s+\[(.+)\]\s*$")


def by_object(cg_out: Path) -> dict[str, int]:
    """Self cost per shared object (libpython, libQt6Widgets, …) from ``callgrind_annotate``."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", str(cg_out)],
                         capture_output=True, text=True, check=True).stdout
    totals: dict[str, int] = {}
    for line in out.splitlines():
        found = OBJECT.match(line)
        if found:
            name = Path(found.group(3)).name
            name = re.sub(r"\.so[.\d]*$", "", name)
            totals[name] = totals.get(name, 0) + int(found.group(1).replace(",", ""))
    return totals


def phases(returning: bool = False) -> None:
    """Instructions per start-up phase, streamdesk next to the bare window."""
    def counts(code: str, names: tuple[str, ...], returning: bool = False) -> dict[str, int]:
        return {n: instructions(["-c"], f"phase {n}", code, returning=returning) for n in names}

    bare_names = ("import-pyside6", "qapplication", "build-window", "show-and-paint")
    bare = counts(BARE_PHASES, bare_names)
    app = counts(PHASES_CODE, PHASES, returning)
    print(f"{'phase':20s} {'streamdesk':>11s} {'bare':>9s}   (M instructions in the phase)")
    prev_a = prev_b = 0
    for name in PHASES:
        a = app[name] - prev_a
        prev_a = app[name]
        b_text = ""
        if name in bare:
            b_text = f"{(bare[name] - prev_b) / 1e6:9.1f}"
            prev_b = bare[name]
        print(f"{name:20s} {a / 1e6:11.1f} {b_text:>9s}")
    print(f"{'total':20s} {prev_a / 1e6:11.1f} {prev_b / 1e6:9.1f}   ratio {prev_a / prev_b:.2f}x "
          "(this driver skips the CLI's argument parsing)")


def annotate(returning: bool = False) -> None:
    """Self cost per shared object up to the first paint, streamdesk minus the bare window."""
    with tempfile.TemporaryDirectory() as tmp:
        bare_out, app_out = Path(tmp) / "bare.out", Path(tmp) / "app.out"
        bare = instructions(["-c"], "painted", BARE, keep=bare_out)
        app = instructions(["-m", "streamdesk", "--self-test"], "window painted", keep=app_out,
                           returning=returning)
        b, a = by_object(bare_out), by_object(app_out)
    print(f"{'shared object':28s} {'streamdesk':>11s} {'bare':>9s} {'extra':>9s}"
          "   (M instructions, self cost)")
    for name in sorted(set(a) | set(b), key=lambda n: -(a.get(n, 0) - b.get(n, 0))):
        extra = a.get(name, 0) - b.get(name, 0)
        if abs(extra) >= 1e6 or a.get(name, 0) >= 5e6:
            print(f"{name:28s} {a.get(name, 0) / 1e6:11.1f} {b.get(name, 0) / 1e6:9.1f} {extra / 1e6:+9.1f}")
    print(f"{'total':28s} {app / 1e6:11.1f} {bare / 1e6:9.1f} {(app - bare) / 1e6:+9.1f}   "
          f"ratio {app / bare:.2f}x")


def one(cmd: list[str], marker: str) -> tuple[float, float]:
    """Wall-clock ms from spawning ``cmd`` to its ``marker`` line, and the CPU ms it reports there."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": home}
        env.pop("STREAMDESK_HOME", None)
        # measure the steady state a user sees: the unmeasured first run writes the bytecode caches
        # (with PYTHONDONTWRITEBYTECODE set, every run would recompile each recently edited module)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                env=env, cwd=REPO)
        assert proc.stdout is not None
        for line in proc.stdout:
            if marker in line:
                elapsed = time.perf_counter() - started
                found = CPU.search(line)
                cpu = float(found.group(1)) if found else float("nan")
                break
        else:
            proc.wait()
            raise SystemExit(f"no {marker!r} line from {cmd}")
        proc.stdout.read()
        proc.wait(timeout=60)
    return elapsed * 1000, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions to the first paint under callgrind instead of timing")
    parser.add_argument("--phases", action="store_true",
                        help="with --instructions: instructions per start-up phase (one callgrind run each)")
    parser.add_argument("--annotate", action="store_true",
                        help="with --instructions: where they go, by shared object (callgrind_annotate)")
    parser.add_argument("--returning", action="store_true",
                        help="with --instructions: start over a database with a saved theme and geometry "
                        "(a streamer's second start), not a fresh data directory")
    args = parser.parse_args()
    app_cmd = [sys.executable, "-m", "streamdesk", "--self-test"]
    bare_cmd = [sys.executable, "-c", BARE]
    one(app_cmd, "painted")  # warm the file cache and write the bytecode caches, not measured
    if args.instructions:
        if shutil.which("valgrind") is None:
            raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
        if args.phases:
            phases(args.returning)
            return 0
        if args.annotate:
            annotate(args.returning)
            return 0
        bare = instructions(["-c"], "painted", BARE)
        app = instructions(["-m", "streamdesk", "--self-test"], "window painted", returning=args.returning)
        print(f"bare QMainWindow   {bare / 1e6:8.0f} M instructions to the first paint")
        print(f"streamdesk window  {app / 1e6:8.0f} M instructions to the first paint")
        print(f"ratio streamdesk / bare: {app / bare:.2f}x  (goal <= 1.30x)")
        return 0
    one(bare_cmd, "painted")
    app_ms, bare_ms, app_cpu, bare_cpu = [], [], [], []
    for _ in range(args.runs):
        wall, cpu = one(bare_cmd, "painted")
        bare_ms.append(wall)
        bare_cpu.append(cpu)
        wall, cpu = one(app_cmd, "window painted")
        app_ms.append(wall)
        app_cpu.append(cpu)
    a, b = statistics.median(app_ms), statistics.median(bare_ms)
    ac, bc = statistics.median(app_cpu), statistics.median(bare_cpu)
    print(f"bare QMainWindow   median {b:7.0f} ms  (min {min(bare_ms):.0f}, max {max(bare_ms):.0f})"
          f"  cpu {bc:.0f} ms")
    print(f"streamdesk window  median {a:7.0f} ms  (min {min(app_ms):.0f}, max {max(app_ms):.0f})"
          f"  cpu {ac:.0f} ms")
    print(f"ratio streamdesk / bare: {a / b:.2f}x wall, {ac / bc:.2f}x cpu"
          f"  (goal <= 1.30x; {args.runs} runs each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
