"""Keyrings on every OS: Windows Credential Manager and the macOS Keychain are accepted, plaintext and
fail backends refused everywhere, and every secret fits Windows' 2560-byte credential blob.

The Windows and macOS backends are keyring's own classes (``keyring.backends.Windows.WinVaultKeyring``,
``keyring.backends.macOS.Keyring``), run here on Linux over a stand-in for the one OS layer they call:
``win32cred`` (CredRead/CredWrite/CredDelete, with Windows' limits and its UTF-16 blob) and keyring's
``macOS.api`` (the Security framework calls). Everything above that layer is the real code.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from keyring.backends import fail, null
from keyrings.alt.file import EncryptedKeyring, PlaintextKeyring
from keyrings.alt.Windows import RegistryKeyring

from streamdesk.core import secrets
from streamdesk.core.channel_ops import MAX_KEY_TTL_HOURS
from streamdesk.core.discord import validate_webhook_url
from streamdesk.core.getstream import GetStreamClient
from streamdesk.core.secrets import (
    MAX_ENTRY_BYTES,
    SERVICE,
    KeyringLocked,
    KeyringUnavailable,
    SecretKind,
    SecretStore,
    SecretTooLong,
    entry_bytes,
)

# Windows' own limits (wincred.h)
CRED_MAX_CREDENTIAL_BLOB_SIZE = 5 * 512
CRED_MAX_USERNAME_LENGTH = 513
ERROR_NOT_FOUND, ERROR_INVALID_PARAMETER = 1168, 87

# The largest values streamdesk can produce or accept for each secret
MAX_ID = "u" * 255  # a GetStream user id or API key: at most 255 characters
MAX_CID = "c" * 64 + ":" + "i" * 64  # call type and id: at most 64 each (the OpenAPI spec's maxLength)
API_SECRET = "k" * 64  # GetStream API secrets are 64 characters
WEBHOOK = ("https://canary.discord.com/api/v10/webhooks/" + "9" * 20 + "/" + "T" * 68
           + "?thread_id=" + "8" * 20 + "&wait=true")


def max_stream_key() -> str:
    """The longest stream key streamdesk mints: the longest user id, the longest lifetime."""
    client = GetStreamClient(MAX_ID, API_SECRET, clock=lambda: 4_102_444_800)  # year 2100: wide numbers
    key, _ = client.user_token(MAX_ID, MAX_KEY_TTL_HOURS * 3600)
    client.close()
    lenient = {"verify_exp": False, "verify_iat": False}  # minted "in 2100"
    claims = jwt.decode(key, API_SECRET, algorithms=["HS256"], options=lenient)
    assert claims["user_id"] == MAX_ID
    return key


# -- Windows Credential Manager --------------------------------------------------------------------
class WinError(Exception):
    """pywintypes.error: what win32cred raises."""

    def __init__(self, winerror: int, funcname: str, strerror: str) -> None:
        super().__init__(winerror, funcname, strerror)
        self.winerror, self.funcname, self.strerror = winerror, funcname, strerror


class CredentialManager:
    """CredRead/CredWrite/CredDelete as Windows does them, in memory. The blob is stored as the UTF-16
    win32ctypes hands over (``create_unicode_buffer`` minus its terminator), and Windows refuses a blob over
    2560 bytes or a user name over 513 characters with ERROR_INVALID_PARAMETER."""

    CRED_TYPE_GENERIC = 1
    CRED_PERSIST_SESSION, CRED_PERSIST_LOCAL_MACHINE, CRED_PERSIST_ENTERPRISE = 1, 2, 3

    def __init__(self) -> None:
        self.creds: dict[str, dict[str, Any]] = {}
        self.writes = 0

    def CredWrite(self, credential: dict[str, Any], flags: int) -> None:  # the Win32 names
        self.writes += 1
        blob = credential["CredentialBlob"].encode("utf-16-le", "surrogatepass")
        too_long = len(credential["UserName"]) > CRED_MAX_USERNAME_LENGTH
        if len(blob) > CRED_MAX_CREDENTIAL_BLOB_SIZE or too_long:
            raise WinError(ERROR_INVALID_PARAMETER, "CredWrite", "The parameter is incorrect.")
        self.creds[credential["TargetName"]] = {**credential, "CredentialBlob": blob}

    def CredRead(self, Type: int, TargetName: str) -> dict[str, Any]:
        if TargetName not in self.creds:
            raise WinError(ERROR_NOT_FOUND, "CredRead", "Element not found.")
        return dict(self.creds[TargetName])

    def CredDelete(self, Type: int, TargetName: str) -> None:
        if self.creds.pop(TargetName, None) is None:
            raise WinError(ERROR_NOT_FOUND, "CredDelete", "Element not found.")


@pytest.fixture
def winvault(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, CredentialManager]]:
    """keyring's real WinVaultKeyring, imported over a win32ctypes that talks to ``CredentialManager``."""
    import keyring.backends

    manager = CredentialManager()
    win32cred = types.ModuleType("win32ctypes.pywin32.win32cred")
    for name in ("CRED_TYPE_GENERIC", "CRED_PERSIST_SESSION", "CRED_PERSIST_LOCAL_MACHINE",
                 "CRED_PERSIST_ENTERPRISE", "CredWrite", "CredRead", "CredDelete"):
        setattr(win32cred, name, getattr(manager, name))
    pywintypes = types.ModuleType("win32ctypes.pywin32.pywintypes")
    pywintypes.error = WinError  # type: ignore[attr-defined]
    pywin32 = types.ModuleType("win32ctypes.pywin32")
    pywin32.win32cred, pywin32.pywintypes = win32cred, pywintypes  # type: ignore[attr-defined]
    package = types.ModuleType("win32ctypes")
    package.pywin32 = pywin32  # type: ignore[attr-defined]
    for module in (package, pywin32, win32cred, pywintypes):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.delitem(sys.modules, "keyring.backends.Windows", raising=False)
    if hasattr(keyring.backends, "Windows"):
        monkeypatch.setattr(keyring.backends, "Windows", keyring.backends.Windows)  # restored afterwards
    windows = importlib.import_module("keyring.backends.Windows")
    assert not windows.missing_deps, "keyring did not take the stand-in win32ctypes"
    yield windows.WinVaultKeyring(), manager


