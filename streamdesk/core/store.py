"""SQLite store (stdlib ``sqlite3``): settings, channel config, live sessions and their samples.

Never holds a secret: the API secret, stream key, OBS password and Discord webhook live in the
keyring (``core.secrets``). ``put_setting`` refuses values that look like one, as a last guard.

One connection per thread (sqlite3 connections must not be shared across threads); WAL so the
GUI can read history while the recorder writes; every write is one short transaction, so a
crash loses at most the transaction in flight.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from streamdesk.core.errors import InvalidInput, StreamdeskError
from streamdesk.core.keys import JWT
from streamdesk.core.paths import describe_os_error, open_private

#: one past the last migration: a new migration is appended to ``MIGRATIONS`` and this follows
SCHEMA_VERSION = 2

# Each entry upgrades the schema from version i to i+1. Append, never edit a shipped one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL             -- JSON
    );
    CREATE TABLE sessions (
        id              INTEGER PRIMARY KEY,
        call_cid        TEXT NOT NULL,
        gs_session_id   TEXT,           -- GetStream's call session id, when known
        started_at      REAL NOT NULL,  -- Unix seconds: the call went live
        ended_at        REAL,
        total_minutes   INTEGER,
        peak_viewers    INTEGER NOT NULL DEFAULT 0,
        total_chat      INTEGER NOT NULL DEFAULT 0,
        end_reason      TEXT,
        last_message_id TEXT            -- chat cursor, so a restart does not count twice
    );
    CREATE INDEX sessions_open ON sessions (call_cid, ended_at);
    CREATE TABLE samples (
        session_id   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        t            REAL NOT NULL,     -- Unix seconds
        viewers      INTEGER,           -- NULL when the poll failed
        chat         INTEGER NOT NULL DEFAULT 0,  -- messages new since the previous sample
        bitrate_kbps REAL               -- NULL when OBS is not connected
    );
    CREATE INDEX samples_session_t ON samples (session_id, t);
    """,
    # 2: the after-show summary (unique chatters, top chatters, busiest minute, OBS health,
    # whether Discord was told). Chat authors per poll, counted where the poll counts messages.
    """
    CREATE TABLE chat_authors (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        t          REAL NOT NULL,        -- the poll's time (its sample's t)
        user_id    TEXT NOT NULL,
        messages   INTEGER NOT NULL      -- this author's messages counted by that poll
    );
    CREATE INDEX chat_authors_session_t ON chat_authors (session_id, t);
    ALTER TABLE samples ADD COLUMN dropped_frames INTEGER;  -- OBS network drops so far (cumulative)
    ALTER TABLE samples ADD COLUMN total_frames INTEGER;    -- OBS frames output so far (cumulative)
    ALTER TABLE sessions ADD COLUMN discord_live TEXT;      -- 'sent' | 'failed'; NULL: not configured
    ALTER TABLE sessions ADD COLUMN discord_ended TEXT;
    """,
]

_SECRETISH = [
    JWT,  # the stream key, a server token
    re.compile(r"discord(?:app)?\.com/api/webhooks/", re.I),
]


class StoreError(StreamdeskError):
    """The database could not be opened, is damaged, or is of a newer version than this app knows."""


def _database_error(e: sqlite3.Error, path: Path) -> StoreError:
    """One precise sentence per failure. Only real damage says "damaged"; a full disk, a read-only
    home or a file in the way never suggests moving or deleting the history."""
    code = getattr(e, "sqlite_errorcode", None)
    text = str(e).lower()
    if code == sqlite3.SQLITE_FULL or "disk is full" in text:
        return StoreError(describe_os_error(OSError(errno.ENOSPC, "disk full"), path,
                                            what=f"The database {path}"))
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN) or "readonly" in text \
            or "unable to open" in text:
        return StoreError(f"The database {path} cannot be opened for writing (read-only file system, "
                          f"permissions, or a folder in the way); nothing was lost ({e}).",
                          hint="Make the streamdesk folder writable or set STREAMDESK_HOME elsewhere.")
    if code == sqlite3.SQLITE_IOERR or "disk i/o" in text:
        return StoreError(f"The disk holding the database {path} reported an I/O error ({e}); "
                          "nothing was deleted.", hint="Check the disk, then try again.")
    return StoreError(
        f"The database {path} is damaged or not a streamdesk database ({e}).",
        hint="Keep the file (it holds your session history): copy it somewhere safe and tell us; "
             "your keyring secrets are not in it.",
    )


class SecretLikeSetting(InvalidInput, ValueError):
    """A setting that looks like a secret (a JWT, a webhook URL): secrets belong in the keyring."""


def check_setting(key: str, value: Any) -> None:
    """Raise :class:`SecretLikeSetting` (an ``InvalidInput``) for a value ``put_setting`` refuses,
    so a command can check every argument before storing any of them."""
    _check_not_secret(key, value)


