"""Every secret streamdesk holds lives in the OS keyring, and never anywhere else.

``SecretStore`` is the one wrapper for the GetStream API secret, the stream key, the OBS
websocket password, OBS's backed-up key and the Discord webhook URL. Entries live under the
keyring service ``streamdesk`` and are named ``<kind>:<scope>`` (``stream_key:livestream:show-1``)
so two channels never collide.

It refuses to work rather than downgrade: keyring's ``fail``/``null`` backends and any plaintext
backend (``keyrings.alt``, which keyring may chain silently behind the real one) are rejected
with a message saying what to install or unlock. A locked Secret Service collection is reported
("unlock your keyring") instead of letting secretstorage pop an unlock prompt that can block.

Every value read or written is registered with the redaction filter that ``setup_logging``
installs on the root logger's handlers, so a secret never reaches a log file, whichever library
logged it.

``keyring`` is imported lazily: it costs ~100 ms of GUI start-up.
"""

from __future__ import annotations

import enum
import functools
import json
import logging
import logging.handlers
import math
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from streamdesk.core.errors import StreamdeskError
from streamdesk.core.keys import JWT

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "streamdesk"

#: how long a Secret Service lock probe may take before we call the keyring unresponsive
PROBE_TIMEOUT_S = 5.0
#: one keyring get/set/delete (issue 13: a hung backend is a clear error within about 10 s)
KEYRING_TIMEOUT_S = 10.0

#: Windows Credential Manager holds at most 2560 bytes per credential (CRED_MAX_CREDENTIAL_BLOB_SIZE),
#: and keyring's WinVault backend stores text as UTF-16. Every OS gets the same ceiling, so a secret
#: saved on one desktop can be saved on the others (docs/platforms.md).
MAX_ENTRY_BYTES = 2560


class SecretKind(enum.StrEnum):
    API_SECRET = "api_secret"  # scope: the GetStream API key
    STREAM_KEY = "stream_key"  # scope: the call cid
    OBS_PASSWORD = "obs_password"  # scope: "host:port"
    DISCORD_WEBHOOK = "discord_webhook"  # scope: ""
    OBS_BACKUP_KEY = "obs_backup_key"  # scope: "host:port" (the key OBS had before we configured it)

    @property
    def label(self) -> str:
        """How a streamer calls it, for messages."""
        return _LABELS[self]


_LABELS = {
    SecretKind.API_SECRET: "API secret",
    SecretKind.STREAM_KEY: "stream key",
    SecretKind.OBS_PASSWORD: "OBS websocket password",
    SecretKind.DISCORD_WEBHOOK: "Discord webhook URL",
    SecretKind.OBS_BACKUP_KEY: "backed-up OBS stream key",
}


def _install_hint() -> str:
    if sys.platform == "darwin":
        return "check that the macOS Keychain is available and unlocked, then try again."
    if sys.platform == "win32":
        return "check that Windows Credential Manager is available, then try again."
    return "install and unlock GNOME Keyring or KWallet (Secret Service), then try again."


class KeyringUnavailable(StreamdeskError):
    """No secure keyring backend: nothing can be stored (and nothing will be, in plain text)."""

    def __init__(self, message: str | None = None, *, hint: str = "") -> None:
        super().__init__(message or f"No system keyring found: {_install_hint()}", hint=hint)


class KeyringLocked(StreamdeskError):
    """The keyring exists but is locked (or not answering); we never prompt for it."""

    def __init__(self, message: str | None = None, *, hint: str = "") -> None:
        super().__init__(
            message
            or "Your keyring is locked: unlock your keyring (log in to your desktop session or open "
            "your keyring app), then try again.",
            hint=hint,
        )


# --------------------------------------------------------------------------------------------
# Backend vetting
# --------------------------------------------------------------------------------------------

# Backends that cannot store anything, or store it where anyone who can read the disk can.
_NO_STORAGE = {"keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"}


