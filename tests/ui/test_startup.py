"""What start-up does before the first paint, and that what it defers still happens: the window
paints its shell before the controller, the store and the task pool exist, in the saved theme and
geometry, and a failure after the paint still ends in one sentence and exit status 1.

Structural, never timed (bench/startup.py does the timing): the real app is started in a fresh
process with an event filter that looks at ``sys.modules`` the moment the main window first paints.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from streamdesk.core.context import AppContext
from streamdesk.ui.controller import STAGES, Controller
from streamdesk.ui.main_window import MainWindow

from .conftest import WAIT_MS

# not needed to paint: the network and plotting stacks, the keyring, everything behind the cards,
# and the controller with the store and the task pool behind it (attached after the paint)
NOT_BEFORE_PAINT = (
    "streamdesk.core.context", "streamdesk.core.store", "streamdesk.ui.controller",
    "streamdesk.ui.controller_base", "streamdesk.ui.tasks", "streamdesk.ui.busy_bar", "concurrent.futures",
    "pyqtgraph", "numpy", "httpx", "jwt", "keyring", "obsws_python", "websockets", "logging.handlers",
    "streamdesk.core.secrets", "streamdesk.core.getstream", "streamdesk.core.obs",
    "streamdesk.ui.obs_watchdog", "streamdesk.ui.widgets.charts", "streamdesk.ui.stages.account",
    "streamdesk.ui.stages.base", "streamdesk.ui.stages.provision",
    "streamdesk.ui.stages.obs", "streamdesk.ui.stages.golive", "streamdesk.ui.stages.live",
)

WATCH_FIRST_PAINT = f"""
import logging, sys
from PySide6 import QtCore
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow

app = QApplication(sys.argv[:1])
WATCH = {NOT_BEFORE_PAINT!r}


class AtFirstPaint(QObject):
    seen = False

    def eventFilter(self, watched, event):
        if not self.seen and event.type() == QEvent.Type.Paint and isinstance(watched, QMainWindow):
            self.seen = True
            print("at first paint:", sorted(m for m in WATCH if m in sys.modules), flush=True)
            # PySide6 creates QtCore.Qt (with its ~90 Python enums) on its first lookup, then keeps it
            print("Qt namespace at first paint:", "Qt" in vars(QtCore), flush=True)
            print("theme at first paint:", app.palette().window().color().name(), flush=True)
            print("size at first paint:", watched.width(), watched.height(), flush=True)
            # the log file does not exist yet: this record must still reach it
            logging.getLogger("streamdesk.test").warning("logged before the log file existed")
        return False


watcher = AtFirstPaint()
app.installEventFilter(watcher)
from streamdesk.cli import main  # the way `streamdesk` starts: the CLI's module must stay light too

