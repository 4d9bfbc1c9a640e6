"""pytest fixtures for keyrings.

- ``memory_keyring`` (AUTOUSE): an in-memory backend installed with ``keyring.set_keyring`` for
  every test, so no test can reach a real user keyring by accident.
- ``secret_service`` (session): a real gnome-keyring Secret Service in a private D-Bus session,
  unlocked; yields the env vars a subprocess needs on top of its own environment
  (``run_cli(..., env=secret_service)``): DBUS_SESSION_BUS_ADDRESS, XDG_DATA_HOME,
  XDG_RUNTIME_DIR and PYTHON_KEYRING_BACKEND.
- ``locked_secret_service`` (session): the same with its default collection locked.

Both daemons run in the foreground with DISPLAY unset (a failed unlock would otherwise open a
GTK prompt and hang) and are stopped by PID. Recipe: shared reference qt-stack-notes.md.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamdesk.core.secrets import memory_keyring as _memory_keyring
from tests.plugins.processes import stop_process, wait_until

SECRETS_BUS_NAME = "org.freedesktop.secrets"
KEYRING_PASSWORD = "streamdesk-test-login"


# The same in-process keyring the demo uses; tests read and seed ``entries`` directly.
MemoryKeyring = type(_memory_keyring())


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    import keyring
    from keyring.backends import fail

    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    # never fall back to auto-detection (which could find the user's real keyring)
    keyring.set_keyring(fail.Keyring())


def _missing_tools() -> str | None:
    for tool in ("dbus-daemon", "gnome-keyring-daemon", "dbus-send"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install dbus gnome-keyring)"
    return None


def _name_has_owner(env: dict[str, str], name: str) -> bool:
    out = subprocess.run(
        ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
         "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
        env=env, capture_output=True, text=True, timeout=5,
    )
    return out.returncode == 0 and "boolean true" in out.stdout


@contextlib.contextmanager
def _secret_service(tmp: Path, *, locked: bool) -> Iterator[dict[str, str]]:
    missing = _missing_tools()
    if missing:
        pytest.skip(f"real Secret Service unavailable: {missing}")
    data, run = tmp / "data", tmp / "run"
    for d in (data, run):
        d.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(d, 0o700)
    dropped = ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    base.update(XDG_DATA_HOME=str(data), XDG_RUNTIME_DIR=str(run))
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1", f"--address=unix:path={run}/bus"],
        env=base, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    gkd = None
    try:
        address = bus.stdout.readline().strip() if bus.stdout else ""
        if not address:
            pytest.fail("dbus-daemon did not print its address")
        env = {**base, "DBUS_SESSION_BUS_ADDRESS": address}
        gkd = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )
        assert gkd.stdin is not None
        gkd.stdin.write(KEYRING_PASSWORD)
        gkd.stdin.close()
        wait_until(lambda: _name_has_owner(env, SECRETS_BUS_NAME), timeout=15,
                   what="gnome-keyring-daemon to own org.freedesktop.secrets")
        _ensure_default_collection(env, locked=locked)
        # only what points a client at this keyring: a snapshot of the whole environment would
        # carry stale values (STREAMDESK_HOME, …) into later tests that merge it over their own
        yield {
            "DBUS_SESSION_BUS_ADDRESS": address,
            "XDG_DATA_HOME": str(data),
            "XDG_RUNTIME_DIR": str(run),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
        }
    finally:
        if gkd is not None:
            stop_process(gkd)
        stop_process(bus)
        if bus.stdout:
            bus.stdout.close()


def _ensure_default_collection(env: dict[str, str], *, locked: bool) -> None:
    """Wait until the unlocked login collection answers as "default", then lock it if asked.

    Runs in a subprocess so this (test) process never holds a connection to the private bus."""
    code = (
        "import secretstorage, sys, time\n"
        "deadline = time.monotonic() + 10\n"
        "while True:\n"
        "    try:\n"
        "        conn = secretstorage.dbus_init(); c = secretstorage.Collection(conn); break\n"
        "    except secretstorage.exceptions.ItemNotFoundException:\n"
        "        if time.monotonic() > deadline: sys.exit('no default collection')\n"
        "        time.sleep(0.05)\n"
        "if c.is_locked(): sys.exit('collection unexpectedly locked')\n"
        f"if {locked!r}:\n"
        "    c.lock(); assert c.is_locked()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        pytest.fail(f"could not prepare the Secret Service collection: {out.stderr.strip()[-500:]}")


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Env for a real, unlocked gnome-keyring Secret Service on a private session bus."""
    with _secret_service(tmp_path_factory.mktemp("secret-service"), locked=False) as env:
        yield env


@pytest.fixture(scope="session")
def locked_secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Env for a real gnome-keyring whose default collection is locked (no prompt can unlock it)."""
    with _secret_service(tmp_path_factory.mktemp("secret-service-locked"), locked=True) as env:
        yield env


@pytest.fixture
def use_secret_service_env(monkeypatch: pytest.MonkeyPatch):
    """Point this process's D-Bus/XDG env at a given Secret Service env (for in-process tests)."""

    def apply(env: dict[str, str]) -> None:
        for key in ("DBUS_SESSION_BUS_ADDRESS", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
            monkeypatch.setenv(key, env[key])
        monkeypatch.delenv("DISPLAY", raising=False)

    return apply
