"""peek_settings: the first frame's theme and geometry read straight from the store's database,
which stays the one place they live. It must read what the Store wrote, and never fail, write, or
follow a link: whatever is wrong with the database, Store.open reports it after the paint."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from streamdesk.core.settings_peek import peek_settings
from streamdesk.core.store import Store

KEYS = ("ui.theme", "ui.window")


def _store(folder: Path) -> Store:
    folder.mkdir(exist_ok=True)
    return Store.open(folder / "streamdesk.sqlite3")


def test_reads_what_the_store_wrote(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.put_setting("ui.theme", "dark")
    store.put_setting("ui.window", {"geometry": "01d9", "stage": "obs"})
    store.put_setting("channel", {"api_key": "k"})  # not asked for: not read
    store.close()
    assert peek_settings(store.path, KEYS) == {"ui.theme": "dark",
                                               "ui.window": {"geometry": "01d9", "stage": "obs"}}


def test_sees_a_write_still_in_the_log_of_an_open_store(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.put_setting("ui.theme", "light")  # the store keeps its connection (WAL not checkpointed)
    assert Path(f"{store.path}-wal").exists()
    assert peek_settings(store.path, KEYS) == {"ui.theme": "light"}
    store.put_setting("ui.theme", "dark")  # and the store still writes after the peek
    assert peek_settings(store.path, KEYS) == {"ui.theme": "dark"}
    for p in (store.path, Path(f"{store.path}-wal"), Path(f"{store.path}-shm")):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    store.close()


def test_a_missing_database_gives_nothing_and_is_not_created(tmp_path: Path) -> None:
    database = tmp_path / "streamdesk.sqlite3"
    assert peek_settings(database, KEYS) == {}
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_or_foreign_database_gives_nothing(tmp_path: Path) -> None:
    database = tmp_path / "streamdesk.sqlite3"
    database.write_bytes(b"not a database at all" * 100)
    assert peek_settings(database, KEYS) == {}
    database.unlink()
    database.mkdir()  # a folder in the way
    assert peek_settings(database, KEYS) == {}


def test_a_database_without_the_settings_table_gives_nothing(tmp_path: Path) -> None:
    import sqlite3

    database = tmp_path / "streamdesk.sqlite3"
    sqlite3.connect(database).execute("CREATE TABLE other (x)").connection.close()
    assert peek_settings(database, KEYS) == {}


def test_a_value_that_is_not_json_gives_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('ui.theme', 'not json')")
    store.close()
    assert peek_settings(store.path, KEYS) == {}


def test_a_planted_link_is_not_followed(tmp_path: Path) -> None:
    elsewhere = _store(tmp_path / "elsewhere")
    elsewhere.put_setting("ui.theme", "dark")
    elsewhere.close()
    home = tmp_path / "home"
    home.mkdir()
    os.symlink(elsewhere.path, home / "streamdesk.sqlite3")
    assert peek_settings(home / "streamdesk.sqlite3", KEYS) == {}
    # nor a link in place of the log next to a real database
    store = _store(home / "real")
    store.put_setting("ui.theme", "dark")
    store.close()
    os.symlink(tmp_path / "target", f"{store.path}-wal")
    assert peek_settings(store.path, KEYS) == {}
    assert not (tmp_path / "target").exists()
