"""The one place that decides where streamdesk keeps its files.

Everything (config database, logs, OBS backups) lives under one directory so tests and
users can relocate it with ``STREAMDESK_HOME``; otherwise the platform's user data dir.
The directory is created 0700 and files inside it 0600: the database holds no secret,
but session history and channel ids are still the streamer's business.

A directory streamdesk did not create is never chmodded (``STREAMDESK_HOME=/tmp`` must not turn
/tmp into 0700); instead, like ssh with ``~/.ssh``, a home that other users could write to or that
belongs to someone else is refused. Files are opened with :func:`open_private`: never through a
symbolic link, always 0600. The POSIX checks are skipped on Windows, where the profile's ACL
keeps other users out.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from streamdesk.core.errors import InvalidInput, StreamdeskError

HOME_ENV = "STREAMDESK_HOME"
API_BASE_ENV = "STREAMDESK_API_BASE"
DEFAULT_API_BASE = "https://chat.stream-io-api.com"


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "streamdesk.sqlite3"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "streamdesk.log"

    @property
    def lock_dir(self) -> Path:
        return self.root / "locks"

    def ensure(self) -> Paths:
        """Create the directories with owner-only permissions (idempotent); refuse an existing
        home (or sub-folder) that is not a private directory of this user."""
        for d in (self.root, self.log_dir, self.lock_dir):
            _ensure_private_dir(d, is_home=d == self.root)
        return self


class HomeError(StreamdeskError):
    """STREAMDESK_HOME (or a folder in it) cannot be used; the CLI exits 1 with this sentence."""


_OTHER_HOME = "Set STREAMDESK_HOME to a folder only you can write to."


def _ensure_private_dir(d: Path, *, is_home: bool) -> None:
    what = f"The streamdesk folder {d}" if is_home else f"The folder {d}"
    try:
        old = os.umask(0o077)
        try:
            d.mkdir(mode=0o700, parents=True)
            return  # ours: created 0700 under umask 077
        finally:
            os.umask(old)
    except FileExistsError:
        pass
    except OSError as e:
        raise _os_error(e, what, d) from None
    # It was already there: check it, never chmod it (it may be /tmp or someone's shared folder).
    try:
        st = os.stat(d) if is_home else os.lstat(d)  # the home may be a link; its inside may not
    except OSError as e:
        raise _os_error(e, what, d) from None
    if stat.S_ISLNK(st.st_mode):
        raise HomeError(f"{what} is a symbolic link; streamdesk does not follow links inside its home.",
                        hint=f"Remove the link {d}.")
    if not stat.S_ISDIR(st.st_mode):
        raise HomeError(f"{what} is a file, not a folder.",
                        hint="Set STREAMDESK_HOME to a folder (streamdesk creates it if it is missing).")
    if os.name != "posix":
        return
    if st.st_uid != os.geteuid():
        raise HomeError(f"{what} belongs to another user (uid {st.st_uid}); streamdesk refuses to keep "
                        "your session history there.", hint=_OTHER_HOME)
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise HomeError(f"{what} can be written by other users (mode {stat.S_IMODE(st.st_mode):04o}); "
                        "streamdesk refuses to keep your session history there.",
                        hint=f"Run: chmod go-w {d}, or {_OTHER_HOME[0].lower()}{_OTHER_HOME[1:]}")


def _os_error(e: OSError, what: str, path: Path) -> HomeError:
    return HomeError(describe_os_error(e, path, what=what))


def describe_os_error(e: OSError, path: Path | str, *, what: str = "") -> str:
    """One precise sentence for a local file failure (disk full, read-only, a file in the way,
    permission), none of which suggests deleting anything."""
    what = what or f"streamdesk could not write {path}:"
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"{what} cannot be written: the disk is full. Free some space and try again; "
                "nothing was lost.")
    if e.errno == errno.EROFS:
        return (f"{what} is on a read-only file system. Set STREAMDESK_HOME to a writable folder; "
                "nothing was lost.")
    if e.errno in (errno.EACCES, errno.EPERM):
        return f"{what} is not writable by you (permission denied). {_OTHER_HOME}"
    if e.errno == errno.ENOTDIR:
        return f"{what} cannot be created: a file is in the way of the folder {path}."
    if e.errno == errno.ELOOP:
        return f"{what} is a symbolic link; streamdesk does not follow links inside its home."
    return f"{what} cannot be used ({e.strerror or type(e).__name__})."


#: O_NOFOLLOW where the platform has it (POSIX); Windows has no symlink race of this kind here
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def open_private(path: os.PathLike[str] | str, flags: int = os.O_RDWR | os.O_CREAT) -> int:
    """Open (creating if asked) a file inside streamdesk's home: never through a symbolic link
    (``O_NOFOLLOW``), created 0600 and made 0600 if it was wider. Returns the file descriptor.

    The one way streamdesk opens its own log, lock and database files; a planted symlink is an
    ``OSError`` (ELOOP) instead of a write through it. A non-regular file (a FIFO, a device) is
    refused too."""
    fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0), 0o600)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"{path} is not a regular file")
        if os.name == "posix":
            if hasattr(os, "set_blocking"):
                os.set_blocking(fd, True)
            if stat.S_IMODE(st.st_mode) != 0o600 and st.st_uid == os.geteuid():
                os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return fd


def default_root() -> Path:
    env = os.environ.get(HOME_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    linux = _linux_data_dir()
    if linux is not None:
        return Path(linux) / "streamdesk"
    import platformdirs  # lazy: start-up time matters for the GUI

    return Path(platformdirs.user_data_dir("streamdesk", appauthor=False))


def _linux_data_dir() -> str | None:
    """platformdirs' user data directory on desktop Linux, without importing it: importing it is
    ~4% of the GUI's start-up (bench/startup.py). ``$XDG_DATA_HOME`` if absolute, else
    ``~/.local/share``; None where platformdirs has rules of its own (Android, a relative $HOME),
    to ask it. tests/unit/test_paths.py checks that both agree."""
    if sys.platform != "linux" or ("ANDROID_DATA" in os.environ and "ANDROID_ROOT" in os.environ):
        return None
    xdg = os.environ.get("XDG_DATA_HOME", "")
    if os.path.isabs(xdg):
        return xdg
    home = os.environ.get("HOME")
    if home is not None and not os.path.isabs(home):
        return None
    return os.path.join(os.path.expanduser("~"), ".local", "share")


def get_paths() -> Paths:
    return Paths(default_root()).ensure()


def check_api_base(value: str) -> str:
    """The one rule for a GetStream base URL, wherever it comes from (``STREAMDESK_API_BASE``,
    ``setup --api-base``, the account form): an http(s) URL without credentials, and ``https://``
    unless the host is this computer. Every request carries the server token (admin power, no
    expiry), which must never cross a network in clear. Raises ``InvalidInput`` (exit 2)."""
    hint = "Use https://chat.stream-io-api.com or leave it empty."
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"The API base URL {url[:80]!r} is not an http(s) URL.", hint=hint)
    if parts.username or parts.password:
        raise InvalidInput("The API base URL must not contain a user name or password.")
    if parts.scheme != "https" and not is_loopback_host(parts.hostname):
        raise InvalidInput(f"The API base URL {url[:80]!r} must use https:// (plain http:// is only "
                           "allowed on this computer: localhost, 127.0.0.0/8, ::1).", hint=hint)
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise InvalidInput(f"The API base URL {url[:80]!r} has an invalid port.", hint=hint) from None
    return url


def is_loopback_host(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: the only hosts a GetStream token may be sent to in clear."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def api_base_from_env() -> str | None:
    value = os.environ.get(API_BASE_ENV, "").strip()
    return value or None
