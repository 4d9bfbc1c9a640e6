"""``streamdesk --demo --keep``: a demo home that survives a restart, so resuming a live show after
closing the app can be tried.

What is kept, and where:
- the demo's data (database, logs) in ``demo_home()``: ``$STREAMDESK_DEMO_HOME``, else a ``demo``
  folder inside streamdesk's own home; printed at start;
- every secret in the system keyring under the service ``streamdesk-demo`` (never ``streamdesk``,
  so the demo's entries and the streamer's never mix): the app's secrets as always, plus the
  simulators' own (the simulated GetStream's API secret, the simulated OBS's password and its
  stream settings, which carry the stream key). No secret goes into the demo folder;
- the simulators' other state in ``simulators.pickle`` there: the simulated GetStream app (call
  live or not, users, chat, moderation), the ports (the app stored their URLs), the simulated
  clock's lead over the wall clock, and the audience seed. The file is the demo's own, written by
  this process into the private (0700) demo home and read back only by ``--demo --keep``.

The simulated OBS comes back not streaming, as real OBS does after a restart; the call stays live
on the simulated GetStream, so the app resumes LIVE from GetCall like after any restart.
"""

from __future__ import annotations

import io
import json
import logging
import os
import pickle
import threading
import time
from pathlib import Path
from typing import Any

from streamdesk.core.paths import default_root, open_private
from streamdesk.core.secrets import SecretKind, SecretStore

log = logging.getLogger("streamdesk.demo")

DEMO_SERVICE = "streamdesk-demo"
STATE_FILE = "simulators.pickle"
#: the keyring scope of the simulators' own secrets (the app's use "" or host:port or a call cid)
SIM_SCOPE = "demo-simulator"

_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())


def demo_home() -> Path:
    env = os.environ.get("STREAMDESK_DEMO_HOME", "").strip()
    return Path(env) if env else default_root() / "demo"


def demo_secrets() -> SecretStore:
    """The system keyring (vetted as always), under the demo's own service name."""
    return SecretStore(service=DEMO_SERVICE)


class _Pickler(pickle.Pickler):
    """The app's state without its clock and locks (recreated on load)."""

    def __init__(self, file: io.BytesIO, clock: object) -> None:
        super().__init__(file)
        self._clock = clock

    def persistent_id(self, obj: object) -> str | None:
        if obj is self._clock:
            return "clock"
        if isinstance(obj, _LOCK):
            return "lock"
        if isinstance(obj, _RLOCK):
            return "rlock"
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, clock: object) -> None:
        super().__init__(file)
        self._clock = clock

    def persistent_load(self, pid: object) -> object:
        if pid == "clock":
            return self._clock
        if pid == "lock":
            return threading.Lock()
        if pid == "rlock":
            return threading.RLock()
        raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")


def load(home: Path, secrets: SecretStore) -> dict[str, Any] | None:
    """What the last ``--demo --keep`` left, or None (first run, or its simulator secret is gone)."""
    path = home / STATE_FILE
    if not path.is_file() or path.is_symlink():
        return None
    api_secret = secrets.get(SecretKind.API_SECRET, SIM_SCOPE)
    obs_password = secrets.get(SecretKind.OBS_PASSWORD, SIM_SCOPE)
    if api_secret is None or obs_password is None:
        return None
    fd = open_private(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as f:
        state: dict[str, Any] = pickle.load(f)  # the demo's own file, in its private home
    state["api_secret"] = api_secret
    state["obs_password"] = obs_password
    service = secrets.get(SecretKind.OBS_BACKUP_KEY, SIM_SCOPE)
    state["obs_service"] = json.loads(service) if service else None
    return state


def restore_app(gs: Any, state: dict[str, Any]) -> None:
    """Put the saved simulated GetStream app into the fresh simulator ``gs``."""
    lead = float(state.get("clock_lead", 0.0)) - (time.time() - float(state.get("saved_at", time.time())))
    if lead > 0:
        gs.clock.advance(lead)
    gs.app = _Unpickler(io.BytesIO(state["app"]), gs.clock).load()


def save(home: Path, secrets: SecretStore, gs: Any, obs: Any, obs_password: str, seed: int) -> None:
    buf = io.BytesIO()
    _Pickler(buf, gs.clock).dump(gs.app)
    secrets.set(SecretKind.API_SECRET, gs.api_secret, SIM_SCOPE)
    secrets.set(SecretKind.OBS_PASSWORD, obs_password, SIM_SCOPE)
    secrets.set(SecretKind.OBS_BACKUP_KEY, json.dumps(obs.stream_service), SIM_SCOPE)
    state = {"app": buf.getvalue(), "gs_port": gs.port, "obs_port": obs.port, "seed": seed,
             "clock_lead": gs.clock.now() - time.time(), "saved_at": time.time()}
    tmp = home / (STATE_FILE + ".tmp")
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "wb") as f:
        pickle.dump(state, f)
    os.replace(tmp, home / STATE_FILE)
    log.info("demo: simulators saved in %s", home)
