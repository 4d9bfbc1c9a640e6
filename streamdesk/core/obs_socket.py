"""One obs-websocket 5 session on top of obsws-python's connection.

obsws-python's ``ObsClient`` opens the websocket and reads ``Hello``; ``ObsSocket`` adds what it
lacks: Identify and every read keep the websocket *close code* (the library turns 4009, 4010 and
4011 into one "failed to identify" error), requests carry their own id so a late answer to an
earlier request is recognised, and a close that arrived on an idle socket can be noticed before the
next request. Always built with explicit host/port/password/timeout, so obsws-python never reads a
``config.toml``. Not thread-safe: one thread per socket."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import select
import socket
import uuid
from typing import TYPE_CHECKING, Any

import websocket
from obsws_python.baseclient import ObsClient

from streamdesk.core.obs_errors import (
    SETTINGS_HINT,
    ObsAuthFailed,
    ObsNotRunning,
    ObsTimeout,
    ObsUnsupported,
    closed_error,
)

if TYPE_CHECKING:
    from streamdesk.core.obs import ObsTarget

# obsws-python logs the password (INFO) and every request payload, stream key included (DEBUG).
logging.getLogger("obsws_python").setLevel(logging.WARNING)
# It logs connection errors with a traceback before we classify them; we report each one ourselves.
logging.getLogger("obsws_python.baseclient.ObsSocket").setLevel(logging.CRITICAL)


def register_secrets(*secrets: str | None) -> None:
    """Hide these values from every log record from now on (see ``core.secrets``)."""
    from streamdesk.core.secrets import register_secret

    for s in secrets:
        register_secret(s)


class Closed(Exception):
    """The server sent a websocket close frame (internal: mapped to an ``ObsError``)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(f"closed with code {code} {reason}".strip())
        self.code = code
        self.reason = reason


class ObsSocket(ObsClient):  # type: ignore[misc]  # obsws-python ships no type information
    """obsws-python's connection (connect + Hello), with Identify and reads that keep close codes.

    Always constructed with explicit host/port/password/timeout, so obsws-python never looks for
    a ``config.toml``."""

    def __init__(self, target: ObsTarget, *, timeout: float, subs: int) -> None:
        self.target = target
        register_secrets(target.password)
        try:
            super().__init__(host=target.host, port=target.port, password=target.password or "",
                             subs=subs, timeout=timeout)
        except ConnectionRefusedError:
            raise ObsNotRunning(
                f"Nothing is listening at {target}: is OBS running with its WebSocket server enabled?",
                hint=SETTINGS_HINT,
            ) from None
        except socket.gaierror:
            raise ObsNotRunning(f"The OBS host name {target.host!r} cannot be resolved.",
                                hint="Check the host name.") from None
        except (TimeoutError, websocket.WebSocketTimeoutException):
            ws = getattr(self, "ws", None)
            if ws is not None and ws.connected:  # a websocket, but no obs-websocket 5 Hello
                self._close_quietly()
                raise ObsUnsupported(
                    f"Something answered at {target} but did not greet like obs-websocket 5.",
                    hint="streamdesk needs OBS 28 or newer; OBS 27 with obs-websocket 4.x is not supported.",
                ) from None
            self._close_quietly()
            raise ObsTimeout(f"OBS at {target} did not answer within {timeout:g} s.",
                             hint="Check the host and port, and that OBS is not frozen.") from None
        except (ValueError, websocket.WebSocketException):
            self._close_quietly()
            raise ObsUnsupported(f"The server at {target} is not obs-websocket 5.",
                                 hint="Check the port in OBS → Tools → WebSocket Server Settings.") from None
        except OSError as e:
            raise ObsNotRunning(f"OBS at {target} cannot be reached ({e.strerror or type(e).__name__}).",
                                hint="Check the host and port.") from None
        hello = self.server_hello
        if not isinstance(hello, dict) or hello.get("op") != 0 or int(hello["d"].get("rpcVersion", 0)) < 1:
            self._close_quietly()
            raise ObsUnsupported(f"The server at {target} is not obs-websocket 5.",
                                 hint="streamdesk needs OBS 28 or newer.")
        self._seq = 0

    def __repr__(self) -> str:
        return f"ObsSocket({self.target})"

    def _close_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close(timeout=0.2)

    close = _close_quietly

    def authenticate(self) -> dict[str, Any]:
        """Identify (SHA-256 challenge when OBS asks for it); returns the Identified payload."""
        d: dict[str, Any] = {"rpcVersion": 1, "eventSubscriptions": self.subs}
        auth = self.server_hello["d"].get("authentication")
        if auth:
            if not self.password:
                self._close_quietly()
                raise ObsAuthFailed(
                    f"OBS at {self.target} asks for a websocket password and streamdesk has none.",
                    hint="Pass it with --password-stdin or STREAMDESK_OBS_PASSWORD "
                    "(OBS → Tools → WebSocket Server Settings → Show Connect Info).",
                )
            secret = base64.b64encode(hashlib.sha256((self.password + auth["salt"]).encode()).digest())
            d["authentication"] = base64.b64encode(
                hashlib.sha256(secret + auth["challenge"].encode()).digest()).decode()
        try:
            self.ws.send(json.dumps({"op": 1, "d": d}))
            msg = self.recv_message()
        except Closed as c:
            self._close_quietly()
            raise closed_error(self.target, c.code, during="while identifying") from None
        except (TimeoutError, websocket.WebSocketTimeoutException):
            self._close_quietly()
            raise ObsTimeout(f"OBS at {self.target} did not answer the login within {self.timeout:g} s.",
                             hint="OBS may be frozen; check that it responds.") from None
        except (websocket.WebSocketException, OSError):
            self._close_quietly()
            raise ObsNotRunning(f"OBS at {self.target} dropped the connection while logging in.",
                                hint="Is OBS still running?") from None
        if msg.get("op") != 2:
            self._close_quietly()
            raise ObsUnsupported(f"OBS at {self.target} answered the login unexpectedly.")
        identified: dict[str, Any] = msg["d"]
        return identified

    def recv_message(self) -> dict[str, Any]:
        """The next obs-websocket message. Raises ``Closed`` on a close frame, the websocket
        library's timeout / closed errors otherwise."""
        while True:
            opcode, data = self.ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                raise Closed(code, data[2:].decode("utf-8", "replace"))
            if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                message: dict[str, Any] = json.loads(data)
                return message
            # ping/pong: keep reading

    def pending_close(self) -> Closed | None:
        """On an idle socket: a close frame that arrived meanwhile, ``Closed(None)`` if the peer
        is gone, else None (nothing pending, or only stray messages, which are dropped)."""
        raw = self.ws.sock
        if raw is None:
            return Closed(None)
        try:
            while select.select([raw], [], [], 0)[0]:
                self.ws.settimeout(self.timeout)
                self.recv_message()
        except Closed as c:
            return c
        except (websocket.WebSocketException, OSError, ValueError):
            return Closed(None)
        return None

    def send_request(self, request_type: str, data: dict[str, Any] | None = None) -> str:
        self._seq += 1
        request_id = f"sd-{self._seq}-{uuid.uuid4().hex[:8]}"
        payload: dict[str, Any] = {"requestType": request_type, "requestId": request_id}
        if data is not None:
            payload["requestData"] = data
        self.ws.send(json.dumps({"op": 6, "d": payload}))
        return request_id