def test_windows_credential_manager_is_accepted_and_keeps_every_secret(winvault) -> None:
    backend, manager = winvault
    store = SecretStore(backend)
    assert store.check() == "Windows WinVaultKeyring"
    values = {  # the largest of each, under the longest scopes
        (SecretKind.API_SECRET, MAX_ID): API_SECRET,
        (SecretKind.STREAM_KEY, MAX_CID): max_stream_key(),
        (SecretKind.DISCORD_WEBHOOK, ""): validate_webhook_url(WEBHOOK),
        (SecretKind.OBS_PASSWORD, "h" * 253 + ":65535"): "p" * 256,
        (SecretKind.OBS_BACKUP_KEY, "h" * 253 + ":65535"): '{"key": "' + "x" * 1000 + '"}',
    }
    for (kind, scope), value in values.items():
        store.set(kind, value, scope)
    # WinVault keeps one credential per target: keyring files the others under "<user>@streamdesk"
    assert len(manager.creds) == len(values)
    for (kind, scope), value in values.items():
        assert store.get(kind, scope) == value
    for kind, scope in values:
        store.delete(kind, scope)
        store.delete(kind, scope)  # twice: not an error
    assert manager.creds == {}


def test_the_three_named_secrets_fit_windows_with_room_to_spare() -> None:
    named = {"stream key": max_stream_key(), "webhook URL": WEBHOOK, "API secret": API_SECRET}
    for what, value in named.items():
        assert entry_bytes(value) <= MAX_ENTRY_BYTES // 2, (what, entry_bytes(value))
    assert MAX_ENTRY_BYTES == CRED_MAX_CREDENTIAL_BLOB_SIZE == 2560


@pytest.mark.parametrize(("fits", "too_long"), [
    ("a" * 1280, "a" * 1281),  # ASCII: 2 bytes a character in UTF-16
    ("🎮" * 640, "🎮" * 641),  # outside the BMP: a surrogate pair, 4 bytes (641 characters, 2564 bytes)
    ("é" * 1280, "é" * 1280 + "é"),  # 2 bytes in UTF-16 (also 2 in UTF-8: the count is UTF-16's)
], ids=["ascii", "emoji", "accented"])
def test_the_limit_is_counted_as_windows_counts_it(winvault, fits: str, too_long: str) -> None:
    backend, manager = winvault
    store = SecretStore(backend)
    store.set(SecretKind.OBS_PASSWORD, fits, "127.0.0.1:4455")  # exactly 2560 bytes: Windows takes it
    assert store.get(SecretKind.OBS_PASSWORD, "127.0.0.1:4455") == fits
    writes = manager.writes
    with pytest.raises(SecretTooLong) as info:
        store.set(SecretKind.OBS_PASSWORD, too_long, "127.0.0.1:4455")
    assert manager.writes == writes, "an oversize secret reached the keyring"
    assert store.get(SecretKind.OBS_PASSWORD, "127.0.0.1:4455") == fits  # the old one is kept
    message = info.value.one_line()
    assert "OBS websocket password is too long" in message and "2560" in message
    assert too_long not in message
    # and without our check, Windows itself would refuse it with an error a streamer cannot act on
    with pytest.raises(WinError):
        backend.set_password(SERVICE, "probe", too_long)


