"""Who may touch what, checked on the source: the OBS watchdog only uses the controller's methods
and signals, views never read the store themselves (the controller or a background task does),
and errors are caught by type, never by class name."""

from __future__ import annotations

import re
from pathlib import Path

import streamdesk

ROOT = Path(streamdesk.__file__).resolve().parent


def _source(relative: str) -> str:
    return (ROOT / relative).read_text("utf-8")


def test_the_obs_watchdog_only_calls_the_controller_and_listens_to_it() -> None:
    text = _source("ui/obs_watchdog.py")
    assert not re.search(r"self\.c\.\w+\s*=[^=]", text), "the watchdog writes the controller's state"
    assert not re.search(r"self\.c\.\w+\.emit\(", text), "the watchdog emits the controller's signals"
    assert "c.obs." not in text, "the watchdog reaches into the controller's OBS worker"


def test_views_do_not_read_the_store_on_the_gui_thread() -> None:
    views = [p for p in (ROOT / "ui").rglob("*.py")
             if not p.name.startswith(("controller", "history", "recorder_worker", "demo", "app"))]
    for path in views:
        text = path.read_text("utf-8")
        # a view calling the store itself (a background op captures ``ctx`` and calls ctx.store in
        # its own def; History, which ui/history.py reads for itself, is handed the store)
        assert not re.search(r"(controller|self)\.ctx\.store\.\w+\(", text), path


def test_errors_are_caught_by_type_not_by_name() -> None:
    for path in ROOT.rglob("*.py"):
        text = path.read_text("utf-8")
        assert not re.search(r"type\(\w+\)\.__name__\s*(==|in)", text), path
