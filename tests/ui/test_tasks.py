"""The background-task primitive: results and errors come back on the GUI thread, errors as one
friendly sentence (a bug's traceback only in the log), OBS events re-emitted queued."""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QCoreApplication, QThread

from streamdesk.core.errors import StreamdeskError
from streamdesk.ui.tasks import ObsWorker, Tasks


def gui_thread() -> Any:
    from PySide6.QtWidgets import QApplication

    return QApplication.instance().thread()


def test_result_arrives_on_the_gui_thread(qtbot: Any) -> None:
    tasks = Tasks()
    seen: list[tuple[Any, bool]] = []
    worker_threads: list[int] = []

    def op() -> int:
        worker_threads.append(threading.get_ident())
        return 42

    tasks.run(op, lambda r: seen.append((r, QThread.currentThread() is gui_thread())))
    qtbot.waitUntil(lambda: bool(seen))
    assert seen == [(42, True)]
    assert worker_threads[0] != threading.get_ident()
    tasks.close()


def test_streamdesk_error_is_its_one_line(qtbot: Any) -> None:
    tasks = Tasks()
    failures: list[str] = []

    def op() -> None:
        raise StreamdeskError("GetStream rejected the API key.", hint="Check the key in the dashboard.")

    tasks.run(op, failed=lambda text, _e: failures.append(text))
    qtbot.waitUntil(lambda: bool(failures))
    assert failures == ["GetStream rejected the API key. Check the key in the dashboard."]
    tasks.close()


def test_a_bug_shows_a_sentence_and_logs_the_traceback(qtbot: Any, caplog: Any) -> None:
    tasks = Tasks()
    failures: list[str] = []

    def op() -> None:
        raise KeyError("boom")

    with caplog.at_level(logging.ERROR, logger="streamdesk.ui.tasks"):
        tasks.run(op, failed=lambda text, _e: failures.append(text))
        qtbot.waitUntil(lambda: bool(failures))
    assert failures == ["A bug in streamdesk stopped this (KeyError); the details are in the log."]
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)
    tasks.close()


def test_nothing_is_delivered_after_close(qtbot: Any) -> None:
    tasks = Tasks()
    release = threading.Event()
    delivered: list[Any] = []
    tasks.run(lambda: release.wait(5), delivered.append)
    release.set()
    tasks.close()
    QCoreApplication.processEvents()  # a stray queued delivery would run now (it must not)
    assert delivered == []


def test_obs_events_are_re_emitted_on_the_gui_thread(qtbot: Any) -> None:
    worker = ObsWorker()
    got: list[tuple[str, bool]] = []
    worker.obs_event.connect(lambda e: got.append((e.kind, QThread.currentThread() is gui_thread())))

    class Event:
        kind = "stream_state"
        state = "OBS_WEBSOCKET_OUTPUT_STARTED"

    t = threading.Thread(target=worker._on_event, args=(Event(),))  # as obsws-python's thread does
    t.start()
    t.join()
    qtbot.waitUntil(lambda: bool(got))
    assert got == [("stream_state", True)]
    worker.close()


def test_a_step_submitted_after_the_owner_thread_closed_is_dropped(qtbot: Any) -> None:
    """A timer or watcher may still fire while the window closes: its step is dropped quietly
    (the executor is shut down; submitting to it raised RuntimeError on the GUI thread)."""
    worker = ObsWorker()
    worker.close()
    delivered: list[Any] = []
    worker.submit(lambda _controller: 1, delivered.append, delivered.append)
    QCoreApplication.processEvents()
    assert delivered == [] and worker.pending == 0
