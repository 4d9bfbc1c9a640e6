"""An uncaught exception (a bug in a slot or a worker thread) must not print a traceback, or a
secret quoted in its text, to the terminal: one sentence there, the redacted traceback in the log."""

from __future__ import annotations

import logging
import sys
import threading

from streamdesk.core.secrets import RedactingFilter, register_secret
from streamdesk.ui import app

SECRET = "crash-hook-secret-9f2c1e"


def _raise() -> None:
    raise ValueError(f"bad stream key {SECRET}")


def test_uncaught_exception_prints_one_redacted_line(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    register_secret(SECRET)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    handler.addFilter(RedactingFilter())
    logging.getLogger().addHandler(handler)
    try:
        app.install_crash_hooks()
        try:
            _raise()
        except ValueError as e:
            sys.excepthook(type(e), e, e.__traceback__)
        worker = threading.Thread(target=_raise, name="worker-x")
        worker.start()
        worker.join()
    finally:
        logging.getLogger().removeHandler(handler)
    err = capsys.readouterr().err
    said = "streamdesk: a bug in streamdesk stopped this (ValueError); the details are in the log."
    assert err.count(said) == 2
    assert "Traceback" not in err and SECRET not in err
    crashes = [r for r in records if r.getMessage().startswith("unhandled exception")]
    assert len(crashes) == 2 and "worker-x" in crashes[1].getMessage()
    assert all("Traceback" in r.exc_text and SECRET not in r.exc_text for r in crashes)
