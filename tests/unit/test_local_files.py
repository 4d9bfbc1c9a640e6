"""Local files under attack (issue 13 item 5) and the keyring / settings guards (item 7).

A STREAMDESK_HOME that others can write or that belongs to someone else is refused (never
chmodded); log, lock and database files are never opened through a planted symlink and are
0600; a full or read-only disk gets a precise sentence that never suggests deleting history."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest

from streamdesk.cli import main
from streamdesk.core import secrets
from streamdesk.core.paths import HomeError, Paths, describe_os_error, open_private
from streamdesk.core.secrets import KeyringLocked, SecretKind, SecretStore, setup_logging
from streamdesk.core.store import Store, StoreError, _database_error

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions; Windows relies on the ACL")
DELETE_WORDS = ("delete", "remove", "move it aside", "start fresh")


@posix_only
def test_a_world_writable_home_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    home = tmp_path / "shared"
    home.mkdir()
    os.chmod(home, 0o1777)
    with pytest.raises(HomeError, match=r"can be written by other users \(mode 1777\)"):
        Paths(home).ensure()
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o1777  # not chmodded to 0700
    assert not (home / "logs").exists()


@posix_only
def test_a_home_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a folder away")
    home = tmp_path / "theirs"
    home.mkdir(mode=0o700)
    os.chown(home, 4242, 4242)
    with pytest.raises(HomeError, match=r"belongs to another user \(uid 4242\)"):
        Paths(home).ensure()


def test_a_home_that_is_a_file_says_so(tmp_path: Path) -> None:
    home = tmp_path / "file"
    home.write_text("x")
    with pytest.raises(HomeError, match="is a file, not a folder"):
        Paths(home).ensure()


def test_an_existing_private_home_is_used_and_a_new_one_created_0700(tmp_path: Path) -> None:
    Paths(tmp_path / "new" / "home").ensure()
    assert stat.S_IMODE(os.stat(tmp_path / "new" / "home").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "new" / "home" / "logs").st_mode) == 0o700


@posix_only
def test_the_cli_exits_1_with_one_sentence_on_a_shared_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "tmpish"
    home.mkdir()
    os.chmod(home, 0o777)
    monkeypatch.setenv("STREAMDESK_HOME", str(home))
    assert main(["status", "--offline"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "can be written by other users" in err
    assert "unexpected error" not in err


@posix_only
def test_a_planted_log_symlink_is_not_followed(isolated_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.write_text("precious\n")
    os.chmod(target, 0o644)
    paths = Paths(isolated_home).ensure()
    paths.log_file.symlink_to(target)
    with pytest.raises(HomeError, match="symbolic link"):
        setup_logging(paths.log_file)
    assert target.read_text() == "precious\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644


@posix_only
@pytest.mark.parametrize("name", ["streamdesk.sqlite3", "streamdesk.sqlite3-wal"])
def test_a_planted_database_symlink_is_not_followed(name: str, isolated_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.write_bytes(b"")
    os.chmod(target, 0o644)
    paths = Paths(isolated_home).ensure()
    (isolated_home / name).symlink_to(target)
    with pytest.raises(StoreError, match="symbolic link"):
        Store.open(paths.database)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644


@posix_only
def test_open_private_creates_0600_tightens_wider_and_refuses_links(tmp_path: Path) -> None:
    os.umask(0o022)
    fresh = tmp_path / "a.lock"
    os.close(open_private(fresh))
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o600
    wide = tmp_path / "b.lock"
    wide.write_text("")
    os.chmod(wide, 0o644)
    os.close(open_private(wide))
    assert stat.S_IMODE(os.stat(wide).st_mode) == 0o600
    link = tmp_path / "c.lock"
    link.symlink_to(wide)
    with pytest.raises(OSError) as e:
        open_private(link)
    assert e.value.errno == errno.ELOOP


@posix_only
def test_database_and_session_lock_files_are_0600(isolated_home: Path) -> None:
    from streamdesk.core.live import _SessionLock

    paths = Paths(isolated_home).ensure()
    store = Store.open(paths.database)
    store.put_setting("x", 1)
    for p in isolated_home.glob("streamdesk.sqlite3*"):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, p
    lock = _SessionLock(paths.lock_dir / "session-1.lock", 1)
    try:
        assert stat.S_IMODE(os.stat(paths.lock_dir / "session-1.lock").st_mode) == 0o600
    finally:
        lock.release()


@pytest.mark.parametrize("error,expected", [
    (OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
    (OSError(errno.EROFS, "Read-only file system"), "read-only file system"),
    (OSError(errno.ENOTDIR, "Not a directory"), "a file is in the way"),
])
def test_disk_full_read_only_and_a_file_in_the_way_each_have_a_precise_sentence(error: OSError,
                                                                                 expected: str) -> None:
    text = describe_os_error(error, "/home/x/streamdesk", what="The streamdesk folder /home/x/streamdesk")
    assert (expected in text and "nothing" in text) or "file is in the way" in text
    assert not any(word in text.lower() for word in DELETE_WORDS)


@pytest.mark.parametrize("message,expected", [
    ("database or disk is full", "the disk is full"),
    ("attempt to write a readonly database", "cannot be opened for writing"),
    ("unable to open database file", "cannot be opened for writing"),
])
def test_sqlite_failures_are_not_called_damage(message: str, expected: str) -> None:
    text = _database_error(sqlite3.OperationalError(message), Path("/h/streamdesk.sqlite3")).one_line()
    assert expected in text and "damaged" not in text
    assert not any(word in text.lower() for word in DELETE_WORDS)


def test_even_real_damage_does_not_invite_deleting_the_history() -> None:
    text = _database_error(sqlite3.DatabaseError("file is not a database"), Path("/h/db")).one_line()
    assert "damaged" in text and "Keep the file" in text
    assert not any(word in text.lower() for word in ("delete", "move it aside", "start fresh"))


# -- keyring and settings (item 7) ------------------------------------------------------------------------
class HungKeyring:
    """A backend whose every call blocks (a prompt nobody can answer, a stuck D-Bus)."""

    priority = 1

    def __init__(self) -> None:
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.release.wait(30)


def test_a_hung_keyring_is_a_clear_error_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMDESK_KEYRING_TIMEOUT", "0.5")
    backend = HungKeyring()
    monkeypatch.setattr(secrets, "_vet", lambda b: b)
    store = SecretStore(backend)  # type: ignore[arg-type]
    try:
        for call in (lambda: store.get(SecretKind.API_SECRET, "k"),
                     lambda: store.set(SecretKind.API_SECRET, "value-1234", "k")):
            started = time.monotonic()
            with pytest.raises(KeyringLocked, match=r"did not answer within 0\.5 s"):
                call()
            assert time.monotonic() - started < 2
    finally:
        backend.release.set()


def test_the_default_keyring_timeout_is_about_ten_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMDESK_KEYRING_TIMEOUT", raising=False)
    assert secrets.keyring_timeout() == 10.0
    monkeypatch.setenv("STREAMDESK_KEYRING_TIMEOUT", "nan")
    assert secrets.keyring_timeout() == 10.0


WEBHOOK = "https://discord.com/api/webhooks/123456789/abcdefghijklmnopqrstuvwxyz0123456789"


@pytest.mark.parametrize("extra", [["--title", "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoieCJ9.sig"],
                                   ["--link", "ftp://example.com/watch"],
                                   ["--link", WEBHOOK]])
def test_discord_set_stores_nothing_when_any_argument_is_refused(extra: list[str], memory_keyring: object,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(WEBHOOK + "\n"))
    assert main(["discord", "set", "--url-stdin", *extra]) == 2
    err = capsys.readouterr().err
    assert "unexpected error" not in err and len(err.strip().splitlines()) == 1
    assert SecretStore().get(SecretKind.DISCORD_WEBHOOK, "") is None


# -- numbers on the command line (item 8) -----------------------------------------------------------------
def _numeric_options() -> list[tuple[str, str, object]]:
    import argparse

    from streamdesk.cli import build_parser

    found = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{prefix} {name}".strip())
            elif action.type is float or getattr(action.type, "__name__", "") == "finite_float":
                found.append((prefix, action.option_strings[0], action.type))

    walk(build_parser(), "")
    return found


def test_no_numeric_option_uses_plain_float() -> None:
    options = _numeric_options()
    assert {"--timeout", "--for", "--key-ttl"} <= {opt for _cmd, opt, _t in options}
    assert [(cmd, opt) for cmd, opt, kind in options if kind is float] == []


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_every_fractional_option_refuses_nan_and_infinity(value: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    for command, option, _kind in _numeric_options():
        with pytest.raises(SystemExit) as e:
            main([*command.split(), f"{option}={value}"])
        assert e.value.code == 2, (command, option)
        assert "not a finite number" in capsys.readouterr().err
