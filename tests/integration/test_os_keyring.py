"""The real keyring of Windows (Credential Manager) and macOS (Keychain), where CI runs on them.

On Linux this module has no tests: the real Secret Service is tests/integration/test_secrets_real.py, and
the Windows and macOS backends run over stand-ins in tests/unit/test_keyrings_everywhere.py."""

from __future__ import annotations

import sys
import uuid

from streamdesk.core.secrets import MAX_ENTRY_BYTES, SecretKind, SecretStore

if sys.platform in ("win32", "darwin"):

    def _os_backend():  # type: ignore[no-untyped-def]
        if sys.platform == "win32":
            from keyring.backends.Windows import WinVaultKeyring

            return WinVaultKeyring()
        from keyring.backends.macOS import Keyring

        return Keyring()

    def test_the_os_keyring_keeps_the_largest_secret_streamdesk_allows() -> None:
        store = SecretStore(_os_backend())  # the autouse memory keyring is bypassed on purpose
        assert store.check() in ("Windows WinVaultKeyring", "macOS Keyring")
        scope = f"ci-{uuid.uuid4().hex}"
        largest = "k" * (MAX_ENTRY_BYTES // 2)  # exactly 2560 bytes as UTF-16
        try:
            store.set(SecretKind.API_SECRET, largest, scope)
            store.set(SecretKind.STREAM_KEY, "eyJ.stream.key", scope)  # a second entry, same service
            assert store.get(SecretKind.API_SECRET, scope) == largest
            assert store.get(SecretKind.STREAM_KEY, scope) == "eyJ.stream.key"
        finally:
            store.delete(SecretKind.API_SECRET, scope)
            store.delete(SecretKind.STREAM_KEY, scope)
        assert store.get(SecretKind.API_SECRET, scope) is None
