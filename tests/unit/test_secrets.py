"""SecretStore against the in-memory backend, backend vetting, and log redaction."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import uuid
from pathlib import Path

import jwt
import pytest
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend
from keyrings.alt.file import PlaintextKeyring

from streamdesk.core import secrets
from streamdesk.core.errors import StreamdeskError
from streamdesk.core.secrets import (
    REDACTED,
    SERVICE,
    KeyringUnavailable,
    SecretKind,
    SecretStore,
    entry_name,
    redact,
    register_secret,
    setup_logging,
)
from tests.plugins.keyrings import MemoryKeyring


def unique_secret(prefix: str = "s3cr3t") -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


# ---------------------------------------------------------------------------- store


def test_round_trip_through_the_installed_keyring(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()  # whatever keyring selects: the autouse memory backend
    value = unique_secret()
    store.set(SecretKind.STREAM_KEY, value, scope="livestream:show-1")
    assert memory_keyring.entries == {(SERVICE, "stream_key:livestream:show-1"): value}
    assert store.get(SecretKind.STREAM_KEY, scope="livestream:show-1") == value
    store.delete(SecretKind.STREAM_KEY, scope="livestream:show-1")
    assert store.get(SecretKind.STREAM_KEY, scope="livestream:show-1") is None
    store.delete(SecretKind.STREAM_KEY, scope="livestream:show-1")  # deleting twice is fine


def test_two_channels_and_kinds_do_not_collide() -> None:
    store = SecretStore(MemoryKeyring())
    store.set(SecretKind.STREAM_KEY, "key-for-show-1", scope="livestream:show-1")
    store.set(SecretKind.STREAM_KEY, "key-for-show-2", scope="livestream:show-2")
    store.set(SecretKind.OBS_PASSWORD, "obs-pass-a", scope="127.0.0.1:4455")
    store.set(SecretKind.OBS_BACKUP_KEY, "old-obs-key", scope="127.0.0.1:4455")
    store.set(SecretKind.API_SECRET, "api-secret-x", scope="key-x")
    assert store.get(SecretKind.STREAM_KEY, "livestream:show-1") == "key-for-show-1"
    assert store.get(SecretKind.STREAM_KEY, "livestream:show-2") == "key-for-show-2"
    assert store.get(SecretKind.OBS_PASSWORD, "127.0.0.1:4455") == "obs-pass-a"
    assert store.get(SecretKind.OBS_BACKUP_KEY, "127.0.0.1:4455") == "old-obs-key"
    assert store.get(SecretKind.API_SECRET, "key-y") is None
    assert entry_name(SecretKind.DISCORD_WEBHOOK) == "discord_webhook"
    assert entry_name(SecretKind.API_SECRET, "k") == "api_secret:k"


def test_empty_value_is_refused_with_a_clear_message() -> None:
    backend = MemoryKeyring()
    with pytest.raises(StreamdeskError, match="API secret is empty"):
        SecretStore(backend).set(SecretKind.API_SECRET, "   ", scope="k")
    assert backend.entries == {}


def test_values_read_or_written_are_redacted() -> None:
    backend = MemoryKeyring()
    written, stored_elsewhere = unique_secret("w"), unique_secret("r")
    SecretStore(backend).set(SecretKind.OBS_PASSWORD, written, scope="h:1")
    backend.entries[(SERVICE, "obs_password:h:2")] = stored_elsewhere  # e.g. saved by an earlier run
    assert redact(f"x {stored_elsewhere}") == f"x {stored_elsewhere}"  # not read yet: not known
    SecretStore(backend).get(SecretKind.OBS_PASSWORD, scope="h:2")
    assert redact(f"a={written} b={stored_elsewhere}") == f"a={REDACTED} b={REDACTED}"


def test_repr_never_shows_a_value() -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend)
    value = unique_secret()
    store.set(SecretKind.API_SECRET, value, scope="k")
    assert value not in repr(store)


# ---------------------------------------------------------------------------- vetting


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_no_storage_backends_are_refused(backend, memory_keyring: MemoryKeyring) -> None:
    store = SecretStore(backend)
    with pytest.raises(KeyringUnavailable) as info:
        store.check()
    assert "No system keyring found" in str(info.value)
    assert secrets._install_hint() in str(info.value)  # per OS: tests/unit/test_keyrings_everywhere.py
    with pytest.raises(KeyringUnavailable):
        store.set(SecretKind.API_SECRET, unique_secret(), scope="k")
    assert memory_keyring.entries == {}


@pytest.fixture
def plaintext_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """keyrings.alt writes under XDG_DATA_HOME: keep it in the test's tmp dir and watch it."""
    root = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(root))
    return root


