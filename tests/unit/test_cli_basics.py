"""The CLI skeleton on an empty home: version, status, sessions, exit codes, no tracebacks."""

from __future__ import annotations

import csv
import io
import json

import pytest

from streamdesk import __version__
from streamdesk.core.paths import get_paths
from streamdesk.core.store import Sample, Store
from tests.plugins.processes import run_cli


def test_version() -> None:
    out = run_cli("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"streamdesk {__version__}"


def test_status_on_an_empty_home_says_what_to_do() -> None:
    out = run_cli("status")
    assert out.returncode == 0, out.stderr
    assert "needs account" in out.stdout
    assert "streamdesk setup" in out.stdout
    data = json.loads(run_cli("status", "--json").stdout)
    assert data["state"] == "needs_account" and "setup" in data["next"]


def test_sessions_on_an_empty_home() -> None:
    out = run_cli("sessions")
    assert out.returncode == 0 and "No sessions yet" in out.stdout
    assert json.loads(run_cli("sessions", "--json").stdout) == []
    assert run_cli("sessions", "--csv").stdout.splitlines()[0].startswith("id,call_cid,started_at")


def test_sessions_lists_what_the_store_holds() -> None:
    store = Store.open(get_paths().database)
    s = store.start_session("livestream:show", started_at=1_700_000_000.0)
    store.add_sample(s.id, Sample(1_700_000_010.0, 12, 4))
    store.end_session(s.id, ended_at=1_700_000_000.0 + 125, reason="stopped")
    rows = json.loads(run_cli("sessions", "--json").stdout)
    summary = [(r["id"], r["peak_viewers"], r["total_chat"], r["total_minutes"]) for r in rows]
    assert summary == [(s.id, 12, 4, 3)]
    table = list(csv.DictReader(io.StringIO(run_cli("sessions", "--csv").stdout)))
    assert table[0]["call_cid"] == "livestream:show" and table[0]["end_reason"] == "stopped"


@pytest.mark.parametrize("args", [["no-such-command"], ["sessions", "--json", "--csv"], ["obs"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    out = run_cli(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_runtime_errors_are_one_line_exit_1(isolated_home) -> None:
    (isolated_home / "streamdesk.sqlite3").write_bytes(b"this is not a database" * 100)
    out = run_cli("status")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_a_bug_is_one_sentence_that_says_so_and_where_the_details_are(capsys, isolated_home) -> None:
    """An exception nobody expected (a bug, not the streamer's doing): no traceback, the blame on
    streamdesk, and the log's place."""
    import argparse

    from streamdesk.cli._common import run_handler

    def broken(_args: argparse.Namespace, _ctx: object) -> int:
        return {}["missing"]  # type: ignore[no-any-return]

    assert run_handler(broken, argparse.Namespace()) == 1
    err = capsys.readouterr().err.strip()
    said = "streamdesk: a bug in streamdesk stopped this (KeyError); the details are in the log under"
    assert err.startswith(said), err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert "unexpected" not in err
