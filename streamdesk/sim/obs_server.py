"""An obs-websocket 5.x server on loopback that behaves like OBS 29 for the requests streamdesk uses.

It is the demo's OBS (``streamdesk --demo``) and the test bench for what real OBS will not do on demand:
wrong password (4009), an unsupported RPC version (4010), a kick (4011), a socket that dies mid-stream,
OBS quitting and coming back, requests that answer slowly or never, a reconnecting stream, dropped frames.

Threading: the server runs an asyncio loop in a daemon thread; the public methods are synchronous and safe
to call from any thread (they hand work to the loop and wait for it). Written from the protocol document
and observations of real OBS 29.0.2 / obs-websocket 5.1.0, never from streamdesk's own client.

Secrets: the password is never logged or shown in ``repr``; requests are logged by type only, since a
``SetStreamServiceSettings`` payload carries the stream key.

Use::

    with ObsSimulator("pw") as obs:            # 127.0.0.1, random port: obs.port / obs.url
        ...                                    # state: stream_service, profile, streaming, connections
        obs.ingest_reachable = False           # the next StartStream goes STARTING → STOPPED
        obs.hang_requests = {"GetStreamStatus"}  # or True: requests never answer; response_delay slows them
        obs.simulate_reconnect(None); obs.finish_reconnect()
        obs.knobs.dropped_frames_pct = 2.0     # also congestion, encoder_lag_pct, render_lag_pct
        obs.close_next_with(4009); obs.kick(); obs.drop_connections(); obs.restart()
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import json
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State
from websockets.typing import Subprotocol

from streamdesk.sim.obs_output import OutputKnobs, StreamOutput, whole
from streamdesk.sim.obs_profile import ObsProfile, VideoSettings
from streamdesk.sim.obs_protocol import (
    CLOSE_REASONS,
    OBS_VERSION,
    PRE_5_REASON,
    RPC_VERSION,
    SUBPROTOCOL_JSON,
    WEBSOCKET_VERSION,
    CloseCode,
    EventSub,
    Op,
    OutputState,
    Status,
    auth_response,
)

_T = TypeVar("_T")

log = logging.getLogger("streamdesk.sim.obs")
# websockets dumps every frame at DEBUG, and a SetStreamServiceSettings frame carries the stream key:
# its logger for this server never goes below INFO, whatever the app's log level.
_ws_log = logging.getLogger("streamdesk.sim.obs.ws")
_ws_log.setLevel(logging.INFO)

DEFAULT_PASSWORD = "streamdesk-demo"
# What OBS 29 can create on Linux without plugins.
STREAM_SERVICE_TYPES = ("rtmp_common", "rtmp_custom")
CLOSE_GRACE = 0.5  # seconds a client gets to answer our close frame before its socket is cut


@dataclass(frozen=True)
class ConnectionInfo:
    """A snapshot of one client session, for tests."""

    remote: str
    identified: bool
    event_subscriptions: int
    rpc_version: int | None


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the simulator received it (kept in memory only: it may hold a stream key)."""

    request_type: str
    data: dict[str, Any] | None

    def __repr__(self) -> str:  # the payload may carry a key: never print it by accident
        return f"ReceivedRequest({self.request_type!r})"


class RequestError(Exception):
    """A request that fails with an obs-websocket RequestStatus code."""

    def __init__(self, code: int, comment: str | None = None) -> None:
        super().__init__(comment or str(code))
        self.code = code
        self.comment = comment


@dataclass(eq=False)  # compared and hashed by identity: sessions live in a set
class _Session:
    ws: ServerConnection
    challenge: str
    identified: bool = False
    subscriptions: int = 0
    rpc_version: int | None = None
    incoming: int = 0
    outgoing: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def remote(self) -> str:
        addr = self.ws.remote_address
        return f"{addr[0]}:{addr[1]}" if addr else "?"


# A handler gets (request data or None) and returns (response data or None, follow-up to run after
# the response is on the wire or None). Follow-ups carry the events a request causes, in OBS's order.
_FollowUp = Callable[[], Awaitable[None]] | None
_Handler = Callable[[dict[str, Any] | None], tuple[dict[str, Any] | None, _FollowUp]]


DROP = b"<drop>"  # what a ``rewrite`` hook returns to send nothing at all

BATCH_SERIAL_REALTIME = 0
BATCH_SERIAL_FRAME = 1
BATCH_PARALLEL = 2