sys.exit(main(["--self-test"]))
"""


def _start_app(home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "STREAMDESK_HOME": str(home),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return subprocess.run([sys.executable, "-c", WATCH_FIRST_PAINT], env=env, capture_output=True,
                          text=True, timeout=60)


def test_nothing_heavy_is_imported_before_the_first_paint(isolated_home: Path) -> None:
    out = _start_app(isolated_home)
    lines = [line for line in out.stdout.splitlines() if line.startswith("at first paint:")]
    assert lines == ["at first paint: []"], out.stdout + out.stderr
    # nothing looked up QtCore.Qt: building its enums is ~10% of the start-up (bench/startup.py)
    assert "Qt namespace at first paint: False" in out.stdout, out.stdout + out.stderr
    # and what was deferred still ran: the keyring was checked (the fail backend: a clear failure)
    assert "self-test: window painted" in out.stdout
    assert "keyring FAILED" in out.stderr and "Traceback" not in out.stderr
    # a signal carrying a Qt enum before QtCore.Qt was looked up fails in PySide6 (a TypeError the
    # app reports as an unexpected error): the secret field connects to the app state late for that
    assert "unexpected error" not in out.stderr, out.stderr


def test_the_qt_namespace_is_observed_when_it_is_built() -> None:
    """The check above can fail: a lookup of QtCore.Qt shows in the module's namespace."""
    code = ("from PySide6 import QtCore; import PySide6.QtWidgets; before = 'Qt' in vars(QtCore); "
            "QtCore.Qt.AlignmentFlag; print(before, 'Qt' in vars(QtCore))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "True"], out.stdout + out.stderr


def test_records_from_before_the_log_file_reach_it(isolated_home: Path) -> None:
    _start_app(isolated_home)
    log_file = AppContext().paths.log_file
    assert "logged before the log file existed" in log_file.read_text(encoding="utf-8")


def test_app_module_imports_nothing_heavy() -> None:
    code = ("import sys; import streamdesk.cli, streamdesk.cli._common, streamdesk.ui.app, "
            "streamdesk.ui.main_window; "
            f"print(sorted(m for m in {NOT_BEFORE_PAINT!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_no_card_is_built_before_the_window_shows(qtbot: Any) -> None:
    """The first frame shows the page's skeleton; the cards, the one on screen included, are
    built on the event-loop turn after the paint (bench/startup.py --phases: ~60 M instructions)."""
    window = MainWindow(Controller(AppContext()), warm_up=False)
    qtbot.addWidget(window)
    assert [s for s in STAGES if window.cards.is_built(s)] == []
    assert window.stack.currentWidget().objectName() == "PageSkeleton"
    window.show()
    # they follow on their own once the window has painted, in stage order in the stack
    qtbot.waitUntil(lambda: all(window.cards.is_built(s) for s in STAGES), timeout=WAIT_MS)
    assert [window.stack.widget(i) for i in range(window.stack.count())] == [window.cards[s] for s in STAGES]
    assert window.stack.currentWidget() is window.cards["account"]
    assert window.obs_watchdog is not None
    window.demo = True
    window.close()


def test_the_badge_is_not_polished_before_the_window_shows(qtbot: Any) -> None:
    """MainWindow sets the badge's style level in __init__ without style.repolish (which looks up
    QtCore.Qt): right only because nothing polished it yet, and the first show does."""
    from PySide6.QtCore import Qt

    window = MainWindow(Controller(AppContext()), warm_up=False)
    qtbot.addWidget(window)
    assert not window.badge.testAttribute(Qt.WidgetAttribute.WA_WState_Polished)
    window.show()
    assert window.badge.testAttribute(Qt.WidgetAttribute.WA_WState_Polished)
    window.demo = True
    window.close()


def test_starting_the_controller_builds_every_card_first(qtbot: Any) -> None:
    """Cards subscribe to the controller when built: starting it must not find one missing."""
    controller = Controller(AppContext())
    window = MainWindow(controller, warm_up=False)
    qtbot.addWidget(window)
    window.cards["live"]  # built out of order: still lands after the cards before it
    controller.start()  # never shown: the first paint has not built anything
    assert all(window.cards.is_built(s) for s in STAGES)
    assert [window.stack.widget(i) for i in range(window.stack.count())] == [window.cards[s] for s in STAGES]


def test_the_first_frame_has_the_saved_theme_and_geometry(isolated_home: Path, qapp: Any) -> None:
    """Read before the paint, without the store (core/settings_peek.py): no flash of the other theme,
    no jump to the saved size."""
    from PySide6.QtWidgets import QMainWindow

    from streamdesk.ui import style
    from streamdesk.ui.stage_map import WINDOW_SETTING

    sized = QMainWindow()
    sized.resize(640, 480)
    geometry = bytes(sized.saveGeometry().toHex().data()).decode()
    store = AppContext().store
    store.put_setting(style.THEME_SETTING, "dark")
    store.put_setting(WINDOW_SETTING, {"geometry": geometry, "stage": "account"})
    store.close()
    out = _start_app(isolated_home)
    dark = style._dark_palette().window().color().name()
    assert f"theme at first paint: {dark}" in out.stdout, out.stdout + out.stderr
    assert "size at first paint: 640 480" in out.stdout, out.stdout + out.stderr
    assert "at first paint: []" in out.stdout  # reading them did not bring the store in
    assert "Qt namespace at first paint: False" in out.stdout  # nor did applying the theme


def test_the_first_frame_of_a_fresh_home_is_the_default(isolated_home: Path) -> None:
    out = _start_app(isolated_home)
    assert "size at first paint: 1040 720" in out.stdout, out.stdout + out.stderr
    assert (isolated_home / "streamdesk.sqlite3").exists()  # the store, opened after the paint, made it


def test_a_database_that_cannot_be_opened_after_the_paint_is_one_sentence(isolated_home: Path) -> None:
    """The store opens after the first paint now: its failure is still the one sentence on stderr
    (and on the window's page), exit status 1, no traceback."""
    (isolated_home / "streamdesk.sqlite3").mkdir()  # a folder in the way of the database
    out = _start_app(isolated_home)
    assert "self-test: window painted" in out.stdout
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.startswith("streamdesk: could not start:")]
    assert len(lines) == 1 and "The database" in lines[0], out.stderr
    assert "Traceback" not in out.stderr and "unexpected error" not in out.stderr, out.stderr
    assert "keyring" not in out.stdout + out.stderr  # nothing ran on a window without a controller


def test_an_unusable_home_is_refused_before_any_window(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("a file, not a folder")
    out = _start_app(home)
    assert out.returncode == 1
    assert "window painted" not in out.stdout
    assert "streamdesk: could not start: The streamdesk folder" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_the_shell_paints_without_a_controller_and_attaches_one_later(qtbot: Any) -> None:
    window = MainWindow(warm_up=False)
    qtbot.addWidget(window)
    assert not window.attached
    assert window.badge.text() == "SETUP"
    assert window.stack.currentWidget().objectName() == "PageSkeleton"
    window.show()
    qtbot.waitUntil(lambda: window._painted, timeout=WAIT_MS)
    qtbot.wait(50)  # the turn after the paint: no controller, so no card yet
    assert window.stack.currentWidget().objectName() == "PageSkeleton"
    controller = Controller(AppContext())
    window.attach(controller)  # as start-up does after the paint: the cards follow at once
    assert all(window.cards.is_built(s) for s in STAGES)
    assert window.stack.currentWidget() is window.cards["account"]
    window.demo = True
    window.close()


def test_a_failure_shows_on_the_page_and_the_window_closes(qtbot: Any) -> None:
    window = MainWindow(warm_up=False)
    qtbot.addWidget(window)
    window.show()
    window.show_startup_failure("The database cannot be opened.")
    page = window.stack.currentWidget()
    assert page.objectName() == "StartupFailure"
    assert page.text() == "streamdesk could not start: The database cannot be opened."  # type: ignore[attr-defined]
    assert window.close()  # nothing to save or stop without a controller
