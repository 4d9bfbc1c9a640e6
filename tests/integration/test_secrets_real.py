"""SecretStore against a real gnome-keyring Secret Service on a private D-Bus session."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from streamdesk.core.secrets import SERVICE, KeyringLocked, SecretKind, SecretStore

pytestmark = pytest.mark.secretservice


def _keyring_in_subprocess(env: dict[str, str], code: str) -> str:
    """Run ``code`` in a fresh interpreter (its own keyring selection) and return its stdout."""
    full = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"} | env
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_round_trip_lands_in_the_real_daemon(secret_service, use_secret_service_env) -> None:
    from keyring.backends.SecretService import Keyring

    use_secret_service_env(secret_service)
    store = SecretStore(Keyring())
    assert store.check() == "SecretService Keyring"
    value = f"key-{uuid.uuid4().hex}"
    store.set(SecretKind.STREAM_KEY, value, scope="livestream:show-1")
    # another process, selecting its backend from the env, sees the same item in the daemon
    seen = _keyring_in_subprocess(
        secret_service,
        f"import keyring; print(keyring.get_password({SERVICE!r}, 'stream_key:livestream:show-1'))",
    )
    assert seen == value
    assert store.get(SecretKind.STREAM_KEY, scope="livestream:show-1") == value
    store.delete(SecretKind.STREAM_KEY, scope="livestream:show-1")
    assert store.get(SecretKind.STREAM_KEY, scope="livestream:show-1") is None


def test_locked_collection_says_unlock_without_prompting(locked_secret_service, use_secret_service_env):
    from keyring.backends.SecretService import Keyring

    use_secret_service_env(locked_secret_service)
    store = SecretStore(Keyring())
    started = time.monotonic()
    for op in (store.check, lambda: store.get(SecretKind.API_SECRET, "k"),
               lambda: store.set(SecretKind.API_SECRET, "never-stored-1234", "k")):
        with pytest.raises(KeyringLocked, match="unlock your keyring"):
            op()
    # keyring's own get_password would have called collection.unlock() and waited on a prompt
    # that cannot appear (no display): we must answer from the Locked property alone
    assert time.monotonic() - started < 5


def test_plaintext_chained_behind_secret_service_is_never_used(secret_service, tmp_path: Path) -> None:
    """The silent downgrade: keyrings.alt installed next to a real Secret Service. keyring then
    picks a ChainerBackend that reads from (and may write to) a plaintext file."""
    env = {k: v for k, v in secret_service.items() if k != "PYTHON_KEYRING_BACKEND"}
    value = f"api-{uuid.uuid4().hex}"
    out = _keyring_in_subprocess(
        {**env, "SD_VALUE": value},
        "import os, keyring\n"
        "from streamdesk.core.secrets import SecretStore, SecretKind\n"
        "print(type(keyring.get_keyring()).__name__)\n"
        "s = SecretStore(); s.set(SecretKind.API_SECRET, os.environ['SD_VALUE'], 'chain-key')\n"
        "print(s.check())\n",
    )
    assert out.splitlines() == ["ChainerBackend", "SecretService Keyring"]
    data_home = Path(secret_service["XDG_DATA_HOME"])
    plaintext_files = [p for p in data_home.rglob("*") if p.is_file() and "python_keyring" in str(p)]
    assert plaintext_files == []
    seen = _keyring_in_subprocess(
        secret_service, f"import keyring; print(keyring.get_password({SERVICE!r}, 'api_secret:chain-key'))"
    )
    assert seen == value


def test_no_secret_service_and_only_plaintext_is_refused(tmp_path: Path) -> None:
    """No D-Bus at all and keyrings.alt installed: keyring would pick PlaintextKeyring."""
    dropped = ("DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus")
    out = _keyring_in_subprocess(
        env,
        "from streamdesk.core.secrets import SecretStore, SecretKind, KeyringUnavailable\n"
        "try:\n"
        "    SecretStore().set(SecretKind.API_SECRET, 'would-be-plaintext-1234', 'k')\n"
        "except KeyringUnavailable as e:\n"
        "    print(e)\n",
    )
    assert "plain text" in out and "install and unlock GNOME Keyring or KWallet" in out
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").rglob("*.cfg"))


# ---------------------------------------------------------------------------- the CLI, end to end


def _files_containing(root: Path, *values: str) -> list[str]:
    """Every file under ``root`` (config, database + WAL, logs) whose bytes contain a value."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.relative_to(root)}" for v in values if v.encode() in data]
    return hits


