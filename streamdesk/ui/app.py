"""``streamdesk`` (the window), ``--demo`` and ``--self-test``.

Start-up is measured (bench/startup.py): only PySide6 and our own light modules load before the
first paint. The window paints its shell first (sidebar, badge, status strip, the page's skeleton)
in the saved theme and geometry, read straight from the database (core/settings_peek.py); the store,
the controller and its task pool are built and attached on the event-loop turn after the paint, and
a failure there is reported as one sentence, like one before it. keyring, httpx, jwt, obsws_python
and pyqtgraph are imported by the first operation that needs them, after the window is on screen.
The log file (and the redaction it brings) is set up right after the first paint too; records from
before it are held and replayed.

The cyclic garbage collector is off from the start of ``run`` until the first paint: importing
PySide6 and building the widgets allocates hundreds of thousands of objects (Qt's enums become
Python enum classes) and the collections it triggers cost ~25 ms of CPU for nothing to collect.
PySide6 is therefore imported inside ``run``, after the collector is off.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import logging
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from streamdesk.ui.main_window import MainWindow

if importlib.util.find_spec("PySide6") is None:  # the CLI says "the desktop app is not available"
    raise ImportError("No module named 'PySide6'")

log = logging.getLogger("streamdesk.ui")

SELF_TEST_WATCHDOG_MS = 30_000  # a window that never paints is a failure, not a hang
AFTER_PAINT_FALLBACK_MS = 3_000  # start working even if the window does not paint (minimised, off screen)


class _EarlyRecords(logging.Handler):
    """Holds the log records of start-up until the log file exists, then hands them to it: the
    file handler (and its redaction filter) costs ~20 ms that the first paint need not wait for."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    @classmethod
    def install(cls) -> _EarlyRecords:
        early = cls()
        logging.getLogger().addHandler(early)
        return early

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def replay(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self)
        if not root.handlers:  # no log file after all: never fall through to stderr as tracebacks
            self.records.clear()
            return
        for record in self.records:
            root.handle(record)  # through the real handlers' filters, redaction included
        self.records.clear()


