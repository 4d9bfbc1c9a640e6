"""The SQLite store: schema, permissions, sessions, and surviving a killed writer."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from streamdesk.core.paths import get_paths
from streamdesk.core.store import SCHEMA_VERSION, ChannelConfig, Sample, Store, StoreError, total_minutes


@pytest.fixture
def store(isolated_home: Path) -> Store:
    return Store.open(get_paths().database)


def test_home_and_database_are_private(store: Store, isolated_home: Path) -> None:
    store.put_setting("x", 1)
    paths = get_paths()
    assert paths.root == isolated_home
    if os.name != "posix":  # Windows: the user profile's ACL keeps it private (docs/platforms.md)
        return
    for d in (paths.root, paths.log_dir, paths.lock_dir):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    for f in isolated_home.glob("streamdesk.sqlite3*"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_schema_version_and_wal(store: Store) -> None:
    assert store.schema_version() == SCHEMA_VERSION
    assert store._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # opening again is a no-op migration
    assert Store.open(store.path).schema_version() == SCHEMA_VERSION


def test_refuses_a_database_from_a_newer_version(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    store.close()
    with pytest.raises(StoreError, match="newer streamdesk"):
        Store.open(store.path)


def test_channel_config_round_trip_ignores_unknown_keys(store: Store) -> None:
    channel = ChannelConfig(api_key="k1", user_id="host-1", call_id="show-1", rtmps_url="rtmps://x/y")
    store.save_channel(channel)
    assert store.channel() == channel
    assert store.channel().call_cid == "livestream:show-1"
    store.put_setting("channel", {**store.get_setting("channel"), "from_the_future": True})
    assert store.channel() == channel


@pytest.mark.parametrize("value", [
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiaG9zdCJ9.c2lnbmF0dXJl",
    {"nested": ["https://discord.com/api/webhooks/1/abc"]},
])
def test_refuses_to_store_secret_looking_values(store: Store, value: object) -> None:
    with pytest.raises(ValueError, match="looks like a secret"):
        store.put_setting("oops", value)
    assert store.get_setting("oops") is None


def test_session_peak_total_and_minutes(store: Store) -> None:
    s = store.start_session("livestream:a", started_at=1000.0, gs_session_id="gs-1")
    assert store.start_session("livestream:a", started_at=2000.0).id == s.id  # resumes the open row
    for t, viewers, chat in [(1003, 4, 2), (1006, None, 0), (1009, 9, 5), (1012, 7, 1)]:
        store.add_sample(s.id, Sample(t, viewers, chat), last_message_id=f"m{t}")
    row = store.get_session(s.id)
    assert (row.peak_viewers, row.total_chat, row.last_message_id) == (9, 8, "m1012")
    ended = store.end_session(s.id, ended_at=1000.0 + 61, reason="stopped")
    assert (ended.total_minutes, ended.end_reason, ended.is_open) == (2, "stopped", False)
    assert store.end_session(s.id, ended_at=9999).ended_at == 1061  # ending twice keeps the first end
    assert [x.viewers for x in store.samples(s.id)] == [4, None, 9, 7]
    assert store.open_session("livestream:a") is None


@pytest.mark.parametrize(("seconds", "minutes"), [(0, 1), (1, 1), (60, 1), (60.5, 2), (3600, 60), (3601, 61)])
def test_total_minutes_rounds_partial_minutes_up(seconds: float, minutes: int) -> None:
    assert total_minutes(100.0, 100.0 + seconds) == minutes


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from streamdesk.core.store import Store, Sample
    store = Store.open(Path(sys.argv[1]))
    session = store.start_session("livestream:crash", started_at=1000.0)
    for i in range(40):
        store.add_sample(session.id, Sample(1000.0 + i, i % 13, 1), last_message_id=f"m{i}")
        print("committed", i, flush=True)
    with store.transaction() as conn:  # killed in here: none of this may survive
        conn.execute("INSERT INTO samples (session_id, t, viewers, chat) VALUES (?, 9999, 999, 999)",
                     (session.id,))
        conn.execute("UPDATE sessions SET peak_viewers = 999, total_chat = 999")
        print("in-transaction", flush=True)
        time.sleep(60)
""")


def test_killed_writer_loses_nothing_committed(isolated_home: Path) -> None:
    db = get_paths().database
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.strip())
            if line.startswith("in-transaction"):
                break
    finally:
        proc.kill()  # SIGKILL; TerminateProcess on Windows: no chance to clean up either way
        proc.wait(timeout=10)
    committed = [ln for ln in lines if ln.startswith("committed")]
    assert len(committed) == 40 and lines[-1] == "in-transaction"

    store = Store.open(db)
    assert store._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    session = store.open_session("livestream:crash")
    samples = store.samples(session.id)
    assert len(samples) == 40
    assert session.peak_viewers == max(s.viewers for s in samples) == 12
    assert session.total_chat == sum(s.chat for s in samples) == 40
    assert session.last_message_id == "m39"
    # and the database is writable again (the dead writer's lock is gone)
    store.add_sample(session.id, Sample(2000.0, 3, 0))
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT COUNT(*) FROM samples").fetchone()[0] == 41


def test_migration_statements_split_like_sqlite() -> None:
    from streamdesk.core.store import _statements

    script = """
    CREATE TABLE a (x TEXT DEFAULT 'semi;colon');  -- a comment; with a semicolon
    CREATE TRIGGER t AFTER INSERT ON a BEGIN
        UPDATE a SET x = 'y'; UPDATE a SET x = 'z';
    END;
    """
    parts = _statements(script)
    assert len(parts) == 2
    assert parts[1].startswith("CREATE TRIGGER") and parts[1].rstrip().endswith("END;")
    with pytest.raises(StoreError, match="incomplete"):
        _statements("CREATE TABLE b (x")