def _run_watching_ps(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run the CLI and snapshot its command line with ``ps`` while it runs (what other users see)."""
    from tests.plugins.processes import REPO

    proc = subprocess.Popen([sys.executable, "-m", "streamdesk", *args], env={**os.environ, **env}, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    while proc.poll() is None:
        ps = subprocess.run(["ps", "-ww", "-o", "args=", "-p", str(proc.pid)], capture_output=True, text=True)
        if ps.stdout.strip():
            seen.append(ps.stdout.strip())
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), seen


def test_setup_and_provision_keep_secrets_only_in_the_keyring(secret_service, gs_sim, gs_env,
                                                              isolated_home: Path) -> None:
    env = {**secret_service, **gs_env}
    api_secret = gs_env["STREAMDESK_API_SECRET"]
    done, ps_lines = _run_watching_ps(["setup", "--api-key", gs_sim.api_key, "--user-id", "streamer"], env)
    assert done.returncode == 0, done.stderr
    assert ps_lines, "the command ended before ps could see it"
    assert all(api_secret not in line for line in ps_lines)
    assert "streamdesk setup --api-key" in ps_lines[0]

    from tests.plugins.processes import run_cli

    provisioned = run_cli("provision", env=env)
    assert provisioned.returncode == 0, provisioned.stderr
    read_back = _keyring_in_subprocess(
        secret_service,
        "import keyring\n"
        f"print(keyring.get_password({SERVICE!r}, 'api_secret:' + {gs_sim.api_key!r}))\n"
        f"print(keyring.get_password({SERVICE!r}, 'stream_key:livestream:streamer-live'))\n",
    )
    stored_secret, stream_key = read_back.splitlines()
    assert stored_secret == api_secret
    assert stream_key.startswith("eyJ")  # the broadcaster's JWT, minted by provision
    assert (isolated_home / "logs" / "streamdesk.log").exists()
    assert (isolated_home / "streamdesk.sqlite3").exists()
    assert _files_containing(isolated_home, api_secret, stream_key) == []
    for out in (done, provisioned):
        assert api_secret not in out.stdout + out.stderr and stream_key not in out.stdout + out.stderr


def test_setup_without_a_keyring_exits_1_and_writes_no_secret(isolated_home: Path) -> None:
    from tests.plugins.processes import run_cli

    secret = f"never-written-{uuid.uuid4().hex}"
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", "STREAMDESK_API_SECRET": secret}
    done = run_cli("setup", "--api-key", "k1", "--user-id", "streamer", env=env)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "streamdesk: No system keyring found: install and unlock GNOME Keyring or KWallet (Secret Service), "
        "then try again."
    )
    assert "Traceback" not in done.stderr and secret not in done.stdout + done.stderr
    assert _files_containing(isolated_home, secret) == []
    status = run_cli("status", "--json", env=env)
    assert '"state": "needs_account"' in status.stdout  # nothing half-saved


def test_setup_with_a_locked_keyring_says_unlock(locked_secret_service, isolated_home: Path) -> None:
    from tests.plugins.processes import run_cli

    secret = f"never-written-{uuid.uuid4().hex}"
    done = run_cli("setup", "--api-key", "k1", "--user-id", "streamer",
                   env={**locked_secret_service, "STREAMDESK_API_SECRET": secret}, timeout=30)
    assert done.returncode == 1
    assert "unlock your keyring" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert _files_containing(isolated_home, secret) == []