def _batch_problem(d: dict[str, Any]) -> tuple[int, str] | None:
    """The close a malformed RequestBatch gets from obs-websocket 5.1 (reasons as measured on OBS 29)."""
    if "requestId" not in d:
        return CloseCode.MISSING_DATA_FIELD, "Your payload data is missing a `requestId`."
    if "requests" not in d:
        return CloseCode.MISSING_DATA_FIELD, "Your payload data is missing a `requests`."
    if not isinstance(d["requests"], list):
        return CloseCode.INVALID_DATA_FIELD_TYPE, "Your `requests` is not an array."
    halt = d.get("haltOnFailure")
    if halt is not None and not isinstance(halt, bool):
        return CloseCode.INVALID_DATA_FIELD_TYPE, "Your `haltOnFailure` is not a boolean."
    execution = d.get("executionType")
    if execution is not None:
        # -1 (None) is "not a number" too: OBS checks for an unsigned integer first
        if isinstance(execution, bool) or not isinstance(execution, int) or execution < 0:
            return CloseCode.INVALID_DATA_FIELD_TYPE, "Your `executionType` is not a number."
        if execution not in (BATCH_SERIAL_REALTIME, BATCH_SERIAL_FRAME, BATCH_PARALLEL):
            return CloseCode.INVALID_DATA_FIELD_VALUE, "Your `executionType` has an invalid value."
    # ``variables`` of the wrong type are not refused by 5.1 (it checks the payload instead): ignored.
    return None


