"""Read a few settings from the store's database without opening the ``Store``: the window's theme
and geometry, which its first frame needs before the store (and json's, dataclasses' and the
migrations' cost) is paid for after the paint (bench/startup.py).

Read-only and forgiving: no migration, no write; a database that does not exist yet, is damaged,
locked or planted as a link gives no values (the defaults), and ``Store.open`` reports the problem
in one sentence when the app opens it for real. The settings still live in one place, the store's
``settings`` table; tests/unit/test_settings_peek.py checks that this reads what ``put_setting`` wrote.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from streamdesk.core.paths import open_private

if TYPE_CHECKING:
    import sqlite3


def peek_settings(database: Path, keys: Iterable[str]) -> dict[str, Any]:
    """The saved values of ``keys`` that exist (JSON-decoded), or {} when they cannot be read."""
    keys = list(keys)
    files = (database, Path(f"{database}-wal"), Path(f"{database}-shm"))
    if not keys or not os.path.lexists(database):
        return {}  # a first start: nothing saved, and sqlite3 need not even be imported
    import json
    import sqlite3
    old = os.umask(0o077)  # a reader in WAL mode may create the -shm/-wal files: 0600 like the store's
    conn: sqlite3.Connection | None = None
    try:
        for p in files:  # the store's rule: never through a link, regular files only
            if os.path.lexists(p):
                os.close(open_private(p, os.O_RDONLY))
        conn = sqlite3.connect(f"file:{quote(str(database))}?mode=ro", uri=True, timeout=1)
        marks = ",".join("?" * len(keys))
        rows = conn.execute(f"SELECT key, value FROM settings WHERE key IN ({marks})", keys).fetchall()
        return {str(key): json.loads(value) for key, value in rows}
    except (OSError, sqlite3.Error, ValueError):
        return {}
    finally:
        if conn is not None:
            conn.close()
        os.umask(old)
