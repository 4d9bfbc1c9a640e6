"""One holder at a time, across processes: an exclusive, non-blocking OS file lock.

Portable through ``filelock``: ``flock`` on Linux and macOS, ``LockFileEx`` on Windows. Both are
dropped by the operating system when the holder dies, so a crashed process never leaves a stale
lock behind. (Where the filesystem has no ``flock``, filelock falls back to its own soft lock,
which recognises a dead holder by its process id.)

The lock file is created 0600 (on Windows filelock gives an owner-only file a private ACL) and is
never opened through a symlink: filelock >= 3.20.1 opens it with ``O_NOFOLLOW`` on POSIX and
without following reparse points on Windows. A link planted at the lock's path is refused with
one sentence instead.

The holder's process id goes into a sidecar file (``<lock>.pid``), not into the lock file:
Windows' ``LockFileEx`` is mandatory, so no other process could read the locked file to say who
holds it. The sidecar is written to a new file and renamed into place, which replaces a planted
symlink rather than following it, with or without ``O_NOFOLLOW``.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from streamdesk.core.errors import StreamdeskError

if TYPE_CHECKING:
    from filelock import BaseFileLock

log = logging.getLogger(__name__)

LOCK_MODE = 0o600
#: no O_NOFOLLOW on Windows; the lock directory sits in the user's profile there (docs/platforms.md)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_PID_MAX_BYTES = 32


class LockHeld(StreamdeskError):
    """Another process (or another holder in this one) has the lock. ``pid``: who, when known."""

    def __init__(self, path: Path, pid: int | None) -> None:
        who = f" (process {pid})" if pid else ""
        super().__init__(f"{path.name} is held by another streamdesk{who}.")
        self.pid = pid


class LockUnavailable(StreamdeskError):
    """The lock file cannot be used at all (a symlink at its path, no permission, a read-only disk)."""


class SessionLock:
    """Take the lock at ``path`` now or raise ``LockHeld``; hold it until ``release``.

    Not thread-bound: the thread that releases need not be the one that acquired."""

    def __init__(self, path: os.PathLike[str] | str) -> None:
        from filelock import FileLock, Timeout  # lazy: ~50 ms, and only a recorder needs it

        self.path = Path(path)
        self.pid_file = self.path.with_name(self.path.name + ".pid")
        self._lock: BaseFileLock | None = FileLock(self.path, mode=LOCK_MODE, thread_local=False)
        try:
            self._lock.acquire(blocking=False)
        except Timeout:
            self._lock = None
            if self.path.is_symlink():  # filelock's soft fallback reads a link it cannot create as "held"
                raise _unavailable(self.path, OSError(errno.ELOOP, "symbolic link")) from None
            raise LockHeld(self.path, self._holder()) from None
        except OSError as e:
            self._lock = None
            raise _unavailable(self.path, e) from None
        self._write_pid()

    @property
    def held(self) -> bool:
        return self._lock is not None

    def release(self) -> None:
        """Let the next holder in (idempotent)."""
        lock, self._lock = self._lock, None
        if lock is None:
            return
        try:
            self.pid_file.unlink(missing_ok=True)  # while still holding: no one else writes it now
        except OSError:
            pass  # a stale pid file is only a hint, rewritten by the next holder
        finally:
            lock.release()

    def _write_pid(self) -> None:
        """Best effort (it only names the holder in a message). Written to a new file, then renamed over
        the old one: a rename replaces a symlink planted there instead of following it, on every OS."""
        tmp = self.pid_file.with_name(f"{self.pid_file.name}.{os.getpid()}.tmp")
        try:
            tmp.unlink(missing_ok=True)  # left by a crashed process with our pid
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, LOCK_MODE)
            try:
                os.write(fd, str(os.getpid()).encode("ascii"))
            finally:
                os.close(fd)
            os.replace(tmp, self.pid_file)
        except OSError as e:  # e.g. Windows: a reader has the old file open; the lock itself is held
            log.info("could not record the lock holder in %s: %s", self.pid_file.name, e.strerror)
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    def _holder(self) -> int | None:
        """The holder's process id from the sidecar, or None (not written yet, or not ours to read)."""
        try:
            fd = os.open(self.pid_file, os.O_RDONLY | _NOFOLLOW | _BINARY)
        except OSError:
            return None
        try:
            text = os.read(fd, _PID_MAX_BYTES).decode("ascii", "replace").strip()
        except OSError:
            return None
        finally:
            os.close(fd)
        return int(text) if text.isdigit() and 0 < int(text) < 2**32 else None


def _unavailable(path: Path, e: OSError) -> LockUnavailable:
    if e.errno == errno.ELOOP or path.is_symlink():
        return LockUnavailable(
            f"{path} is a symbolic link, and streamdesk does not follow links in its data directory.",
            hint=f"Remove {path} and try again.",
        )
    return LockUnavailable(f"Cannot use the lock file {path}: {e.strerror or type(e).__name__}.",
                           hint="Check that streamdesk's data directory is yours and writable.")