class ObsSimulator:
    """obs-websocket 5.1 server on ``host:port`` (port 0: any free port, kept across ``restart()``)."""

    def __init__(self, password: str | None = DEFAULT_PASSWORD, *, host: str = "127.0.0.1", port: int = 0,
                 profile: ObsProfile | None = None, stream_service: dict[str, Any] | None = None,
                 seed: int = 1, clock: Callable[[], float] = time.monotonic,
                 start_delay: float = 0.25, stop_delay: float = 0.05, fail_delay: float = 0.3) -> None:
        # None or "": authentication off, like OBS with "Enable Authentication" unticked.
        self._password = password or None
        self.host = host
        self.port = port
        self.profile = profile or ObsProfile()
        service = stream_service or {"streamServiceType": "rtmp_common", "streamServiceSettings": {}}
        self._service_type: str = service["streamServiceType"]
        self._service_settings: dict[str, Any] = dict(service["streamServiceSettings"])
        self.clock = clock
        # Stream timing: StartStream → STARTED, StopStream → STOPPED, StartStream → STOPPED when unreachable.
        self.start_delay = start_delay
        self.stop_delay = stop_delay
        self.fail_delay = fail_delay
        # Fault knobs (plain attributes; change them any time).
        # Whether a stream start reaches its ingest: a bool, or a function of the configured server URL.
        self.ingest_reachable: bool | Callable[[str], bool] = True
        self.response_delay = 0.0
        self.request_delays: dict[str, float] = {}
        self.hang_requests: bool | Collection[str] = False
        self.knobs = OutputKnobs()
        self.received: list[ReceivedRequest] = []
        self.sessions_opened = 0  # every websocket session ever opened (tests count sockets with it)
        # Hostile mode: ``rewrite(op, d, session_subscriptions)`` may replace any outgoing frame with
        # other text/bytes (a malformed frame), DROP it, or return None to send it as it is.
        self.rewrite: Callable[[int, dict[str, Any], int], str | bytes | None] | None = None
        self.batches: list[list[str]] = []  # the request types of every RequestBatch, in order
        #: called with (outputState, stream service settings) on every stream state change, from the
        #: simulator's loop thread: how ``sim.ingest_link`` lets the stream reach a GetStream simulator
        self.stream_listener: Callable[[str, dict[str, Any]], None] | None = None

        self._output = StreamOutput(self.knobs, seed=seed)
        self._video: VideoSettings = self.profile.video_settings()
        self._salt = _random_b64()
        self._close_next: int | None = None
        self._close_next_reason: str | None = None
        self._sessions: set[_Session] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._reconnect_done = asyncio.Event()
        self._launched_at = clock()
        self._handlers: dict[str, _Handler] = {
            "GetVersion": self._get_version,
            "Sleep": lambda d: (None, None),  # batches only: run by _sleep, refused (206) alone
            "GetStats": self._get_stats,
            "GetVideoSettings": lambda d: (self._video.as_response(), None),
            "GetStreamServiceSettings": self._get_stream_service,
            "SetStreamServiceSettings": self._set_stream_service,
            "GetProfileList": lambda d: ({"currentProfileName": self.profile.name,
                                          "profiles": [self.profile.name]}, None),
            "GetProfileParameter": self._get_profile_parameter,
            "SetProfileParameter": self._set_profile_parameter,
            "GetStreamStatus": lambda d: (self._output.status(self.clock()), None),
            "StartStream": self._start_stream,
            "StopStream": self._stop_stream,
            "ToggleStream": self._toggle_stream,
            "GetRecordStatus": lambda d: ({"outputActive": False, "outputPaused": False,
                                           "outputTimecode": "00:00:00.000", "outputDuration": 0,
                                           "outputBytes": 0}, None),
            "GetSceneList": lambda d: ({"currentProgramSceneName": "Scene", "currentPreviewSceneName": None,
                                        "scenes": [{"sceneIndex": 0, "sceneName": "Scene"}]}, None),
        }

    def __repr__(self) -> str:
        auth = "auth" if self._password else "no auth"
        return f"ObsSimulator({self.host}:{self.port}, {auth}, stream={self._output.state})"

    # ================================================================ lifecycle (sync, any thread)
    def start(self) -> ObsSimulator:
        """Bind and serve; returns once clients can connect."""
        if self._thread is not None:
            return self
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, args=(ready,), name="obs-sim", daemon=True)
        self._thread.start()
        ready.wait()
        try:
            self._call(self._listen())
        except BaseException:
            self._shutdown_loop()
            raise
        return self

    def stop(self, *, simulate_exit: bool = False) -> None:
        """Stop serving. ``simulate_exit`` first sends ExitStarted, as OBS does when the user quits it."""
        if self._thread is None:
            return
        with contextlib.suppress(Exception):
            self._call(self._go_away(simulate_exit), timeout=10)
        self._shutdown_loop()

    def restart(self, downtime: float = 0.2, *, simulate_exit: bool = True) -> None:
        """OBS quits and comes back on the same port: sessions end, the stream stops, settings persist."""
        self._call(self._go_away(simulate_exit), timeout=10)
        self._call(self._reset_after_relaunch())
        time.sleep(downtime)  # the gap a reconnecting client has to ride out; nothing to wait on instead
        self._call(self._listen())

    def __enter__(self) -> ObsSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ================================================================ state for tests and the demo
    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def password(self) -> str | None:
        return self._password

    @property
    def stream_service(self) -> dict[str, Any]:
        """``{"streamServiceType", "streamServiceSettings"}`` as GetStreamServiceSettings answers."""
        return {"streamServiceType": self._service_type,
                "streamServiceSettings": dict(self._service_settings)}

    @property
    def streaming(self) -> bool:
        """OBS's ``outputActive`` for the stream output."""
        return self._output.active

    @property
    def stream_state(self) -> str:
        return self._output.state

    @property
    def video(self) -> VideoSettings:
        return self._video

    @property
    def connections(self) -> list[ConnectionInfo]:
        return [ConnectionInfo(s.remote, s.identified, s.subscriptions, s.rpc_version)
                for s in list(self._sessions)]

    def stream_status(self) -> dict[str, object]:
        """What GetStreamStatus would answer now."""
        status: dict[str, object] = self._call(self._async(lambda: self._output.status(self.clock())))
        return status

    # ================================================================ faults
    def close_next_with(self, code: int, reason: str | None = None) -> None:
        """Answer the next Identify by closing the socket with ``code`` (4009, 4010, 4011, ...)."""
        self._close_next = int(code)
        self._close_next_reason = reason

    def kick(self) -> int:
        """Close every identified session with 4011, like OBS's "Kick" button; returns how many."""
        return int(self._call(self._close_sessions(CloseCode.SESSION_INVALIDATED, identified_only=True)))

    def inject(self, frame: str | bytes, *, subscribed_to: int = 0) -> int:
        """Hostile mode: send one raw frame (any text or bytes) to every identified session whose
        event subscriptions include ``subscribed_to`` (0: every session). Returns how many got it."""

        async def send_all() -> int:
            sent = 0
            for s in list(self._sessions):
                if s.identified and (s.subscriptions & subscribed_to) == subscribed_to:
                    with contextlib.suppress(ConnectionClosed):
                        await s.ws.send(frame)
                        sent += 1
            return sent

        return int(self._call(send_all()))

    def drop_connections(self) -> int:
        """Kill every client's TCP connection with no close frame (a crashed OBS or a dead network)."""
        return int(self._call(self._async(self._abort_all)))

    def simulate_reconnect(self, duration: float | None = 1.0) -> None:
        """The ingest connection drops: RECONNECTING now and again every ``Output/RetryDelay`` seconds
        (OBS's retry loop); after ``duration`` seconds (or at ``finish_reconnect()`` when None)
        RECONNECTED if the ingest is reachable by then, else the output gives up (STOPPED), as OBS
        does after its retries. While reconnecting, GetStreamStatus shows outputBytes 0: the byte count
        belongs to the ingest connection, and a new one starts from zero (observed on OBS 29)."""
        self._call(self._async(lambda: self._begin_reconnect(duration)))

    def finish_reconnect(self) -> None:
        """End a ``simulate_reconnect(None)`` now."""
        self._call(self._async(self._reconnect_done.set))

    # ================================================================ loop plumbing
    def _run_loop(self, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(ready.set)
        self._loop.run_forever()

    def _call(self, coro: Coroutine[Any, Any, Any], timeout: float = 5.0) -> Any:
        if self._loop is None:
            raise RuntimeError("the OBS simulator is not running; call start() first")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    @staticmethod
    async def _async(fn: Callable[[], _T]) -> _T:
        return fn()

    def _shutdown_loop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
        self._loop = self._thread = None

    async def _listen(self) -> None:
        self._server = await serve(
            self._serve_session, self.host, self.port,
            select_subprotocol=_select_subprotocol,
            ping_interval=None,      # OBS never pings; obsws-python only answers pings while it reads
            max_size=None,
            close_timeout=CLOSE_GRACE,
            logger=_ws_log,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _go_away(self, simulate_exit: bool) -> None:
        if simulate_exit:
            await self._emit("ExitStarted", EventSub.GENERAL, None)
        if self._server is not None:
            self._server.close(close_connections=False)
        await self._close_sessions(CloseCode.GOING_AWAY, identified_only=False)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _reset_after_relaunch(self) -> None:
        if self._stream_task is not None:
            self._stream_task.cancel()
        self._output.stopped(self.clock())
        self._video = self.profile.video_settings()  # OBS applies video settings on launch
        self._launched_at = self.clock()

    async def _close_sessions(self, code: int, *, identified_only: bool) -> int:
        """Send the close frame to each session; abort the ones whose client never answers it
        (obsws-python leaves a socket it failed to identify on unread)."""
        targets = [s for s in list(self._sessions) if s.identified or not identified_only]

        async def close(s: _Session) -> None:
            if s.ws.state is not State.OPEN:  # already closing: its client is not answering
                s.ws.transport.abort()
                return
            try:
                await asyncio.wait_for(s.ws.close(code, CLOSE_REASONS.get(code, "")), CLOSE_GRACE)
            except (TimeoutError, ConnectionClosed, OSError):
                s.ws.transport.abort()

        closing = [asyncio.ensure_future(close(s)) for s in targets]
        if code == CloseCode.GOING_AWAY:  # the server is going: nobody may linger in a closing handshake
            await asyncio.gather(*closing)
            for s in list(self._sessions):
                s.ws.transport.abort()
        else:
            await asyncio.sleep(0)  # let the close frames go out; the handshakes finish on their own
        return len(targets)

    def _abort_all(self) -> int:
        sessions = list(self._sessions)
        for s in sessions:
            s.ws.transport.abort()
        return len(sessions)

    # ================================================================ one client session
    async def _serve_session(self, ws: ServerConnection) -> None:
        session = _Session(ws, challenge=_random_b64())
        self._sessions.add(session)
        self.sessions_opened += 1
        try:
            hello: dict[str, Any] = {"obsWebSocketVersion": WEBSOCKET_VERSION, "rpcVersion": RPC_VERSION}
            if self._password:
                hello["authentication"] = {"challenge": session.challenge, "salt": self._salt}
            await self._send(session, Op.HELLO, hello)
            async for raw in ws:
                session.incoming += 1
                close = await self._on_message(session, raw)
                if close is not None:
                    await ws.close(*close)
                    break
        except ConnectionClosed:
            pass
        finally:
            self._sessions.discard(session)
            for task in session.tasks:
                task.cancel()

    async def _send(self, session: _Session, op: int, d: dict[str, Any]) -> None:
        session.outgoing += 1
        rewrite = self.rewrite
        frame = rewrite(int(op), d, session.subscriptions) if rewrite is not None else None
        if frame is None:
            await session.ws.send(json.dumps({"op": int(op), "d": d}))
        elif frame != DROP:
            await session.ws.send(frame)

    async def _on_message(self, session: _Session, raw: str | bytes) -> tuple[int, str] | None:
        """Handle one frame; return (close code, reason) to end the session."""
        try:
            msg = json.loads(raw)
        except ValueError as exc:
            return CloseCode.MESSAGE_DECODE_ERROR, f"Unable to decode Json: {exc}"
        if not isinstance(msg, dict) or "op" not in msg:
            if isinstance(msg, dict) and ("request-type" in msg or "message-id" in msg):
                return CloseCode.UNSUPPORTED_RPC_VERSION, PRE_5_REASON
            return CloseCode.MISSING_DATA_FIELD, "Your request is missing an `op`."
        op, d = msg.get("op"), msg.get("d")
        if not isinstance(op, int) or isinstance(op, bool):
            return CloseCode.INVALID_DATA_FIELD_TYPE, "Your `op` is not a number."
        if not isinstance(d, dict):
            return CloseCode.MISSING_DATA_FIELD, "Your payload is missing data (`d`)."
        if not session.identified:
            if op != Op.IDENTIFY:
                return CloseCode.NOT_IDENTIFIED, CLOSE_REASONS[CloseCode.NOT_IDENTIFIED]
            return await self._identify(session, d)
        if op == Op.IDENTIFY:
            return CloseCode.ALREADY_IDENTIFIED, CLOSE_REASONS[CloseCode.ALREADY_IDENTIFIED]
        if op == Op.REIDENTIFY:
            subs = d.get("eventSubscriptions")
            if isinstance(subs, int):
                session.subscriptions = subs
            await self._send(session, Op.IDENTIFIED, {"negotiatedRpcVersion": session.rpc_version})
            return None
        if op == Op.REQUEST:
            if not isinstance(d.get("requestType"), str):
                return CloseCode.MISSING_DATA_FIELD, "Your payload's data is missing a `requestType`."
            if "requestId" not in d:
                return CloseCode.MISSING_DATA_FIELD, "Your payload data is missing a `requestId`."
            self._spawn(session, self._answer(session, d))
            return None
        if op == Op.REQUEST_BATCH:
            problem = _batch_problem(d)
            if problem is not None:
                return problem
            if any(not isinstance(item, dict) for item in d["requests"]):
                # Real OBS 29 (obs-websocket 5.1.0) drops the connection without a close frame here
                # (measured: its websocket server stops answering). The simulator drops this session only.
                session.ws.transport.abort()
                return None
            self._spawn(session, self._answer_batch(session, d))
            return None
        return CloseCode.UNKNOWN_OP_CODE, f"Unknown OpCode: {op}"

    async def _identify(self, session: _Session, d: dict[str, Any]) -> tuple[int, str] | None:
        if self._close_next is not None:
            code, reason = self._close_next, self._close_next_reason
            self._close_next = None
            return code, reason or CLOSE_REASONS.get(code, "")
        # OBS checks the password before the RPC version (observed: rpcVersion 2 + bad auth → 4009).
        if self._password:
            given = d.get("authentication")
            if not isinstance(given, str):
                return (CloseCode.AUTHENTICATION_FAILED, "Your payload's data is missing an `authentication` "
                        "string, however authentication is required.")
            expected = auth_response(self._password, self._salt, session.challenge)
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return CloseCode.AUTHENTICATION_FAILED, CLOSE_REASONS[CloseCode.AUTHENTICATION_FAILED]
        rpc = d.get("rpcVersion")
        if not isinstance(rpc, int) or isinstance(rpc, bool):
            return CloseCode.MISSING_DATA_FIELD, "Your payload's data is missing an `rpcVersion`."
        if rpc != RPC_VERSION:
            return CloseCode.UNSUPPORTED_RPC_VERSION, CLOSE_REASONS[CloseCode.UNSUPPORTED_RPC_VERSION]
        subs = d.get("eventSubscriptions", int(EventSub.ALL))
        session.subscriptions = subs if isinstance(subs, int) else int(EventSub.ALL)
        session.rpc_version = rpc
        session.identified = True
        await self._send(session, Op.IDENTIFIED, {"negotiatedRpcVersion": rpc})
        return None

    def _spawn(self, session: _Session, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        session.tasks.add(task)
        task.add_done_callback(session.tasks.discard)

    # ================================================================ requests
    async def _delay_for(self, request_type: str) -> None:
        hang = self.hang_requests
        if hang is True or (not isinstance(hang, bool) and request_type in hang):
            await asyncio.Event().wait()  # never answers; cancelled when the session ends
        delay = self.request_delays.get(request_type, self.response_delay)
        if delay > 0:
            await asyncio.sleep(delay)

    async def _answer(self, session: _Session, d: dict[str, Any]) -> None:
        request_type = d["requestType"]
        await self._delay_for(request_type)
        response, follow_up = self._execute(request_type, d.get("requestData"))
        response["requestId"] = d["requestId"]
        with contextlib.suppress(ConnectionClosed):
            await self._send(session, Op.REQUEST_RESPONSE, response)
        if follow_up is not None:
            self._start_follow_up(follow_up)

    async def _answer_batch(self, session: _Session, d: dict[str, Any]) -> None:
        """RequestBatch as obs-websocket 5.1 runs it: in order (SerialRealtime, SerialFrame: one frame
        apart; Parallel: here in order too, real OBS answers in completion order); ``haltOnFailure``
        stops after the first failure, whose result is included (Parallel ignores it). A request
        without a string ``requestType`` runs as ``""`` (203). ``variables`` are not modelled."""
        execution = d.get("executionType")
        execution = BATCH_SERIAL_REALTIME if execution is None else int(execution)
        halt = bool(d.get("haltOnFailure")) and execution != BATCH_PARALLEL
        self.batches.append([str(item.get("requestType")) for item in d["requests"]])
        results = []
        follow_ups = []
        for item in d["requests"]:
            request_type = item.get("requestType")
            request_type = request_type if isinstance(request_type, str) else ""
            if execution == BATCH_SERIAL_FRAME:
                await asyncio.sleep(1 / max(self._video.fps, 1.0))
            await self._delay_for(request_type)
            if request_type == "Sleep":
                response, follow_up = await self._sleep(item.get("requestData"), execution)
            else:
                response, follow_up = self._execute(request_type, item.get("requestData"), in_batch=True)
            if item.get("requestId") is not None:
                response["requestId"] = item["requestId"]
            results.append(response)
            if follow_up is not None:
                follow_ups.append(follow_up)
            if halt and not response["requestStatus"]["result"]:
                break
        with contextlib.suppress(ConnectionClosed):
            await self._send(session, Op.REQUEST_BATCH_RESPONSE,
                             {"requestId": d["requestId"], "results": results})
        for follow_up in follow_ups:
            self._start_follow_up(follow_up)

    async def _sleep(self, data: Any, execution: int) -> tuple[dict[str, Any], _FollowUp]:
        """``Sleep`` (batches only): ``sleepMillis`` 0…50000 in SerialRealtime, ``sleepFrames``
        0…10000 in SerialFrame; refused (206) in Parallel."""
        response: dict[str, Any] = {"requestType": "Sleep"}
        if execution == BATCH_PARALLEL:
            response["requestStatus"] = {"result": False,
                                         "code": int(Status.UNSUPPORTED_BATCH_EXECUTION_TYPE)}
            return response, None
        field, top = ("sleepFrames", 10000) if execution == BATCH_SERIAL_FRAME else ("sleepMillis", 50000)
        value = data.get(field) if isinstance(data, dict) else None
        comment = None
        if value is None:
            code, comment = Status.MISSING_REQUEST_FIELD, f"Your request is missing the `{field}` field."
        elif isinstance(value, bool) or not isinstance(value, int | float):
            code = Status.INVALID_REQUEST_FIELD_TYPE
            comment = f"The field value of `{field}` must be a number."
        elif value < 0:
            code, comment = Status.REQUEST_FIELD_OUT_OF_RANGE, \
                f"The field value of `{field}` is below the minimum of `0.000000`"
        elif value > top:
            code, comment = Status.REQUEST_FIELD_OUT_OF_RANGE, \
                f"The field value of `{field}` is above the maximum of `{top:.6f}`"
        else:
            seconds = value / 1000 if field == "sleepMillis" else value / max(self._video.fps, 1.0)
            await asyncio.sleep(seconds)
            code = Status.SUCCESS
        response["requestStatus"] = {"result": code == Status.SUCCESS, "code": int(code)}
        if comment:
            response["requestStatus"]["comment"] = comment
        return response, None

    def _start_follow_up(self, follow_up: Callable[[], Awaitable[None]]) -> None:
        self._stream_task = asyncio.ensure_future(follow_up())

    def _execute(self, request_type: str, data: Any, *,
                 in_batch: bool = False) -> tuple[dict[str, Any], _FollowUp]:
        log.debug("obs-sim request %s", request_type)  # type only: payloads may hold a stream key
        self.received.append(ReceivedRequest(request_type, data if isinstance(data, dict) else None))
        response: dict[str, Any] = {"requestType": request_type}
        handler = self._handlers.get(request_type)
        follow_up: _FollowUp = None
        try:
            if request_type == "":
                raise RequestError(Status.MISSING_REQUEST_TYPE,
                                   "Your request's `requestType` may not be empty.")
            if request_type == "Sleep" and not in_batch:
                raise RequestError(Status.UNSUPPORTED_BATCH_EXECUTION_TYPE)
            if handler is None:
                raise RequestError(Status.UNKNOWN_REQUEST_TYPE, "Your request type is not valid.")
            if data is not None and not isinstance(data, dict):
                raise RequestError(Status.MISSING_REQUEST_DATA,
                                   "Your request data is missing or invalid (non-object)")
            result, follow_up = handler(data)
        except RequestError as err:
            status: dict[str, Any] = {"result": False, "code": int(err.code)}
            if err.comment:
                status["comment"] = err.comment
            response["requestStatus"] = status
            return response, None
        response["requestStatus"] = {"result": True, "code": int(Status.SUCCESS)}
        if result is not None:
            response["responseData"] = result
        return response, follow_up

    # --- individual requests ------------------------------------------------------------------------
    def _get_version(self, data: dict[str, Any] | None) -> tuple[dict[str, Any], None]:
        return {
            "obsVersion": OBS_VERSION,
            "obsWebSocketVersion": WEBSOCKET_VERSION,
            "rpcVersion": RPC_VERSION,
            "availableRequests": sorted(self._handlers),
            "supportedImageFormats": ["bmp", "jpeg", "jpg", "png", "ppm", "xbm", "xpm"],
            "platform": "debian",
            "platformDescription": "streamdesk OBS simulator",
        }, None

    def _get_stats(self, data: dict[str, Any] | None) -> tuple[dict[str, Any], None]:
        now = self.clock()
        self._output.advance(now)
        fps = self._video.fps
        render_total = max(0.0, now - self._launched_at) * fps
        session_in = sum(s.incoming for s in self._sessions)
        session_out = sum(s.outgoing for s in self._sessions)
        return {
            "cpuUsage": 9.5,
            "memoryUsage": 212.0,
            "availableDiskSpace": 80_000.0,
            "activeFps": float(fps),
            "averageFrameRenderTime": 2.4,
            "renderSkippedFrames": whole(render_total * self.knobs.render_lag_pct / 100.0),
            "renderTotalFrames": whole(render_total),
            # In GetStats these are the *encoder's* skipped frames (lag), not network drops.
            "outputSkippedFrames": whole(self._output.encoder_skipped),
            "outputTotalFrames": whole(self._output.encoder_frames),
            "webSocketSessionIncomingMessages": session_in,
            "webSocketSessionOutgoingMessages": session_out,
        }, None

    def _get_stream_service(self, data: dict[str, Any] | None) -> tuple[dict[str, Any], None]:
        return self.stream_service, None

    def _set_stream_service(self, data: dict[str, Any] | None) -> tuple[None, None]:
        data = _need_data(data)
        service_type = _field(data, "streamServiceType", str)
        settings = _field(data, "streamServiceSettings", dict)
        if self._output.active:
            raise RequestError(Status.OUTPUT_RUNNING,
                               "You cannot change stream service settings while streaming.")
        if service_type not in STREAM_SERVICE_TYPES:
            raise RequestError(Status.RESOURCE_CREATION_FAILED,
                               "Failed to create the stream service with the requested streamServiceType. "
                               "It may be an invalid type.")
        if service_type == self._service_type:
            # Same type: OBS merges the given settings over the current ones (observed on OBS 29).
            self._service_settings.update(settings)
        else:
            self._service_type, self._service_settings = service_type, dict(settings)
        return None, None

    def _get_profile_parameter(self, data: dict[str, Any] | None) -> tuple[dict[str, Any], None]:
        data = _need_data(data)
        category = _field(data, "parameterCategory", str)
        name = _field(data, "parameterName", str)
        return {"parameterValue": self.profile.get(category, name),
                "defaultParameterValue": self.profile.default(category, name)}, None

    def _set_profile_parameter(self, data: dict[str, Any] | None) -> tuple[None, None]:
        data = _need_data(data)
        category = _field(data, "parameterCategory", str)
        name = _field(data, "parameterName", str)
        value = data.get("parameterValue")
        if value is not None:
            if not isinstance(value, str):
                raise RequestError(Status.INVALID_REQUEST_FIELD_TYPE,
                                   "The field `parameterValue` must be a string.")
            self.profile.set(category, name, value)
        elif not self.profile.delete(category, name):
            # A null (or absent) value deletes the user's value; with none to delete OBS says so.
            raise RequestError(Status.RESOURCE_NOT_FOUND,
                               "There are no existing instances of that profile parameter.")
        return None, None

    def _start_stream(self, data: dict[str, Any] | None) -> tuple[None, _FollowUp]:
        if self._output.active:
            raise RequestError(Status.OUTPUT_RUNNING)
        if self._output.state == OutputState.STARTING:
            return None, None  # OBS accepts a second StartStream while connecting and does nothing more
        self._output.starting()
        return None, self._start_sequence

    def _stop_stream(self, data: dict[str, Any] | None) -> tuple[None, _FollowUp]:
        if not self._output.active:
            raise RequestError(Status.OUTPUT_NOT_RUNNING)
        if self._output.state == OutputState.STOPPING:
            return None, None
        if self._stream_task is not None:
            self._stream_task.cancel()  # e.g. a pending RECONNECTED
        self._output.move_to(OutputState.STOPPING, self.clock())
        return None, self._stop_sequence

    def _toggle_stream(self, data: dict[str, Any] | None) -> tuple[dict[str, Any], _FollowUp]:
        if self._output.active:
            _, follow_up = self._stop_stream(data)
            return {"outputActive": False}, follow_up
        _, follow_up = self._start_stream(data)
        return {"outputActive": True}, follow_up

    # ================================================================ stream lifecycle and events
    async def _start_sequence(self) -> None:
        await self._emit_stream(OutputState.STARTING, active=False)
        reachable = self._ingest_reachable()
        await asyncio.sleep(self.start_delay if reachable else self.fail_delay)
        if not reachable:
            # Like OBS: the attempt just ends. No reason is given over the socket.
            self._output.stopped(self.clock())
            await self._emit_stream(OutputState.STOPPED, active=False)
            return
        self._output.connected(self.clock(), kbps=self.profile.stream_kbps(), fps=self._video.fps)
        await self._emit_stream(OutputState.STARTED, active=True)

    async def _stop_sequence(self) -> None:
        await self._emit_stream(OutputState.STOPPING, active=False)  # real OBS 29 says false here
        await asyncio.sleep(self.stop_delay)
        self._output.stopped(self.clock())
        await self._emit_stream(OutputState.STOPPED, active=False)

    def _begin_reconnect(self, duration: float | None) -> None:
        if not self._output.flowing:
            raise RuntimeError(f"simulate_reconnect needs a connected stream; it is {self._output.state}")
        self._output.move_to(OutputState.RECONNECTING, self.clock())
        self._reconnect_done = done = asyncio.Event()
        retry_s = max(0.05, float(self.profile.get("Output", "RetryDelay") or 2))

        async def sequence() -> None:
            loop = asyncio.get_running_loop()
            deadline = None if duration is None else loop.time() + duration
            while True:
                # Like OBS 29: every retry is announced again, and with outputActive false.
                await self._emit_stream(OutputState.RECONNECTING, active=False)
                wait = retry_s if deadline is None else min(retry_s, max(0.0, deadline - loop.time()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), wait)
                if done.is_set() or (deadline is not None and loop.time() >= deadline):
                    break
            if self._ingest_reachable():
                self._output.move_to(OutputState.RECONNECTED, self.clock())
                await self._emit_stream(OutputState.RECONNECTED, active=True)
            else:
                self._output.stopped(self.clock())
                await self._emit_stream(OutputState.STOPPED, active=False)

        self._start_follow_up(sequence)

    def _ingest_reachable(self) -> bool:
        check = self.ingest_reachable
        if callable(check):
            return bool(check(str(self._service_settings.get("server", ""))))
        return bool(check)

    async def _emit_stream(self, state: str, *, active: bool) -> None:
        if self.stream_listener is not None:
            try:
                self.stream_listener(state, dict(self._service_settings))
            except Exception:  # a listener's bug must not stop OBS's own events
                log.exception("stream listener failed")
        await self._emit("StreamStateChanged", EventSub.OUTPUTS,
                         {"outputActive": active, "outputState": state})

    async def _emit(self, event_type: str, intent: int, data: dict[str, Any] | None) -> None:
        """Send an event to every identified session subscribed to its category."""
        d: dict[str, Any] = {"eventType": event_type, "eventIntent": int(intent)}
        if data is not None:
            d["eventData"] = data
        for s in list(self._sessions):
            if s.identified and s.subscriptions & intent:
                with contextlib.suppress(ConnectionClosed):
                    await self._send(s, Op.EVENT, d)


# ==================================================================== helpers
def _random_b64() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _select_subprotocol(connection: ServerConnection,
                        subprotocols: Sequence[Subprotocol]) -> Subprotocol | None:
    # OBS speaks JSON to clients that ask for nothing (obsws-python asks for nothing).
    return Subprotocol(SUBPROTOCOL_JSON) if SUBPROTOCOL_JSON in subprotocols else None


def _need_data(data: dict[str, Any] | None) -> dict[str, Any]:
    if data is None:
        raise RequestError(Status.MISSING_REQUEST_DATA,
                           "Your request data is missing or invalid (non-object)")
    return data


_TYPE_WORDS = {str: "a string", dict: "an object", bool: "a boolean", int: "a number"}


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    """One required request field, with OBS's status codes and wording for what is wrong with it."""
    if name not in data or data[name] is None:
        raise RequestError(Status.MISSING_REQUEST_FIELD, f"Your request is missing the `{name}` field.")
    value = data[name]
    if not isinstance(value, kind):
        raise RequestError(Status.INVALID_REQUEST_FIELD_TYPE,
                           f"The field `{name}` must be {_TYPE_WORDS[kind]}.")
    if kind is str and not value:
        raise RequestError(Status.REQUEST_FIELD_EMPTY, f"The field `{name}` must not be empty.")
    return value
