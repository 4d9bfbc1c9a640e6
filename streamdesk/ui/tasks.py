"""The one way the GUI does I/O: run a blocking function off the GUI thread, get the result back
as a queued signal on the GUI thread (Anki ``QueryOp`` style).

``Tasks.run(op, done, failed)`` runs ``op()`` on a ``QThreadPool``; ``done(result)`` or
``failed(message, error)`` is then called on the GUI thread. ``op`` must never touch a widget.
Errors become friendly one-liners here, once: a ``StreamdeskError`` shows its ``one_line()``,
anything else is a bug and says so ("A bug in streamdesk stopped this (KeyError); the details are
in the log.", ``core.errors.bug_sentence``) while the traceback goes to the (redacted) log only.

``ObsWorker`` is the same primitive over a single dedicated thread that owns the
``ObsController`` (it is not thread-safe), and re-emits the controller's events, which arrive
on streamdesk's own event thread (``core.obs_events.EventThread``), as queued Qt signals.
``RecorderWorker`` (``ui.recorder_worker``) does the same for the live recorder.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from streamdesk.core.errors import StreamdeskError, bug_sentence

log = logging.getLogger("streamdesk.ui.tasks")

Done = Callable[[Any], None]
Failed = Callable[[str, BaseException], None]


def friendly(error: BaseException) -> str:
    """The sentence a streamer sees for ``error`` (never a traceback, never a secret)."""
    if isinstance(error, StreamdeskError):
        return error.one_line()
    sentence = bug_sentence(error)
    return sentence[0].upper() + sentence[1:]


class _Relay(QObject):
    """Lives in the GUI thread; a signal emitted from any thread reaches it queued."""

    finished = Signal(int, object, object)  # token, result, error


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], report: Callable[[Any, BaseException | None], None]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._report = fn, report

    def run(self) -> None:
        _call(self._fn, self._report)


def _call(fn: Callable[[], Any], report: Callable[[Any, BaseException | None], None]) -> None:
    try:
        result = fn()
    except BaseException as e:  # reported to the GUI thread; a bug keeps its traceback in the log
        if not isinstance(e, StreamdeskError):
            log.error("background task failed", exc_info=(type(e), e, e.__traceback__))
        else:
            log.info("task failed: %s", e.one_line())
        report(None, e)
    else:
        report(result, None)


class _Dispatcher(QObject):
    """Bookkeeping shared by Tasks and ObsWorker: callbacks by token, delivered on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._deliver)
        self._tokens = itertools.count(1)
        self._pending: dict[int, tuple[Done | None, Failed | None, str]] = {}
        self._lock = threading.Lock()
        self.closed = False

    def _register(self, done: Done | None, failed: Failed | None, what: str) -> tuple[int, Callable]:
        token = next(self._tokens)
        self._pending[token] = (done, failed, what)
        relay = self._relay

        def report(result: Any, error: BaseException | None) -> None:
            with self._lock:
                if self.closed:
                    return
                try:
                    relay.finished.emit(token, result, error)
                except RuntimeError:  # the relay was deleted (the app is exiting): nobody waits
                    log.debug("dropped the result of %s: the app is exiting", what or "a task")

        return token, report

    @Slot(int, object, object)
    def _deliver(self, token: int, result: Any, error: BaseException | None) -> None:
        done, failed, what = self._pending.pop(token, (None, None, ""))
        if self.closed:
            return
        if error is None:
            if done is not None:
                done(result)
            return
        message = friendly(error)
        if failed is not None:
            failed(message, error)
        else:
            log.warning("%s failed: %s", what or "task", message)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def _close(self) -> None:
        with self._lock:
            self.closed = True
        self._pending.clear()


class Tasks(_Dispatcher):
    """Background work for everything except OBS (GetStream HTTP, keyring, database)."""

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 4) -> None:
        super().__init__(parent)
        # our own pool, so closing the window waits for our jobs only
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)

    def run(self, op: Callable[[], Any], done: Done | None = None, failed: Failed | None = None,
            *, what: str = "") -> int:
        """Run ``op()`` in the background; ``done``/``failed`` run later on the GUI thread."""
        token, report = self._register(done, failed, what)
        self._pool.start(_Job(op, report))
        return token

    def close(self, wait_ms: int = 15000) -> None:
        """Drop every pending callback and wait (bounded) for running jobs to return."""
        self._close()
        self._pool.clear()
        self._pool.waitForDone(wait_ms)


class OwnerThread(_Dispatcher):
    """One dedicated thread that owns a stateful client which is not thread-safe (the OBS
    controller, the live recorder): every step on it runs there, one after another, and its
    result comes back on the GUI thread. Nothing hands the client between threads."""

    def __init__(self, thread_name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)

    def _submit(self, fn: Callable[[], Any], done: Done | None, failed: Failed | None, what: str) -> int:
        token, report = self._register(done, failed, what)
        if self.closed:  # shut down (the window is closing): a late step has nobody to report to
            self._pending.pop(token, None)
            return token
        # once closed, queued steps return at once instead of each waiting for a timeout
        self._executor.submit(_call, lambda: None if self.closed else fn(), report)
        return token

    def _shutdown(self, release: Callable[[], None], wait: bool) -> None:
        """Drop pending results, then ``release`` the client on its thread after the step in flight."""
        if self.closed:
            return
        self._close()
        self._executor.submit(release)
        self._executor.shutdown(wait=wait)


class ObsWorker(OwnerThread):
    """One thread that owns the ObsController: every OBS call goes through ``submit``.

    ``submit(fn)`` runs ``fn(controller)`` on the OBS thread (``controller`` is None until
    ``connect`` succeeded). The controller's ``on_event`` callback runs on its ``EventThread``;
    ``obs_event`` re-emits it queued on the GUI thread.
    """

    # not ``event``: that name is QObject's event handler
    obs_event = Signal(object)  # the ObsEvent (kind, state, detail, final), frozen

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("streamdesk-obs", parent)
        self.controller: Any = None  # touched on the OBS thread only
        self.target: Any = None

    def submit(self, fn: Callable[[Any], Any], done: Done | None = None, failed: Failed | None = None,
               *, what: str = "") -> int:
        return self._submit(lambda: fn(self.controller), done, failed, what)

    def connect_to_blocking(self, connect: Callable[[Callable[[Any], None]], Any]) -> tuple[Any, bool]:
        """On the OBS thread only (inside ``submit``): replace the controller with
        ``connect(on_event)`` (a connected ObsController); returns its ObsInfo and whether OBS
        is streaming already."""
        self._drop_controller()
        controller = connect(self._on_event)
        self.controller, self.target = controller, controller.target
        return controller.info, bool(controller.is_streaming())

    def _drop_controller(self) -> None:
        controller, self.controller = self.controller, None
        if controller is not None:
            try:
                controller.close()
            except Exception:
                log.info("closing the OBS connection failed", exc_info=True)

    def _on_event(self, obs_event: Any) -> None:
        # the OBS event thread: only emit, the connection makes it queued
        with self._lock:
            if self.closed:
                return
            self.obs_event.emit(obs_event)

    def close(self, wait: bool = True) -> None:
        self._shutdown(self._drop_controller, wait)
