"""Crash and restart: real streamdesk processes are SIGKILLed while live, while provisioning and while
going live; started again, they reconcile with GetStream and lose nothing that was committed.

Processes: the CLI (``watch``, ``provision``, ``golive``) and the desktop app itself
(``python -m streamdesk`` under offscreen Qt), against the GetStream simulator on loopback, with
the secrets in a real Secret Service. The app cannot be clicked from outside, so the operations
that need a click (provision, go live) are killed in their CLI form, and the app is the one that
starts afterwards and has to make sense of what it finds: its flow states are read from its log
("state A → B"), its recording from the database.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from streamdesk.core.context import AppContext
from streamdesk.sim.audience import AudienceConfig
from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET
from tests.plugins.processes import REPO, cli, run_cli, stop_process, wait_until

pytestmark = pytest.mark.secretservice

CID = "livestream:show-1"
AUDIENCE = AudienceConfig(mean_viewers=30, ramp_s=20, chat_base_per_min=10, chat_per_viewer_per_min=0.5)
STATE_LINE = re.compile(r"state (\w+) → (\w+)")


@pytest.fixture
def env(secret_service: dict[str, str]) -> dict[str, str]:
    return dict(secret_service)


@pytest.fixture
def gs(make_gs_sim: Any) -> Any:
    """Simulated time stands still unless a test advances it; the base clock stays wall time."""
    frozen = time.time()
    return make_gs_sim(clock=lambda: frozen, seed=5, audience=AUDIENCE)


def setup(env: dict[str, str], gs: Any) -> None:
    cli(env, "setup", "--api-key", SIM_API_KEY, "--user-id", "host-1", "--call-id", "show-1",
        "--api-base", gs.url, "--secret-stdin", input=SIM_API_SECRET + "\n")


def start(env: dict[str, str], *args: str, stderr: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "streamdesk", *args], cwd=REPO, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL,
                            stderr=stderr.open("w") if stderr else subprocess.DEVNULL)


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def db_rows(home: Path) -> dict[str, list[dict[str, Any]]]:
    """Every session and sample row as committed (read-only, next to a live writer: WAL)."""
    with sqlite3.connect(f"file:{home / 'streamdesk.sqlite3'}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {"sessions": [dict(r) for r in conn.execute("SELECT * FROM sessions ORDER BY id")],
                "samples": [dict(r) for r in conn.execute("SELECT * FROM samples ORDER BY rowid")]}


def consistent(rows: dict[str, list[dict[str, Any]]]) -> None:
    """The row's running totals agree with its samples (they are written in one transaction)."""
    for session in rows["sessions"]:
        mine = [s for s in rows["samples"] if s["session_id"] == session["id"]]
        assert session["total_chat"] == sum(s["chat"] for s in mine)
        assert session["peak_viewers"] == max((s["viewers"] or 0 for s in mine), default=0)


def status(env: dict[str, str]) -> dict[str, Any]:
    return json.loads(cli(env, "status", "--json").stdout)