def _qualname(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def _is_plaintext(backend: object) -> bool:
    """keyrings.alt is, by its own README, 'alternate, less secure' storage: refuse all of it,
    and anything anywhere that calls itself a plaintext keyring."""
    for cls in type(backend).__mro__:
        if cls.__module__.startswith("keyrings.alt") or "plaintext" in cls.__name__.lower():
            return True
    return False


def _is_chainer(backend: object) -> bool:
    return any(c.__name__ == "ChainerBackend" for c in type(backend).__mro__)


def _vet(backend: KeyringBackend) -> KeyringBackend:
    """Return the backend secrets may go to, or raise saying what to install.

    A chain is unwrapped: keyring's ChainerBackend writes to the first backend that accepts
    and reads from all of them, so one plaintext member is a silent downgrade. We keep the
    best secure member and use it directly."""
    if _is_chainer(backend):
        members = list(getattr(backend, "backends", []))
        secure = [b for b in members if _qualname(b) not in _NO_STORAGE and not _is_plaintext(b)]
        skipped = [_qualname(b) for b in members if _is_plaintext(b)]
        if skipped:
            log.warning("ignoring plaintext keyring backends: %s", ", ".join(skipped))
        if not secure:
            if skipped:
                raise _plaintext_refused()
            raise KeyringUnavailable()
        return _vet(secure[0])
    name = _qualname(backend)
    if name in _NO_STORAGE:
        raise KeyringUnavailable()
    if _is_plaintext(backend):
        raise _plaintext_refused()
    return backend


def _plaintext_refused() -> KeyringUnavailable:
    return KeyringUnavailable(
        "Only a plaintext keyring is available and streamdesk will not store secrets in plain text: "
        f"{_install_hint()}"
    )


def _is_secret_service(backend: object) -> bool:
    return type(backend).__module__ in ("keyring.backends.SecretService", "keyring.backends.libsecret")


def _probe_secret_service() -> None:
    """Raise KeyringLocked/KeyringUnavailable if the default collection is locked or missing.

    Reads the ``Locked`` property only: secretstorage's ``unlock()`` (and its
    ``get_default_collection``, which *creates* a missing collection) open a prompt that blocks
    forever without a desktop. The probe runs in a daemon thread so a stuck bus cannot hang us."""
    result: dict[str, BaseException | bool] = {}

    def probe() -> None:
        try:
            import secretstorage
            from secretstorage.exceptions import ItemNotFoundException

            conn = secretstorage.dbus_init()
            try:
                try:
                    collection = secretstorage.Collection(conn)  # the "default" alias; never creates
                except ItemNotFoundException:
                    result["missing"] = True
                    return
                result["locked"] = collection.is_locked()
            finally:
                conn.close()
        except BaseException as e:  # reported below, on the caller's thread
            result["error"] = e

    t = threading.Thread(target=probe, name="keyring-probe", daemon=True)
    t.start()
    t.join(PROBE_TIMEOUT_S)
    if t.is_alive():
        raise KeyringLocked(
            f"Your keyring did not answer within {PROBE_TIMEOUT_S:g} s: unlock your keyring and check "
            "that its service is running, then try again."
        )
    if "error" in result:
        log.info("Secret Service probe failed: %s", type(result["error"]).__name__)
        raise KeyringUnavailable(f"The system keyring could not be reached: {_install_hint()}")
    if result.get("missing"):
        raise KeyringLocked(
            "Your keyring has no default collection: create and unlock a default keyring "
            "(e.g. in Passwords and Keys), then try again."
        )
    if result.get("locked"):
        raise KeyringLocked()


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------


@functools.cache
def _memory_keyring_class() -> type[KeyringBackend]:
    from keyring.backend import KeyringBackend
    from keyring.errors import PasswordDeleteError

    class MemoryKeyring(KeyringBackend):
        """Secrets held by this process only, gone when it exits: ``--demo`` and the tests.
        ``entries`` is ``{(service, user): value}``."""

        priority = 0  # never chosen by keyring on its own

        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call]  # keyring's base is untyped
            self.entries: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.entries.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.entries[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            if self.entries.pop((service, username), None) is None:
                raise PasswordDeleteError("no such password")

    return MemoryKeyring


def memory_keyring() -> KeyringBackend:
    """A fresh in-process keyring (nothing touches disk or the user's keyring)."""
    return _memory_keyring_class()()


def entry_bytes(value: str) -> int:
    """The size of ``value`` as Windows Credential Manager stores it: UTF-16 code units, 2 bytes each."""
    return len(value.encode("utf-16-le", "surrogatepass"))


class SecretTooLong(StreamdeskError):
    """A secret bigger than ``MAX_ENTRY_BYTES``: refused before anything is stored."""


#: the secrets a streamer pastes in (the others are minted or read by streamdesk)
_TYPED = {SecretKind.API_SECRET, SecretKind.OBS_PASSWORD, SecretKind.DISCORD_WEBHOOK}


def entry_name(kind: SecretKind, scope: str = "") -> str:
    """The keyring user name of one secret: ``stream_key:livestream:show-1``."""
    return f"{SecretKind(kind).value}:{scope}" if scope else SecretKind(kind).value


class SecretStore:
    """The keyring, vetted. ``backend=None`` means whatever keyring selects (env
    ``PYTHON_KEYRING_BACKEND``, ``keyring.set_keyring`` in tests, or the platform's best)."""

    def __init__(self, backend: KeyringBackend | None = None, *, service: str = SERVICE) -> None:
        self._backend = backend
        self.service = service  # ``streamdesk``; ``--demo --keep`` keeps its throw-away secrets apart

    def __repr__(self) -> str:
        return f"SecretStore(backend={_qualname(self._backend) if self._backend else 'default'})"

    def _resolve(self) -> KeyringBackend:
        backend = self._backend
        if backend is None:
            import keyring

            try:
                backend = keyring.get_keyring()
            except Exception as e:  # a bad PYTHON_KEYRING_BACKEND, a broken backend import
                log.info("keyring backend selection failed: %s", type(e).__name__)
                raise KeyringUnavailable() from None
        chosen = _vet(backend)
        if _is_secret_service(chosen):
            _probe_secret_service()
        return chosen

    def check(self) -> str:
        """A description of the backend in use (``SecretService Keyring``); raises
        ``KeyringUnavailable`` / ``KeyringLocked`` saying what to install or unlock."""
        backend = self._resolve()
        return str(getattr(backend, "name", _qualname(backend)))

    def get(self, kind: SecretKind, scope: str = "") -> str | None:
        backend = self._resolve()
        with _keyring_errors():
            value = _bounded(lambda: backend.get_password(self.service, entry_name(kind, scope)))
        if value:
            register_secret(value)
        return value or None

    def set(self, kind: SecretKind, value: str, scope: str = "") -> None:
        if not value or not value.strip():
            raise StreamdeskError(f"The {SecretKind(kind).label} is empty: enter it again.")
        if (size := entry_bytes(value)) > MAX_ENTRY_BYTES:
            raise SecretTooLong(
                f"The {SecretKind(kind).label} is too long to keep in the system keyring: {size} bytes, "
                f"and streamdesk keeps every secret within {MAX_ENTRY_BYTES} (what Windows Credential "
                "Manager holds).",
                hint=f"Check that you pasted only the {SecretKind(kind).label}." if kind in _TYPED else "")
        register_secret(value)  # before anything can log it
        backend = self._resolve()
        with _keyring_errors():
            _bounded(lambda: backend.set_password(self.service, entry_name(kind, scope), value))

    def delete(self, kind: SecretKind, scope: str = "") -> None:
        """Remove one secret; deleting one that is not there is not an error."""
        from keyring.errors import PasswordDeleteError

        backend = self._resolve()
        with _keyring_errors(), suppress(PasswordDeleteError):
            _bounded(lambda: backend.delete_password(self.service, entry_name(kind, scope)))


def keyring_timeout() -> float:
    """How long one keyring call may take: ``KEYRING_TIMEOUT_S`` or ``STREAMDESK_KEYRING_TIMEOUT``."""
    try:
        value = float(os.environ.get("STREAMDESK_KEYRING_TIMEOUT", ""))
    except ValueError:
        return KEYRING_TIMEOUT_S
    return value if math.isfinite(value) and 0 < value <= 120 else KEYRING_TIMEOUT_S


_T = TypeVar("_T")


def _bounded(call: Callable[[], _T]) -> _T:
    """Run one keyring call on a daemon thread and give up after :func:`keyring_timeout`: a hung
    backend (a prompt nobody can answer, a stuck D-Bus) becomes a clear error, not a hang. The
    abandoned thread dies with the process."""
    result: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            result["value"] = call()
        except BaseException as e:  # re-raised on the caller's thread, where it is classified
            result["error"] = e
        finally:
            done.set()

    threading.Thread(target=run, name="keyring-call", daemon=True).start()
    limit = keyring_timeout()
    if not done.wait(limit):
        log.info("keyring call did not return within %.1f s", limit)
        raise KeyringLocked(f"Your keyring did not answer within {limit:g} s: unlock your keyring and "
                            "check that its service is running, then try again.")
    if "error" in result:
        raise result["error"]
    return result["value"]  # type: ignore[no-any-return]


@contextmanager
def _keyring_errors() -> Iterator[None]:
    """Turn keyring's exceptions into one-line user errors (their text may echo a value)."""
    from keyring import errors as kerr

    try:
        yield
    except (StreamdeskError, kerr.PasswordDeleteError):
        raise
    except kerr.KeyringLocked:
        log.info("keyring operation failed: locked")
        raise KeyringLocked() from None
    except (kerr.NoKeyringError, kerr.InitError) as e:
        log.info("keyring operation failed: %s", type(e).__name__)
        raise KeyringUnavailable() from None
    except kerr.KeyringError as e:
        log.info("keyring operation failed: %s", type(e).__name__)
        raise KeyringUnavailable(
            f"The system keyring refused the operation ({type(e).__name__}): unlock your keyring and "
            "try again."
        ) from None


# --------------------------------------------------------------------------------------------
# Redaction
# --------------------------------------------------------------------------------------------

REDACTED = "[REDACTED]"
#: shorter values are not registered: redacting every "obs" in a log would make it unreadable
MIN_SECRET_LEN = 4
# Belt and braces: anything shaped like a JWT (the stream key, server tokens) is hidden even if
# it was never registered (a key minted by another process, a token in a third-party record).
_DISCORD_WEBHOOK = re.compile(r"(discord(?:app)?\.com/api/webhooks/\d+/)[A-Za-z0-9_.-]+", re.I)

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register_secret(value: str | None) -> None:
    """Hide ``value`` from every log record from now on (idempotent, thread-safe)."""
    global _pattern
    if not value:
        return
    candidates = {value, value.strip(), *_json_leaves(value)}
    # a webhook URL also leaks through its token alone (e.g. an httpx log of a redirect)
    m = _DISCORD_WEBHOOK.search(value)
    if m:
        candidates.add(value[m.end(1):].split("?")[0])
    candidates = {c for c in candidates if len(c) >= MIN_SECRET_LEN}
    with _lock:
        if candidates <= _secrets:
            return
        _secrets.update(candidates)
        # longest first, so a secret containing another is hidden whole
        _pattern = re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True)))


