"""The base of every error streamdesk shows a user.

``str(error)`` is one plain sentence that says what happened and what to check. It never
contains a secret (the redaction filter in ``core.secrets`` is the second line of defence)."""

from __future__ import annotations


class StreamdeskError(Exception):
    """An expected failure with a message fit for a streamer's eyes."""

    #: a short hint shown under the message ("Check …"), optional
    hint: str = ""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__

    def one_line(self) -> str:
        return f"{self.message} {self.hint}".strip()


def bug_sentence(error: BaseException, where: str = "the log") -> str:
    """What a streamer reads when streamdesk itself failed (an exception no one expected): that it
    is streamdesk's fault, not theirs, and where the details are. Every expected failure is a
    ``StreamdeskError`` with its own sentence; this is the one for everything else."""
    return f"a bug in streamdesk stopped this ({type(error).__name__}); the details are in {where}."


class InvalidInput(StreamdeskError):
    """A value the streamer typed (a command-line argument or a form field) is not acceptable.

    Raised before anything is sent or stored, so fixing the value and retrying is always safe.
    The CLI exits 2 (usage) for these and 1 for everything else; the GUI shows them inline."""


class NetworkUnreachable(StreamdeskError):
    """The remote service did not answer (no route, DNS, TLS, timeout): nothing was decided there.

    Here, dependency-free, so the window can tell "unreachable" from other failures by type
    without importing the HTTP stack; ``core.getstream.NetworkError`` is one."""
