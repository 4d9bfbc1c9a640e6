"""core/session_lock.py: one holder across processes, freed when the holder dies, 0600, no symlinks."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from streamdesk.core.session_lock import LOCK_MODE, LockHeld, LockUnavailable, SessionLock
from tests.plugins.processes import REPO

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and symlinks")

HOLDER = """
import sys
from streamdesk.core.session_lock import SessionLock
lock = SessionLock(sys.argv[1])
print("held", flush=True)
sys.stdin.read()  # hold until the parent closes our stdin or kills us
lock.release()
"""


def test_a_second_holder_in_the_same_process_is_refused_then_admitted_after_release(tmp_path: Path) -> None:
    path = tmp_path / "recorder-1.lock"
    first = SessionLock(path)
    with pytest.raises(LockHeld) as info:
        SessionLock(path)
    assert info.value.pid == os.getpid()
    assert f"process {os.getpid()}" in info.value.one_line()
    first.release()
    first.release()  # idempotent
    assert not first.held
    second = SessionLock(path)
    assert second.held
    second.release()


def test_another_process_holds_it_until_it_dies(tmp_path: Path) -> None:
    path = tmp_path / "recorder-2.lock"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld) as info:
            SessionLock(path)
        assert info.value.pid == proc.pid
        proc.kill()  # no release: the operating system drops the lock with the process
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()
    lock = SessionLock(path)
    assert lock.held
    lock.release()


def test_release_from_another_thread(tmp_path: Path) -> None:
    """The GUI's recorder may be closed on another thread than the one that opened it."""
    path = tmp_path / "recorder-3.lock"
    box: list[SessionLock] = []
    opener = threading.Thread(target=lambda: box.append(SessionLock(path)))
    opener.start()
    opener.join(timeout=30)
    box[0].release()
    again = SessionLock(path)
    again.release()


@posix_only
def test_lock_and_pid_files_are_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "recorder-4.lock"
    old = os.umask(0)
    try:
        lock = SessionLock(path)
    finally:
        os.umask(old)
    try:
        assert stat.S_IMODE(path.stat().st_mode) == LOCK_MODE == 0o600
        assert stat.S_IMODE(lock.pid_file.stat().st_mode) == 0o600
        assert lock.pid_file.read_text() == str(os.getpid())
    finally:
        lock.release()
    assert not lock.pid_file.exists()


@posix_only
@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
def test_a_symlink_at_the_lock_path_is_refused_not_followed(tmp_path: Path, dangling: bool) -> None:
    target = tmp_path / "victim"
    if not dangling:
        target.write_text("precious")
        target.chmod(0o644)
    path = tmp_path / "recorder-5.lock"
    path.symlink_to(target)
    with pytest.raises(LockUnavailable, match="symbolic link") as info:
        SessionLock(path)
    assert str(path) in info.value.one_line()
    if dangling:
        assert not target.exists(), "the lock created the symlink's target"
    else:
        assert target.read_text() == "precious" and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert not (tmp_path / "recorder-5.lock.pid").exists()


@posix_only
def test_a_symlink_at_the_pid_path_is_replaced_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.write_text("precious")
    path = tmp_path / "recorder-6.lock"
    (tmp_path / "recorder-6.lock.pid").symlink_to(target)
    lock = SessionLock(path)
    try:
        assert target.read_text() == "precious"
        assert not lock.pid_file.is_symlink() and lock.pid_file.read_text() == str(os.getpid())
    finally:
        lock.release()
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_garbage_pid_file_names_no_process(tmp_path: Path) -> None:
    path = tmp_path / "recorder-7.lock"
    lock = SessionLock(path)
    try:
        lock.pid_file.write_text("not a pid; rm -rf /")
        with pytest.raises(LockHeld) as info:
            SessionLock(path)
        assert info.value.pid is None and "process" not in info.value.one_line()
    finally:
        lock.release()