@dataclass
class ChannelConfig:
    """Everything about the streamer's GetStream channel that is not a secret."""

    api_key: str = ""
    api_base: str = ""
    user_id: str = ""
    call_type: str = "livestream"
    call_id: str = ""
    chat_cid: str = ""
    rtmps_url: str = ""
    key_expires_at: float | None = None  # Unix seconds; the key itself is in the keyring
    provisioned_at: float | None = None

    @property
    def call_cid(self) -> str:
        return f"{self.call_type}:{self.call_id}" if self.call_id else ""

    @property
    def has_account(self) -> bool:
        return bool(self.api_key and self.user_id and self.call_id)

    @property
    def is_provisioned(self) -> bool:
        return bool(self.provisioned_at and self.rtmps_url)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChannelConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Session:
    id: int
    call_cid: str
    started_at: float
    ended_at: float | None = None
    total_minutes: int | None = None
    peak_viewers: int = 0
    total_chat: int = 0
    end_reason: str | None = None
    gs_session_id: str | None = None
    last_message_id: str | None = None
    discord_live: str | None = None  # 'sent' | 'failed' | None (Discord not configured / not tried)
    discord_ended: str | None = None

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


@dataclass
class Sample:
    t: float
    viewers: int | None
    chat: int = 0
    bitrate_kbps: float | None = None
    dropped_frames: int | None = None  # OBS's cumulative network-dropped frames, when OBS was read
    total_frames: int | None = None


@dataclass(frozen=True)
class ChatAuthorCount:
    """How many of one poll's counted messages one chat author wrote."""

    t: float
    user_id: str
    messages: int


def total_minutes(started_at: float, ended_at: float) -> int:
    """Minutes from live start to end, partial minutes rounded up (how streaming minutes are
    counted for usage); a session that went live at all counts at least one minute."""
    seconds = max(0.0, ended_at - started_at)
    return max(1, math.ceil(seconds / 60 - 1e-9))


