"""The one place that decides where streamdesk keeps its files.

Everything (config database, logs, OBS backups) lives under one directory so tests and
users can relocate it with ``STREAMDESK_HOME``; otherwise the platform's user data dir.
The directory is created 0700 and files inside it 0600: the database holds no secret,
but session history and channel ids are still the streamer's business.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

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
        """Create the directories with owner-only permissions (idempotent)."""
        old = os.umask(0o077)
        try:
            for d in (self.root, self.log_dir, self.lock_dir):
                d.mkdir(parents=True, exist_ok=True)
                os.chmod(d, 0o700)
        finally:
            os.umask(old)
        return self


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


def api_base_from_env() -> str | None:
    value = os.environ.get(API_BASE_ENV, "").strip()
    return value or None
