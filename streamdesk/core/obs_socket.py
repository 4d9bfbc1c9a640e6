"""One obs-websocket 5 session on top of obsws-python's connection.

obsws-python's ``ObsClient`` opens the websocket and reads ``Hello``; ``ObsSocket`` adds what it
lacks: Identify and every read keep the websocket *close code* (the library turns 4009, 4010 and
4011 into one "failed to identify" error), every frame is checked (``obs_frames``), requests and
batches carry their own id so a late answer to an earlier request is recognised, every exchange
has a total deadline, and a close that arrived on an idle socket can be noticed before the next
request. Always built with explicit host/port/password/timeout, so obsws-python never reads a
``config.toml``. Not thread-safe: one thread per socket.

obsws-python internals: its constructor is the only part we use, and what it leaves on the
instance is undocumented. ``OBSWS_INTERNALS`` below names each attribute we read, with the reason;
they are read only through ``_ws``/``_hello`` in this module, and
``tests/unit/test_obsws_contract.py`` fails when a release changes one. Tested range: see
``OBSWS_TESTED`` (pinned the same in pyproject.toml).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import heapq
import itertools
import json
import logging
import selectors
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import websocket
from obsws_python.baseclient import ObsClient  # type: ignore[import-untyped]

from streamdesk.core import obs_frames
from streamdesk.core.obs_errors import (
    SETTINGS_HINT,
    ObsAuthFailed,
    ObsMalformed,
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

#: obsws-python versions this module was tested with (pyproject: ``obsws-python>=1.7,<1.9``).
OBSWS_TESTED = ((1, 7), (1, 8))
#: The undocumented ``ObsClient`` attributes read here, and why. Nothing else of it is touched.
OBSWS_INTERNALS = {
    "ws": "the websocket-client WebSocket its constructor assigns, then connects; we read close frames "
          "and match request ids on it ourselves (its req() reads 'the next message' and loses close "
          "codes), and build it ourselves (a property) to skip websocket-client's slow UTF-8 check",
    "server_hello": "the Hello frame its constructor read (a dict); Identify needs its challenge",
}

BATCH_SERIAL_REALTIME = 0  # RequestBatch executionType: one after the other, as fast as possible


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


class _Watchdog:
    """One daemon thread that shuts a socket down when its total deadline passes.

    websocket-client's timeout applies to each ``recv``, so a peer that trickles a byte at a time
    never times out; shutting the socket down ends the blocked read at once, whatever it waits for."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._live: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, fire: Callable[[], None]) -> int:
        token = next(self._ids)
        entry = (time.monotonic() + seconds, token, fire)
        with self._cond:
            heapq.heappush(self._heap, entry)
            self._live.add(token)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="obs-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0] is entry:  # earlier than anything it waits for: wake it (else no wake-up)
                self._cond.notify()
        return token

    def disarm(self, token: int) -> bool:
        """False when the deadline already fired."""
        with self._cond:
            if token in self._live:
                self._live.discard(token)
                return True
            return False

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)  # disarmed
                if not self._heap:
                    self._cond.wait()
                    continue
                at, token, fire = self._heap[0]
                wait = at - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                self._live.discard(token)
            with contextlib.suppress(Exception):
                fire()


_WATCHDOG = _Watchdog()


def _readable(raw: socket.socket) -> bool:
    """Whether ``raw`` has something to read now. A selector, not ``select.select``: a long-running
    app (or test process) can hold descriptors above FD_SETSIZE (1024), where ``select`` raises
    ValueError and every fresh socket would look dead."""
    with selectors.DefaultSelector() as sel:
        sel.register(raw, selectors.EVENT_READ)
        return bool(sel.select(0))


class DeadlinePassed(Exception):
    """The total deadline of one exchange passed (internal: the socket is shut down)."""


