"""Cancelling a long operation from another thread (the GUI's Cancel button).

The GUI runs an operation (provision, go live, force end) on a worker thread inside
``scope(token)``; every :class:`GetStreamClient` created in that scope registers with the token,
and ``token.cancel()`` makes the request in flight (and any later one) raise ``Cancelled`` at once.
The operation's own cleanup still runs: a cancelled force end still closes the session row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class CancelToken:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._hooks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()

    def on_cancel(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` when cancelled (at once if it already was)."""
        with self._lock:
            if not self._cancelled:
                self._hooks.append(hook)
                return
        hook()


_local = threading.local()


@contextmanager
def scope(token: CancelToken) -> Iterator[CancelToken]:
    """Make ``token`` the current thread's cancel token for the block."""
    previous = getattr(_local, "token", None)
    _local.token = token
    try:
        yield token
    finally:
        _local.token = previous


def current() -> CancelToken | None:
    token = getattr(_local, "token", None)
    return token if isinstance(token, CancelToken) else None
