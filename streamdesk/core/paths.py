"""The one place that decides where streamdesk keeps its files.

Everything (config database, logs, OBS backups) lives under one directory so tests and
users can relocate it with ``STREAMDESK_HOME``; otherwise the platform's user data dir.
The directory is created 0700 and files inside it 0600: the database holds no secret,
but session history and channel ids are still the streamer's business.
"""

from __future__ import annotations

import os
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
    import platformdirs  # lazy: start-up time matters for the GUI

    return Path(platformdirs.user_data_dir("streamdesk", appauthor=False))


def get_paths() -> Paths:
    return Paths(default_root()).ensure()


def api_base_from_env() -> str | None:
    value = os.environ.get(API_BASE_ENV, "").strip()
    return value or None