class App:
    """The desktop app as a process; what it did is read from its log and the database."""

    def __init__(self, env: dict[str, str], home: Path) -> None:
        self.env, self.home = env, home
        self.log = home / "logs" / "streamdesk.log"
        self.proc: subprocess.Popen | None = None
        self._offset = 0

    def start(self) -> App:
        self._offset = self.log.stat().st_size if self.log.exists() else 0
        self.proc = start(self.env, stderr=self.home / "app-stderr.txt")
        return self

    def states(self) -> list[str]:
        if not self.log.exists():
            return []
        with self.log.open(encoding="utf-8") as f:
            f.seek(self._offset)
            return [m.group(2) for m in STATE_LINE.finditer(f.read())]

    def wait_state(self, state: str, timeout: float = 30) -> None:
        assert self.proc is not None
        wait_until(lambda: state in self.states() or self.proc.poll() is not None, timeout=timeout,
                   what=f"the app to reach {state} (it went {self.states()})")
        assert self.proc.poll() is None, (self.home / "app-stderr.txt").read_text()

    def kill(self) -> None:
        assert self.proc is not None
        kill(self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


@pytest.fixture
def app(env: dict[str, str], isolated_home: Path) -> Iterator[App]:
    made = App({**env, "QT_QPA_PLATFORM": "offscreen"}, isolated_home)
    yield made
    made.stop()


# -- killed while live: the recorder (watch), then the app itself ---------------------------------------
def test_kill_watch_while_live_then_watch_again(env: dict[str, str], gs: Any, isolated_home: Path) -> None:
    setup(env, gs)
    cli(env, "provision")
    cli(env, "golive", "--skip-ingest-check")
    AppContext().store.put_setting("poll_interval_s", 0.1)
    watcher = start(env, "watch", "--json")
    try:
        for _ in range(3):
            gs.advance(30)
            generated = gs.truth(CID).messages_generated
            wait_until(lambda g=generated: db_rows(isolated_home)["sessions"][0]["total_chat"] == g,
                       timeout=20, what="the watcher to record the new chat")
        kill(watcher)
    finally:
        stop_process(watcher)
    before = db_rows(isolated_home)
    (session,) = before["sessions"]
    assert session["ended_at"] is None
    consistent(before)

    gs.advance(30)
    again = start(env, "watch", "--json", "--for", "1.5")
    assert again.wait(timeout=30) == 0
    after = db_rows(isolated_home)
    assert [s["id"] for s in after["sessions"]] == [session["id"]]
    assert after["samples"][: len(before["samples"])] == before["samples"]  # nothing committed was lost
    assert len(after["samples"]) > len(before["samples"])  # and the record goes on
    assert after["sessions"][0]["total_chat"] == gs.truth(CID).messages_generated  # none lost or doubled
    consistent(after)


def test_kill_the_app_while_live_then_reopen_live_on_the_same_row(
    env: dict[str, str], gs: Any, app: App, isolated_home: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup(env, gs)
    cli(env, "provision")
    cli(env, "golive", "--skip-ingest-check")
    gs.advance(60)
    app.start().wait_state("live")
    wait_until(lambda: len(db_rows(isolated_home)["samples"]) >= 1, timeout=30, what="the app to record")
    app.kill()
    before = db_rows(isolated_home)
    (session,) = before["sessions"]
    assert session["ended_at"] is None
    consistent(before)

    gs.advance(60)
    app.start().wait_state("live")
    wait_until(lambda: len(db_rows(isolated_home)["samples"]) > len(before["samples"]), timeout=30,
               what="the reopened app to record on")
    app.stop()
    after = db_rows(isolated_home)
    assert [s["id"] for s in after["sessions"]] == [session["id"]]
    assert after["sessions"][0]["ended_at"] is None
    assert after["samples"][: len(before["samples"])] == before["samples"]
    assert after["sessions"][0]["total_chat"] == gs.truth(CID).messages_generated
    consistent(after)

    # a reopened window's charts start from what was stored (in-process, to look at the widgets)
    from streamdesk.ui.controller import Controller
    from streamdesk.ui.main_window import MainWindow

    monkeypatch.setenv("STREAMDESK_API_SECRET", SIM_API_SECRET)  # this process has no keyring entry
    window = MainWindow(Controller(AppContext(), live_interval_ms=3_600_000))
    window.show()
    window.controller.start()
    try:
        qtbot.waitUntil(lambda: window.controller.session is not None, timeout=15_000)
        card = window.cards["live"]
        qtbot.waitUntil(lambda: card.charts is not None and card.charts.viewers.n >= len(after["samples"]),
                        timeout=15_000)
        assert window.controller.session.id == session["id"]
    finally:
        window.demo = True  # no "quit while live?" question
        window.close()


# -- killed while provisioning ------------------------------------------------------------------------
def test_kill_during_provisioning_leaves_nothing_half_written(env: dict[str, str], gs: Any, app: App,
                                                              isolated_home: Path) -> None:
    setup(env, gs)
    gs.faults.latency("GetOrCreateChannel", 30.0)  # provisioning is mid-way for 30 s
    proc = start(env, "provision")
    try:
        wait_until(lambda: gs.requests("GetOrCreateCall"), timeout=30, what="provision to create the call")
        kill(proc)
    finally:
        stop_process(proc)
    state = status(env)
    assert state["state"] == "needs_provision" and state["rtmps_url"] is None
    assert state["key_expires_at"] is None
    key = run_cli("key", env=env)
    assert key.returncode == 1 and "not provisioned" in key.stderr  # no key half-minted into the keyring

    app.start().wait_state("needs_provision")  # the app agrees: provision again
    app.stop()
    gs.faults.clear()
    cli(env, "provision")  # every step is get-or-create: running it again completes it
    assert status(env)["state"] == "provisioned" and len(gs.requests("GetOrCreateCall")) == 2
    assert db_rows(isolated_home)["sessions"] == []


# -- killed while going live ----------------------------------------------------------------------------
def test_kill_during_go_live_then_the_app_reconciles_from_getstream(env: dict[str, str], gs: Any, app: App,
                                                                    isolated_home: Path) -> None:
    setup(env, gs)
    cli(env, "provision")
    gs.app.go_live_lag = 45.0  # GoLive accepted; the call leaves backstage 45 simulated seconds later
    proc = start(env, "golive", "--timeout", "60", "--skip-ingest-check")
    try:
        wait_until(lambda: gs.requests("GoLive"), timeout=30, what="go live to be sent")
        wait_until(lambda: gs.requests("GetCall"), timeout=30, what="go live to wait for the confirmation")
        kill(proc)
    finally:
        stop_process(proc)
    assert db_rows(isolated_home)["sessions"] == []  # never confirmed: no session row

    # the call has not left backstage yet: the app opens in backstage, no session row
    asked = len(gs.requests("GetCall"))
    app.start()
    app.wait_state("provisioned")
    wait_until(lambda: len(gs.requests("GetCall")) > asked, timeout=30, what="the app to ask GetStream")
    with pytest.raises(pytest.fail.Exception):  # bounded check that it does NOT go live
        app.wait_state("live", timeout=2)
    app.stop()
    assert db_rows(isolated_home)["sessions"] == []

    # now GetStream shows it live: the app opens LIVE and opens the row at GetStream's live start
    gs.advance(60)
    live_started = status(env)["remote"]["live_started_at"]
    app.start().wait_state("live")
    wait_until(lambda: db_rows(isolated_home)["samples"], timeout=30, what="the app to record")
    app.stop()
    (session,) = db_rows(isolated_home)["sessions"]
    assert session["ended_at"] is None
    assert abs(session["started_at"] - datetime.fromisoformat(live_started).timestamp()) < 1e-3


# -- the stream ended while the app was closed (or it was killed between stop_live and the row) -------
def test_a_row_left_open_is_closed_from_getstream_on_start(env: dict[str, str], gs: Any, app: App,
                                                           isolated_home: Path) -> None:
    from tests.plugins.getstream_sim import SimHttp

    setup(env, gs)
    cli(env, "provision")
    cli(env, "golive", "--skip-ingest-check")
    gs.advance(90)
    http = SimHttp(gs)
    try:  # stopped on GetStream behind streamdesk's back: the local row stays open
        assert http.post("/api/v2/video/call/livestream/show-1/stop_live").status_code == 201
    finally:
        http.close()
    ended = status(env)["remote"]["live_ended_at"]
    assert db_rows(isolated_home)["sessions"][0]["ended_at"] is None

    app.start().wait_state("provisioned")
    wait_until(lambda: db_rows(isolated_home)["sessions"][0]["ended_at"] is not None, timeout=30,
               what="the app to close the stale row")
    app.stop()
    rows = db_rows(isolated_home)
    (session,) = rows["sessions"]
    assert session["end_reason"] == "stopped"
    assert abs(session["ended_at"] - datetime.fromisoformat(ended).timestamp()) < 1e-3
    assert session["total_chat"] == gs.truth(CID).messages_generated  # the chat up to the end counted
    consistent(rows)