def test_plaintext_backend_is_refused(plaintext_root: Path) -> None:
    backend = PlaintextKeyring()
    store = SecretStore(backend)
    with pytest.raises(KeyringUnavailable, match="plain text") as info:
        store.check()
    assert secrets._install_hint() in str(info.value)  # per OS: tests/unit/test_keyrings_everywhere.py
    with pytest.raises(KeyringUnavailable):
        store.set(SecretKind.STREAM_KEY, unique_secret(), scope="livestream:a")
    assert not plaintext_root.exists() or not any(plaintext_root.rglob("*.cfg"))


def _chain(*members):
    return type("Chain", (ChainerBackend,), {"backends": list(members)})()


def test_chain_skips_its_plaintext_member(plaintext_root: Path) -> None:
    secure = MemoryKeyring()
    # keyring sorts the chain by priority; put plaintext first to prove order does not matter
    store = SecretStore(_chain(PlaintextKeyring(), secure))
    value = unique_secret()
    store.set(SecretKind.API_SECRET, value, scope="k")
    assert secure.entries == {(SERVICE, "api_secret:k"): value}
    assert not plaintext_root.exists() or not any(plaintext_root.rglob("*.cfg"))
    assert store.check() == secure.name


def test_chain_of_only_plaintext_is_refused(plaintext_root: Path) -> None:
    with pytest.raises(KeyringUnavailable, match="plain text"):
        SecretStore(_chain(PlaintextKeyring(), fail.Keyring())).check()


def test_bad_backend_env_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no.such.Backend")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # force re-selection from the env
    with pytest.raises(KeyringUnavailable, match="No system keyring found"):
        SecretStore().check()


# ---------------------------------------------------------------------------- redaction


@pytest.fixture
def log_file(isolated_home: Path):
    """setup_logging on this test's STREAMDESK_HOME; our handler is removed afterwards."""
    path = isolated_home / "logs" / "streamdesk.log"
    handler = setup_logging(path)
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()


def _read(path: Path) -> str:
    for h in logging.getLogger().handlers:
        h.flush()
    return path.read_text(encoding="utf-8")


def test_log_file_is_private_and_setup_is_idempotent(log_file: Path) -> None:
    again = setup_logging(log_file)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_streamdesk_log_file", None)]
    assert ours == [again]
    logging.getLogger("streamdesk.test").info("hello")
    assert "hello" in _read(log_file)
    if os.name == "posix":  # Windows: the user profile's ACL keeps it private (docs/platforms.md)
        assert stat.S_IMODE(os.stat(log_file).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(log_file.parent).st_mode) == 0o700
    assert logging.getLogger("obsws_python").level == logging.WARNING
    assert logging.getLogger("httpx").level == logging.WARNING


def test_registered_secret_is_redacted_from_msg_args_and_exceptions(log_file: Path) -> None:
    value = unique_secret()
    register_secret(value)
    log = logging.getLogger("streamdesk.test")
    log.info(f"in the message {value}")
    log.info("in the args %s and %r", value, {"password": value})
    try:
        raise RuntimeError(f"connect failed with password={value}")
    except RuntimeError:
        log.exception("with a traceback")
    text = _read(log_file)
    assert value not in text
    assert text.count(REDACTED) >= 4
    assert "RuntimeError: connect failed with password=[REDACTED]" in text