def install_crash_hooks() -> None:
    """An exception nobody caught (a bug in a Qt slot, a worker thread) goes to the redacted log
    with its traceback, and the terminal gets one sentence: Python's default hooks would print the
    whole traceback to stderr, exception text (which may quote a key or password) included."""
    import threading

    def on_crash(kind: type[BaseException], value: BaseException, tb: Any, where: str = "") -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        log.error("unhandled exception%s", where, exc_info=(kind, value, tb))
        # no usable stderr (a windowed build) is fine: the log has it
        with contextlib.suppress(Exception):
            from streamdesk.core.errors import bug_sentence

            print(f"streamdesk: {bug_sentence(value)}", file=sys.stderr)

    def on_thread_crash(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        on_crash(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback, f" in thread {name}")

    sys.excepthook = on_crash
    threading.excepthook = on_thread_crash


def _setup_logging(ctx: Any) -> None:
    from streamdesk.core.secrets import setup_logging

    try:
        setup_logging(ctx.paths.log_file)
    except Exception:
        log.warning("file logging is unavailable", exc_info=True)


def run(demo: bool = False, self_test: bool = False, keep: bool = False) -> int:
    started = time.perf_counter()
    gc.disable()  # until the first paint (see the module docstring)
    try:
        return _run(started, demo=demo, self_test=self_test, keep=keep)
    finally:
        gc.enable()  # also when start-up failed before painting


def _run(started: float, *, demo: bool, self_test: bool, keep: bool = False) -> int:
    try:
        from PySide6.QtWidgets import QApplication

        from streamdesk.ui.first_paint import FirstPaint
    except ImportError as e:  # PySide6 present but unusable (a Qt library missing)
        print(f"streamdesk: the desktop app is not available ({e}); try `streamdesk status`", file=sys.stderr)
        return 1
    install_crash_hooks()
    existing = QApplication.instance()
    # the CLI may have made a QGuiApplication (clipboard); widgets need a QApplication
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("streamdesk")
    app.setOrganizationName("streamdesk")
    app.setApplicationDisplayName("streamdesk")
    from streamdesk.ui import style

    style.apply(app)
    demo_env: Any = None
    early = _EarlyRecords.install()
    start = _Start()
    try:
        if demo:
            from streamdesk.ui.demo import Demo

            demo_env = Demo.start(keep=keep)
            if keep:
                print(f"streamdesk: demo kept in {demo_env.home}", flush=True)
            start.ctx = demo_env.ctx
            paths = demo_env.ctx.paths
        else:
            from streamdesk.core.paths import get_paths

            paths = get_paths()  # an unusable home is refused before any window, as the CLI does
        window = _shell(app, paths.database, simulator_url=demo_env.api_url if demo_env else "", demo=demo,
                        warm_up=not self_test)  # --self-test exits once painted: no warm-up imports
        start.window = window
        if self_test:
            return _self_test(app, start, paths, started, early)

        def after_paint() -> None:
            gc.enable()
            _set_icon(app, window)  # the taskbar picks it up a moment later; the first frame does not draw it
            controller = start.attach(paths, early)
            if controller is None:
                return
            window.build_cards()
            controller.start()
            window.restore_stage()
            window.install_tray()
            if demo_env is not None:
                from streamdesk.ui.demo import prefill

                prefill(window, demo_env)

        FirstPaint(window, after_paint, fallback_ms=AFTER_PAINT_FALLBACK_MS)
        window.show()
        rc = int(app.exec())
        return 1 if start.failed else rc
    except Exception as e:  # a start-up failure before the paint: one sentence, traceback in the log only
        start.fail(e, early)
        return 1
    finally:
        if demo_env is not None:
            demo_env.stop()


def _shell(app: QApplication, database: Any, **options: Any) -> MainWindow:
    """The window's shell, in the saved theme and geometry: its first frame must not flash the
    other theme or jump to the saved size. Both are read from the store's database directly
    (core/settings_peek.py): opening the Store, and building the controller and its task pool,
    wait until after the paint (bench/startup.py)."""
    from streamdesk.core.settings_peek import peek_settings
    from streamdesk.ui import style
    from streamdesk.ui.main_window import MainWindow
    from streamdesk.ui.stage_map import WINDOW_SETTING

    saved = peek_settings(database, (style.THEME_SETTING, WINDOW_SETTING))
    theme = saved.get(style.THEME_SETTING, "system")
    if theme in ("light", "dark"):
        style.apply_theme(app, theme)
    window_state = saved.get(WINDOW_SETTING)
    return MainWindow(window_state=window_state if isinstance(window_state, dict) else {}, **options)


class _Start:
    """What start-up builds after the first paint (the context, the store, the controller), and
    how a failure there is reported: the one sentence on stderr, as before the paint, and on the
    window's page; the process exits 1."""

    def __init__(self) -> None:
        self.ctx: Any = None
        self.window: Any = None
        self.failed = False

    def attach(self, paths: Any, early: _EarlyRecords) -> Any:
        """Open the store, build the controller and attach it to the window; set up the log file.
        None if that failed (reported)."""
        try:
            if self.ctx is None:
                from streamdesk.core.context import AppContext

                self.ctx = AppContext(paths=paths)
            from streamdesk.ui.controller import Controller

            controller = Controller(self.ctx)  # opens the store: a damaged or read-only database fails here
            self.window.attach(controller)
        except Exception as e:
            self.fail(e, early)
            self.window.show_startup_failure(self.text(e))
            return None
        _setup_logging(self.ctx)
        early.replay()
        return controller

    @staticmethod
    def text(e: BaseException) -> str:
        from streamdesk.core.errors import StreamdeskError, bug_sentence

        return e.one_line() if isinstance(e, StreamdeskError) else bug_sentence(e)

    def fail(self, e: BaseException, early: _EarlyRecords) -> None:
        self.failed = True
        if self.ctx is not None:
            _setup_logging(self.ctx)
        log.error("start-up failed", exc_info=e)
        early.replay()
        print(f"streamdesk: could not start: {self.text(e)}", file=sys.stderr, flush=True)


def _self_test(app: QApplication, start: _Start, paths: Any, started: float, early: _EarlyRecords) -> int:
    """Show the window; once painted, attach the controller and check the keyring backend; exit 0
    if all is fine."""
    from PySide6.QtCore import QTimer

    from streamdesk.ui.first_paint import FirstPaint

    result = {"rc": 1}
    window = start.window

    def painted() -> None:
        ms = (time.perf_counter() - started) * 1000
        cpu = time.process_time() * 1000  # since the process started: bench/startup.py compares it
        print(f"self-test: window painted ({ms:.0f} ms after the app started; cpu {cpu:.0f} ms)", flush=True)
        gc.enable()
        _set_icon(app, window)
        controller = start.attach(paths, early)
        if controller is None:
            app.exit(1)
            return
        window.build_cards()  # the cards deferred past the first paint must build too (frozen bundles)
        try:
            backend = start.ctx.secrets.check()
        except Exception as e:
            from streamdesk.core.errors import StreamdeskError

            text = e.one_line() if isinstance(e, StreamdeskError) else type(e).__name__
            print(f"self-test: keyring FAILED: {text}", file=sys.stderr, flush=True)
            result["rc"] = 1
        else:
            print(f"self-test: keyring ok ({backend})", flush=True)
            result["rc"] = 0
        controller.close()
        app.exit(0)

    def watchdog() -> None:
        print("self-test: the window never painted", file=sys.stderr, flush=True)
        app.exit(1)

    FirstPaint(window, painted)
    QTimer.singleShot(SELF_TEST_WATCHDOG_MS, watchdog)
    window.show()
    app.exec()
    return result["rc"]


def _set_icon(app: QApplication, window: Any) -> None:
    """The app icon from the rendered PNGs: added with their sizes, they load only when drawn (the
    SVG master would load the SVG icon engine before the first paint, ~10 ms)."""
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon

    try:
        from streamdesk.resources import ICON_SIZES, icon_png

        icon = QIcon()
        for size in ICON_SIZES:
            icon.addFile(str(icon_png(size)), QSize(size, size))
        app.setWindowIcon(icon)
        window.setWindowIcon(icon)
    except Exception:
        log.info("no app icon", exc_info=True)
