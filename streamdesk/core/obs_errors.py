"""What can go wrong talking to OBS, each as one sentence a streamer can act on.

All are ``StreamdeskError``s; the close codes are obs-websocket 5's (4009 authentication failed,
4010 unsupported RPC version — also what an obs-websocket 4 style client gets — and 4011 session
invalidated, i.e. kicked by the user)."""

from __future__ import annotations

from streamdesk.core.errors import StreamdeskError

CLOSE_AUTH_FAILED = 4009
CLOSE_UNSUPPORTED_RPC = 4010
CLOSE_KICKED = 4011
#: close codes that mean "OBS does not want this session": never reconnect on our own after these
FINAL_CLOSE_CODES = frozenset({CLOSE_AUTH_FAILED, CLOSE_UNSUPPORTED_RPC, CLOSE_KICKED})


class ObsError(StreamdeskError):
    """Anything that went wrong talking to OBS."""


class ObsNotRunning(ObsError):
    """Nothing answers at host:port, or the connection was lost."""


class ObsAuthFailed(ObsError):
    """Close code 4009, or a password is needed and none was given."""


class ObsUnsupported(ObsError):
    """Close code 4010, or something that is not obs-websocket 5 answered."""


class ObsKicked(ObsError):
    """Close code 4011: the user removed this session in OBS. Never reconnect on our own."""


class ObsTimeout(ObsError):
    """OBS accepted the connection but did not answer in time."""


class ObsMalformed(ObsError):
    """OBS (or whatever answers on its port) sent a frame or a value that is not valid obs-websocket 5:
    bad JSON, a wrong shape, a number that is not finite or not plausible."""


class ObsOutputActive(ObsError):
    """OBS refuses to change stream settings while the stream output runs."""


class ObsStartFailed(ObsError):
    """StartStream was accepted but the output went STARTING → STOPPED (or never connected)."""


class ObsRequestFailed(ObsError):
    def __init__(self, request: str, code: int, comment: str = "") -> None:
        detail = f": {comment.rstrip('.')}" if comment else ""
        super().__init__(f"OBS refused {request} (code {code}{detail}).")
        self.request = request
        self.code = code


SETTINGS_HINT = "Check OBS → Tools → WebSocket Server Settings."


def closed_error(target: object, code: int | None, *, during: str = "") -> ObsError:
    """The error for a websocket close code from OBS at ``target`` (host:port)."""
    where = f"OBS at {target}"
    if code == CLOSE_AUTH_FAILED:
        return ObsAuthFailed(
            f"{where} rejected the websocket password.",
            hint="Copy it from OBS → Tools → WebSocket Server Settings → Show Connect Info and run "
            "`streamdesk obs configure --password-stdin`.",
        )
    if code == CLOSE_UNSUPPORTED_RPC:
        return ObsUnsupported(
            f"{where} does not support this client's obs-websocket RPC version (close code 4010).",
            hint="streamdesk needs OBS 28 or newer (obs-websocket 5).",
        )
    if code == CLOSE_KICKED:
        return ObsKicked(
            f"{where} closed streamdesk's session on purpose (kicked in its WebSocket settings); "
            "streamdesk will not reconnect on its own.",
            hint="Connect again when you want streamdesk back.",
        )
    shown = f" (close code {code})" if code else ""
    during = f" {during}" if during else ""
    return ObsNotRunning(f"{where} closed the connection{during}{shown}.", hint="Is OBS still running?")


def output_active() -> ObsOutputActive:
    return ObsOutputActive("OBS is streaming right now and refuses to change its stream settings while live.",
                           hint="Stop the stream first (`streamdesk obs stop`), then try again.")