def _json_leaves(value: str) -> list[str]:
    """The strings inside a JSON secret (OBS's backed-up ``{"key": …}``): each leaks on its own."""
    if not value.lstrip().startswith(("{", "[")):
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []
    leaves: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            leaves.append(item)
    return leaves


def redact(text: str) -> str:
    """``text`` with every registered secret and anything JWT-shaped replaced by ``[REDACTED]``."""
    if not text:
        return text
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    text = JWT.sub(REDACTED, text)
    return _DISCORD_WEBHOOK.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingFilter(logging.Filter):
    """A handler filter: rewrites each record so no registered secret survives in its message,
    arguments, exception text or stack. On a handler (not a logger) it also sees records
    propagated from third-party loggers (httpx, obsws_python, websockets)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what we can, redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()
#: how scripts hand secrets in (a stable interface: README "Configuration")
SECRET_ENV_VARS = ("STREAMDESK_API_SECRET", "STREAMDESK_OBS_PASSWORD")
_HANDLER_MARK = "_streamdesk_log_file"


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files are created 0600 (rotated ones too): logs are redacted, but still private."""

    def _open(self):  # type: ignore[no-untyped-def]
        from streamdesk.core.paths import open_private

        # never through a planted symlink; an older file created wider is made 0600
        fd = open_private(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        return os.fdopen(fd, self.mode.replace("w", "a"), encoding=self.encoding, errors=self.errors)


def setup_logging(log_file: Path | str, level: int = logging.INFO) -> logging.Handler:
    """Install the rotating log file (mode 0600) and the redaction filter on the root logger.

    Idempotent: a second call with the same file changes nothing; with another file it replaces
    our handler. Every root handler (ours and any already there) gets the redaction filter."""
    path = Path(log_file)
    root = logging.getLogger()
    ours = None
    for h in list(root.handlers):
        mark = getattr(h, _HANDLER_MARK, None)
        if mark is None:
            continue
        if mark == str(path):
            ours = h
        else:
            root.removeHandler(h)
            h.close()
    if ours is None:
        old = os.umask(0o077)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        finally:
            os.umask(old)
        try:
            ours = _PrivateRotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
        except OSError as e:  # a planted symlink, a full or read-only disk: one sentence, no traceback
            from streamdesk.core.paths import HomeError, describe_os_error

            raise HomeError(describe_os_error(e, path, what=f"The log file {path}")) from None
        ours.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        setattr(ours, _HANDLER_MARK, str(path))
        root.addHandler(ours)
    for h in root.handlers:
        if _FILTER not in h.filters:
            h.addFilter(_FILTER)
    # secrets a script handed in are known before any code path reads (and registers) them
    for var in SECRET_ENV_VARS:
        register_secret(os.environ.get(var))
    root.setLevel(level)
    # their DEBUG/INFO is chatty and the most likely to echo request bodies or passwords
    for noisy in ("obsws_python", "httpx", "httpcore", "websockets"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return ours