class ObsSocket(ObsClient):  # type: ignore[misc]  # obsws-python ships no types
    """obsws-python's connection (connect + Hello), with Identify, checked frames, request ids and
    total deadlines. Always constructed with explicit host/port/password/timeout."""

    def __init__(self, target: ObsTarget, *, timeout: float, subs: int) -> None:
        self.target = target
        self.timeout = timeout
        self._password = target.password or ""
        self._subs = subs
        self._seq = 0
        register_secrets(target.password)
        try:
            with self.deadline(timeout):
                super().__init__(host=target.host, port=target.port, password=self._password,
                                 subs=subs, timeout=timeout)
        except ConnectionRefusedError:
            raise ObsNotRunning(
                f"Nothing is listening at {target}: is OBS running with its WebSocket server enabled?",
                hint=SETTINGS_HINT,
            ) from None
        except socket.gaierror:
            raise ObsNotRunning(f"The OBS host name {target.host!r} cannot be resolved.",
                                hint="Check the host name.") from None
        except (TimeoutError, websocket.WebSocketTimeoutException, DeadlinePassed):
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
        try:
            self.hello = obs_frames.hello(self._hello())
        except ObsMalformed as e:
            self._close_quietly()
            raise ObsUnsupported(f"The server at {target} is not obs-websocket 5 ({e.message.rstrip('.')}).",
                                 hint="streamdesk needs OBS 28 or newer.") from None

    def __repr__(self) -> str:
        return f"ObsSocket({self.target})"

    @property
    def ws(self) -> websocket.WebSocket:
        return self._websocket

    @ws.setter
    def ws(self, given: websocket.WebSocket) -> None:
        # obsws-python's constructor assigns a fresh WebSocket() here, then connects it. Ours is the
        # same class built with websocket-client's public skip_utf8_validation option: its validator
        # is pure Python (≈ 1 µs a byte, 2–3 ms per configure batch answer) and obs_frames.decode
        # checks the UTF-8 anyway (strictly, in C). A socket handed over already connected is kept.
        self._websocket = given if given.connected else websocket.WebSocket(skip_utf8_validation=True)

    # -- the obsws-python internals, read here only (see OBSWS_INTERNALS) -------------------------

    def _ws(self) -> websocket.WebSocket:
        return self.ws

    def _hello(self) -> Any:
        return getattr(self, "server_hello", None)

    # -- socket control -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        """Everything inside must finish within ``seconds`` in total, or the socket is shut down
        and ``DeadlinePassed`` raised (whatever error the interrupted read raised is replaced)."""
        token = _WATCHDOG.arm(max(seconds, 0.0), self.abort)
        try:
            yield
        except BaseException:
            if not _WATCHDOG.disarm(token):
                raise DeadlinePassed from None
            raise
        if not _WATCHDOG.disarm(token):
            raise DeadlinePassed

    def abort(self) -> None:
        """Shut the socket down now: a reader blocked in recv wakes at once (any thread may call)."""
        ws = getattr(self, "ws", None)
        # websocket-client's raw socket: its own abort() does nothing while the handshake is in progress
        raw = getattr(ws, "sock", None)
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.shutdown(socket.SHUT_RDWR)

    def settimeout(self, seconds: float) -> None:
        self._ws().settimeout(seconds)

    def _close_quietly(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.close(timeout=0.2)

    close = _close_quietly

    # -- the protocol ---------------------------------------------------------------------------------

    def authenticate(self) -> int:
        """Identify (SHA-256 challenge when OBS asks for it); returns the negotiated RPC version."""
        d: dict[str, Any] = {"rpcVersion": 1, "eventSubscriptions": self._subs}
        if self.hello.challenge is not None and self.hello.salt is not None:
            if not self._password:
                self._close_quietly()
                raise ObsAuthFailed(
                    f"OBS at {self.target} asks for a websocket password and streamdesk has none.",
                    hint="Pass it with --password-stdin or STREAMDESK_OBS_PASSWORD "
                    "(OBS → Tools → WebSocket Server Settings → Show Connect Info).",
                )
            secret = base64.b64encode(hashlib.sha256((self._password + self.hello.salt).encode()).digest())
            d["authentication"] = base64.b64encode(
                hashlib.sha256(secret + self.hello.challenge.encode()).digest()).decode()
        try:
            with self.deadline(self.timeout):
                self.settimeout(self.timeout)
                self._ws().send(json.dumps({"op": 1, "d": d}))
                msg = self.recv_message()
            return obs_frames.identified(msg)
        except Closed as c:
            self._close_quietly()
            raise closed_error(self.target, c.code, during="while identifying") from None
        except (TimeoutError, websocket.WebSocketTimeoutException, DeadlinePassed):
            self._close_quietly()
            raise ObsTimeout(f"OBS at {self.target} did not answer the login within {self.timeout:g} s.",
                             hint="OBS may be frozen; check that it responds.") from None
        except ObsMalformed as e:
            self._close_quietly()
            raise ObsUnsupported(f"OBS at {self.target} answered the login unexpectedly: "
                                 f"{e.message}") from None
        except (websocket.WebSocketException, OSError):
            self._close_quietly()
            raise ObsNotRunning(f"OBS at {self.target} dropped the connection while logging in.",
                                hint="Is OBS still running?") from None

    def recv_message(self) -> dict[str, Any]:
        """The next obs-websocket message, checked (``ObsMalformed`` otherwise). Raises ``Closed`` on
        a close frame, the websocket library's timeout / closed errors otherwise."""
        while True:
            opcode, data = self._ws().recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                raise Closed(code, data[2:].decode("utf-8", "replace"))
            if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                return obs_frames.decode(data)
            # ping/pong: keep reading

    def pending_close(self) -> Closed | None:
        """On an idle socket: a close frame that arrived meanwhile, ``Closed(None)`` if the peer
        is gone, else None (nothing pending, or only stray messages, which are dropped)."""
        raw = self._ws().sock
        if raw is None:
            return Closed(None)
        try:
            while _readable(raw):
                with self.deadline(self.timeout):
                    self.settimeout(self.timeout)
                    with contextlib.suppress(ObsMalformed):  # a stray bad frame on an idle socket: dropped
                        self.recv_message()
        except Closed as c:
            return c
        except (websocket.WebSocketException, OSError, ValueError, DeadlinePassed):
            return Closed(None)
        return None

    def _next_id(self) -> str:
        self._seq += 1
        return f"sd-{self._seq}-{uuid.uuid4().hex[:8]}"

    def send_request(self, request_type: str, data: dict[str, Any] | None = None) -> str:
        request_id = self._next_id()
        payload: dict[str, Any] = {"requestType": request_type, "requestId": request_id}
        if data is not None:
            payload["requestData"] = data
        self._ws().send(json.dumps({"op": 6, "d": payload}))
        return request_id

    def send_batch(self, requests: list[tuple[str, dict[str, Any] | None]], *, halt_on_failure: bool) -> str:
        """One RequestBatch (op 8), executed serially in real time; returns its id."""
        request_id = self._next_id()
        items: list[dict[str, Any]] = []
        for request_type, data in requests:
            item: dict[str, Any] = {"requestType": request_type}
            if data is not None:
                item["requestData"] = data
            items.append(item)
        self._ws().send(json.dumps({"op": 8, "d": {
            "requestId": request_id, "haltOnFailure": halt_on_failure,
            "executionType": BATCH_SERIAL_REALTIME, "requests": items}}))
        return request_id