@pytest.mark.parametrize("name", ["obsws_python.baseclient", "httpx", "websockets.client"])
def test_third_party_records_are_redacted(log_file: Path, name: str) -> None:
    value = unique_secret()
    SecretStore(MemoryKeyring()).set(SecretKind.OBS_PASSWORD, value, scope="h:1")
    logging.getLogger(name).warning("authenticating with %s", value)
    text = _read(log_file)
    assert "authenticating with [REDACTED]" in text
    assert value not in text


def test_unregistered_jwt_and_webhook_are_redacted(log_file: Path) -> None:
    token = jwt.encode({"user_id": "streamer", "exp": 2_000_000_000}, unique_secret(), algorithm="HS256")
    webhook = f"https://discord.com/api/webhooks/123456/{uuid.uuid4().hex}"
    logging.getLogger("streamdesk.test").warning("key=%s hook=%s", token, webhook)
    text = _read(log_file)
    assert token not in text and webhook.rsplit("/", 1)[1] not in text
    assert f"key={REDACTED} hook=https://discord.com/api/webhooks/123456/{REDACTED}" in text


def test_webhook_token_alone_is_redacted_once_registered() -> None:
    token = uuid.uuid4().hex
    register_secret(f"https://discordapp.com/api/webhooks/42/{token}")
    assert redact(f"redirected to ...{token}") == f"redirected to ...{REDACTED}"


def test_short_values_are_not_registered() -> None:
    register_secret("abc")
    assert redact("abc def") == "abc def"
    assert secrets.MIN_SECRET_LEN == 4


def test_filter_also_covers_handlers_present_before_setup(isolated_home: Path) -> None:
    import io

    stream = io.StringIO()
    early = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(early)
    try:
        handler = setup_logging(isolated_home / "logs" / "streamdesk.log")
        value = unique_secret()
        register_secret(value)
        logging.getLogger("streamdesk.test").warning("value %s", value)
        assert value not in stream.getvalue() and REDACTED in stream.getvalue()
    finally:
        root.removeHandler(early)
        root.removeHandler(handler)
        handler.close()


def test_strings_inside_a_json_secret_are_redacted_on_their_own() -> None:
    old_key = f"live_{uuid.uuid4().hex}"
    auth = unique_secret("auth")
    SecretStore(MemoryKeyring()).set(
        SecretKind.OBS_BACKUP_KEY, json.dumps({"key": old_key, "password": auth}), scope="127.0.0.1:4455"
    )
    assert redact(f"restoring key {old_key} / {auth}") == f"restoring key {REDACTED} / {REDACTED}"


@pytest.mark.skipif(sys.platform == "win32", reason="D-Bus Secret Service: Linux (AF_UNIX)")
def test_a_keyring_daemon_that_never_answers_is_reported_not_waited_on(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    """A bus that accepts the connection and then says nothing (a hung daemon, a prompt nobody
    can see): the probe gives up after PROBE_TIMEOUT_S with the unlock message."""
    import socket
    import time

    from keyring.backends.SecretService import Keyring

    from streamdesk.core.secrets import KeyringLocked

    path = tmp_path / "silent-bus"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={path}")
    monkeypatch.setattr(secrets, "PROBE_TIMEOUT_S", 0.3)
    try:
        started = time.monotonic()
        with pytest.raises(KeyringLocked, match=r"did not answer within 0\.3 s: unlock your keyring"):
            SecretStore(Keyring()).check()
        assert time.monotonic() - started < 3
    finally:
        server.close()  # the stuck probe thread now fails and ends


def test_importing_the_module_does_not_import_keyring() -> None:
    import subprocess
    import sys

    code = "import sys, streamdesk.core.secrets; print('keyring' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_secrets_handed_in_by_env_are_redacted_from_the_start(isolated_home: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    value = unique_secret("env")
    monkeypatch.setenv("STREAMDESK_OBS_PASSWORD", value)
    handler = setup_logging(isolated_home / "logs" / "streamdesk.log")
    try:
        assert redact(f"password {value}") == f"password {REDACTED}"
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