def _statements(script: str) -> list[str]:
    """Split a migration into statements the way SQLite does, so a ``;`` inside a trigger body,
    a string or a comment does not cut a statement (``executescript`` would, but it commits the
    open transaction and a migration must apply whole or not at all)."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise StoreError(f"incomplete SQL statement in a migration: {pending.strip()[:60]}")
    return statements


def _check_not_secret(key: str, value: Any) -> None:
    text = json.dumps(value)
    for pattern in _SECRETISH:
        if pattern.search(text):
            raise SecretLikeSetting(f"Refusing to store what looks like a secret under setting {key!r}.",
                                    hint="Secrets belong in the keyring.")


@dataclass
class Store:
    path: Path
    _local: threading.local = field(default_factory=threading.local, repr=False)

    # -- connection ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> Store:
        store = cls(Path(path))
        try:
            store._migrate()
        except sqlite3.DatabaseError as e:
            store.close()
            raise _database_error(e, Path(path)) from None
        return store

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            files = (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            old = os.umask(0o077)
            try:
                # The database and its WAL files: never through a planted symlink, always 0600
                # (sqlite itself would follow a link). open_private creates the database file.
                for i, p in enumerate(files):
                    if i == 0 or os.path.lexists(p):
                        os.close(open_private(p, os.O_RDWR | (os.O_CREAT if i == 0 else 0)))
                conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            except OSError as e:
                raise StoreError(describe_os_error(e, self.path, what=f"The database {self.path}")) from None
            except sqlite3.Error as e:
                raise _database_error(e, self.path) from None
            finally:
                os.umask(old)
            conn.row_factory = sqlite3.Row
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
            except sqlite3.Error as e:
                conn.close()
                raise _database_error(e, self.path) from None
            self._local.conn = conn
            for p in files[1:]:  # created by sqlite just now, with the database's mode
                if os.path.lexists(p):
                    try:
                        os.close(open_private(p, os.O_RDWR))
                    except OSError as e:
                        raise StoreError(describe_os_error(e, p, what=f"The database file {p}")) from None
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def schema_version(self) -> int:
        conn = self._conn()
        has = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).fetchone()
        if not has:
            return 0
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the database {self.path} was written by a newer streamdesk "
                    f"(schema {version}, this version knows {SCHEMA_VERSION}); upgrade streamdesk"
                )
            for i in range(version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[i]):
                    conn.execute(statement)
            if row is None:
                conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            else:
                conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    # -- settings -------------------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self._conn().execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def put_setting(self, key: str, value: Any) -> None:
        _check_not_secret(key, value)
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def delete_setting(self, key: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM settings WHERE key = ?", (key,))

    def channel(self) -> ChannelConfig:
        return ChannelConfig.from_json(self.get_setting("channel", {}))

    def save_channel(self, channel: ChannelConfig) -> None:
        self.put_setting("channel", asdict(channel))

    # -- sessions -------------------------------------------------------------------------------
    def start_session(self, call_cid: str, started_at: float, gs_session_id: str | None = None) -> Session:
        """Open a session row for a call that went live; returns the already-open one if any
        (a restart while live resumes the same row instead of opening a second)."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM sessions WHERE call_cid = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1",
                (call_cid,),
            ).fetchone()
            if row is not None:
                return _session(row)
            cur = conn.execute(
                "INSERT INTO sessions (call_cid, gs_session_id, started_at) VALUES (?, ?, ?)",
                (call_cid, gs_session_id, started_at),
            )
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (cur.lastrowid,)).fetchone()
            return _session(row)

    def open_session(self, call_cid: str | None = None) -> Session | None:
        sql = "SELECT * FROM sessions WHERE ended_at IS NULL"
        args: tuple[Any, ...] = ()
        if call_cid is not None:
            sql += " AND call_cid = ?"
            args = (call_cid,)
        row = self._conn().execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return None if row is None else _session(row)

    def get_session(self, session_id: int) -> Session | None:
        row = self._conn().execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else _session(row)

    def list_sessions(self) -> list[Session]:
        rows = self._conn().execute("SELECT * FROM sessions ORDER BY started_at DESC, id DESC").fetchall()
        return [_session(r) for r in rows]

    def add_sample(self, session_id: int, sample: Sample, last_message_id: str | None = None,
                   authors: Mapping[str, int] | None = None) -> Session:
        """Record one poll and update the row's peak and total in the same transaction, so the
        row and its samples never disagree, even after a crash.

        A sample after the row's end is not recorded (the row is returned unchanged): a poll that
        raced the end of the show (``stop`` from the GUI or the CLI) must not add viewers or chat
        to a closed session. The caller sees ``ended_at`` set and finishes instead."""
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is not None and row["ended_at"] is not None and sample.t > row["ended_at"]:
                return _session(row)
            conn.execute(
                "INSERT INTO samples (session_id, t, viewers, chat, bitrate_kbps, dropped_frames,"
                " total_frames) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, sample.t, sample.viewers, sample.chat, sample.bitrate_kbps,
                 sample.dropped_frames, sample.total_frames),
            )
            if authors:
                conn.executemany(
                    "INSERT INTO chat_authors (session_id, t, user_id, messages) VALUES (?, ?, ?, ?)",
                    [(session_id, sample.t, user, n) for user, n in authors.items() if n > 0],
                )
            conn.execute(
                "UPDATE sessions SET peak_viewers = MAX(peak_viewers, COALESCE(?, 0)),"
                " total_chat = total_chat + ?,"
                " last_message_id = COALESCE(?, last_message_id) WHERE id = ?",
                (sample.viewers, sample.chat, last_message_id, session_id),
            )
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise StoreError(f"session {session_id} does not exist")
        return _session(row)

    def end_session(self, session_id: int, ended_at: float | None = None, reason: str = "ended") -> Session:
        ended_at = time.time() if ended_at is None else ended_at
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                raise StoreError(f"session {session_id} does not exist")
            if row["ended_at"] is None:
                conn.execute(
                    "UPDATE sessions SET ended_at = ?, total_minutes = ?, end_reason = ? WHERE id = ?",
                    (ended_at, total_minutes(row["started_at"], ended_at), reason, session_id),
                )
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return _session(row)

    def samples(self, session_id: int) -> list[Sample]:
        rows = self._conn().execute(
            "SELECT t, viewers, chat, bitrate_kbps, dropped_frames, total_frames FROM samples"
            " WHERE session_id = ? ORDER BY t",
            (session_id,),
        ).fetchall()
        return [Sample(r["t"], r["viewers"], r["chat"], r["bitrate_kbps"], r["dropped_frames"],
                       r["total_frames"]) for r in rows]

    def chat_authors(self, session_id: int) -> list[ChatAuthorCount]:
        """Who wrote the counted chat messages, per poll, oldest first."""
        rows = self._conn().execute(
            "SELECT t, user_id, messages FROM chat_authors WHERE session_id = ? ORDER BY t, user_id",
            (session_id,),
        ).fetchall()
        return [ChatAuthorCount(r["t"], r["user_id"], r["messages"]) for r in rows]

    def set_discord_status(self, session_id: int, kind: str, status: str) -> None:
        """Remember whether the go-live (``kind="live"``) or end (``"ended"``) post went out."""
        column = {"live": "discord_live", "ended": "discord_ended"}[kind]
        with self.transaction() as conn:
            conn.execute(f"UPDATE sessions SET {column} = ? WHERE id = ?", (status, session_id))


def _session(row: sqlite3.Row) -> Session:
    return Session(**{k: row[k] for k in row.keys()})  # noqa: SIM118 (sqlite3.Row has no iterator of keys)