@pytest.mark.parametrize("kind", [SecretKind.STREAM_KEY, SecretKind.DISCORD_WEBHOOK, SecretKind.API_SECRET])
def test_an_oversize_secret_is_one_clear_sentence_on_every_os(kind: SecretKind, monkeypatch) -> None:
    backend = secrets.memory_keyring()
    for platform in ("linux", "win32", "darwin"):
        monkeypatch.setattr(sys, "platform", platform)
        with pytest.raises(SecretTooLong, match=f"The {kind.label} is too long to keep in the"):
            SecretStore(backend).set(kind, "x" * (MAX_ENTRY_BYTES // 2 + 1), "scope")
    assert backend.entries == {}


# -- macOS Keychain --------------------------------------------------------------------------------
class KeychainApi(types.SimpleNamespace):
    """keyring.backends.macOS.api's surface (the Security framework calls), in memory."""

    class Error(Exception):
        pass

    class NotFound(Error):
        pass

    class KeychainDenied(Error):
        pass

    def __init__(self) -> None:
        super().__init__(items={}, denied=False)

    def _check(self) -> None:
        if self.denied:
            raise self.KeychainDenied("User interaction is not allowed.")

    def find_generic_password(self, kc_name: str | None, service: str, username: str) -> str:
        self._check()
        if (service, username) not in self.items:
            raise self.NotFound("The specified item could not be found in the keychain.")
        return self.items[(service, username)]

    def set_generic_password(self, kc_name: str | None, service: str, username: str, password: str) -> None:
        self._check()
        self.items[(service, username)] = password

    def delete_generic_password(self, kc_name: str | None, service: str, username: str) -> None:
        self._check()
        if self.items.pop((service, username), None) is None:
            raise self.NotFound("The specified item could not be found in the keychain.")


@pytest.fixture
def keychain(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, KeychainApi]:
    from keyring.backends import macOS

    api = KeychainApi()
    monkeypatch.setattr(macOS, "api", api, raising=False)
    monkeypatch.setattr(macOS.Keyring, "keychain", None)  # not KEYCHAIN_PATH from this machine
    return macOS.Keyring(), api


def test_the_macos_keychain_is_accepted_and_keeps_every_secret(keychain) -> None:
    backend, api = keychain
    store = SecretStore(backend)
    assert store.check() == "macOS Keyring"
    store.set(SecretKind.STREAM_KEY, max_stream_key(), MAX_CID)
    store.set(SecretKind.DISCORD_WEBHOOK, WEBHOOK)
    store.set(SecretKind.API_SECRET, API_SECRET, MAX_ID)
    assert store.get(SecretKind.DISCORD_WEBHOOK) == WEBHOOK
    assert store.get(SecretKind.API_SECRET, MAX_ID) == API_SECRET
    assert api.items[(SERVICE, f"api_secret:{MAX_ID}")] == API_SECRET
    store.delete(SecretKind.DISCORD_WEBHOOK)
    store.delete(SecretKind.DISCORD_WEBHOOK)  # twice: not an error
    assert store.get(SecretKind.DISCORD_WEBHOOK) is None


def test_a_denied_keychain_says_unlock_it(keychain, monkeypatch) -> None:
    backend, api = keychain
    monkeypatch.setattr(sys, "platform", "darwin")
    api.denied = True
    with pytest.raises(KeyringLocked, match="unlock your keyring"):
        SecretStore(backend).get(SecretKind.API_SECRET, "k")


# -- refused everywhere ----------------------------------------------------------------------------
HINTS = {
    "linux": "install and unlock GNOME Keyring or KWallet",
    "win32": "Windows Credential Manager",
    "darwin": "macOS Keychain",
}


def _encrypted_file() -> EncryptedKeyring:
    return EncryptedKeyring.__new__(EncryptedKeyring)  # its __init__ wants pycryptodome; vetting needs none


REFUSED = {"fail": fail.Keyring, "null": null.Keyring, "plaintext-file": PlaintextKeyring,
           "encrypted-file": _encrypted_file, "windows-registry": RegistryKeyring}


@pytest.mark.parametrize("platform", sorted(HINTS))
@pytest.mark.parametrize("backend", sorted(REFUSED))
def test_plaintext_and_fail_backends_are_refused_on_every_os(backend: str, platform: str, monkeypatch,
                                                             tmp_path) -> None:
    make = REFUSED[backend]
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # where keyrings.alt would write
    store = SecretStore(make())
    with pytest.raises(KeyringUnavailable) as info:
        store.check()
    assert HINTS[platform] in info.value.one_line()
    with pytest.raises(KeyringUnavailable):
        store.set(SecretKind.STREAM_KEY, "a-stream-key", "livestream:show-1")
    assert not (tmp_path / "xdg").exists() or not any((tmp_path / "xdg").rglob("*.cfg"))
