"""A faithful GetStream Video + Chat server on loopback: the demo backend and the tests' GetStream.

Real HTTP (stdlib ``ThreadingHTTPServer`` in a daemon thread) serving the ``/api/v2`` endpoints a
livestream needs, with GetStream's request and response shapes, status codes (201 for POST/PUT),
error envelope and codes, rate-limit headers, and its token rules (see ``_authenticate``). What the
endpoints *do* lives in ``getstream_api``; the audience in ``audience``; faults in ``faults``.

    with GetStreamSimulator(api_key="k", api_secret="s", seed=7) as sim:
        ...  # point a client at sim.url; sim.faults.rate_limit("GoLive"); sim.advance(60)
        sim.truth("livestream:show-1").viewers

Never imports ``streamdesk.core``: the simulator and the client are two independent readings of
GetStream's protocol, so a misunderstanding in one is caught by the other (and by the official SDK).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt

from streamdesk.sim import moderation
from streamdesk.sim.audience import AudienceConfig
from streamdesk.sim.clock import SimClock
from streamdesk.sim.decode import ApiError
from streamdesk.sim.faults import FaultKind, Faults
from streamdesk.sim.getstream_api import Result, SimulatedApp, Truth, check_rtmp_template
from streamdesk.sim.recordings import FILES_PREFIX, AfterShow
from streamdesk.sim.recordings import for_app as after_show

log = logging.getLogger("streamdesk.sim.getstream")

__all__ = ["AudienceConfig", "GetStreamSimulator", "Received", "Truth"]

_SEG = r"(?P<{}>[^/]+)"
_CALL = "/api/v2/video/call/" + _SEG.format("type") + "/" + _SEG.format("id")
_CHANNEL = "/api/v2/chat/channels/" + _SEG.format("type") + "/" + _SEG.format("id")


# what runs an operation: (app, path parameters, query, body) -> (status, body)
Operation = Callable[[SimulatedApp, dict[str, str], dict[str, str], dict[str, Any]], Result]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    operation: str  # GetStream's operationId: names the route in faults, errors and ``received``
    run: Operation


def _route(method: str, path: str, operation: str, run: Operation) -> Route:
    return Route(method, re.compile(f"^{path}$"), operation, run)


ROUTES = (
    _route("POST", "/api/v2/users", "UpdateUsers",
           lambda app, p, q, b: app.update_users(b)),
    _route("PATCH", "/api/v2/users", "UpdateUsersPartial",
           lambda app, p, q, b: app.update_users_partial(b)),
    _route("GET", "/api/v2/users", "QueryUsers",
           lambda app, p, q, b: app.query_users(q)),
    _route("GET", "/api/v2/video/calltypes/" + _SEG.format("name"), "GetCallType",
           lambda app, p, q, b: app.get_call_type(p["name"])),
    _route("PUT", "/api/v2/video/calltypes/" + _SEG.format("name"), "UpdateCallType",
           lambda app, p, q, b: app.update_call_type(p["name"], b)),
    _route("POST", _CALL, "GetOrCreateCall",
           lambda app, p, q, b: app.get_or_create_call(p["type"], p["id"], b)),
    _route("GET", _CALL, "GetCall",
           lambda app, p, q, b: app.get_call(p["type"], p["id"])),
    _route("PATCH", _CALL, "UpdateCall",
           lambda app, p, q, b: app.update_call(p["type"], p["id"], b)),
    _route("POST", _CALL + "/go_live", "GoLive",
           lambda app, p, q, b: app.go_live(p["type"], p["id"], b)),
    _route("POST", _CALL + "/stop_live", "StopLive",
           lambda app, p, q, b: app.stop_live(p["type"], p["id"], b)),
    _route("POST", _CALL + "/mark_ended", "EndCall",
           lambda app, p, q, b: app.end_call(p["type"], p["id"])),
    _route("POST", _CALL + "/participants", "QueryCallParticipants",
           lambda app, p, q, b: app.query_participants(p["type"], p["id"], q, b)),
    _route("POST", _CALL + "/delete", "DeleteCall",
           lambda app, p, q, b: app.delete_call(p["type"], p["id"], b)),
    _route("POST", _CHANNEL + "/query", "GetOrCreateChannel",
           lambda app, p, q, b: app.get_or_create_channel(p["type"], p["id"], b)),
    _route("GET", _CHANNEL, "GetChannel",
           lambda app, p, q, b: app.get_channel(p["type"], p["id"], q)),
    _route("POST", _CHANNEL + "/message", "SendMessage",
           lambda app, p, q, b: app.send_message(p["type"], p["id"], b)),
    _route("GET", _CHANNEL + "/messages", "GetManyMessages",
           lambda app, p, q, b: app.get_many_messages(p["type"], p["id"], q)),
    # chat moderation (sim/moderation.py)
    _route("DELETE", "/api/v2/chat/messages/" + _SEG.format("id"), "DeleteMessage",
           lambda app, p, q, b: moderation.delete_message(app, p["id"], q)),
    _route("PUT", "/api/v2/chat/messages/" + _SEG.format("id"), "UpdateMessagePartial",
           lambda app, p, q, b: moderation.update_message_partial(app, p["id"], b)),
    _route("GET", _CHANNEL + "/pinned_messages", "GetPinnedMessages",
           lambda app, p, q, b: moderation.get_pinned_messages(app, p["type"], p["id"], q)),
    _route("POST", "/api/v2/moderation/ban", "ban",
           lambda app, p, q, b: moderation.ban(app, b)),
    _route("POST", "/api/v2/moderation/unban", "unban",
           lambda app, p, q, b: moderation.unban(app, q, b)),
    _route("GET", "/api/v2/chat/query_banned_users", "QueryBannedUsers",
           lambda app, p, q, b: moderation.query_banned_users(app, q)),
    # -- after the show (aftershow): recordings, transcriptions, the call report, HLS (sim/recordings.py)
    _route("GET", _CALL + "/recordings", "ListRecordings",
           lambda app, p, q, b: after_show(app).list_files(p["type"], p["id"], "recording")),
    _route("GET", _CALL + "/transcriptions", "ListTranscriptions",
           lambda app, p, q, b: after_show(app).list_files(p["type"], p["id"], "transcription")),
    _route("GET", _CALL + "/report", "GetCallReport",
           lambda app, p, q, b: after_show(app).report(p["type"], p["id"], q)),
    _route("POST", _CALL + "/start_broadcasting", "StartHLSBroadcasting",
           lambda app, p, q, b: after_show(app).start_hls(p["type"], p["id"])),
    _route("POST", _CALL + "/stop_broadcasting", "StopHLSBroadcasting",
           lambda app, p, q, b: after_show(app).stop_hls(p["type"], p["id"])),
)


@dataclass(frozen=True)
class Received:
    """One request as the simulator saw it (for contract tests). ``headers`` keys are lower-case."""

    method: str
    path: str
    operation: str | None
    query: dict[str, str]
    body: Any
    status: int
    headers: dict[str, str] = field(repr=False)  # holds the Authorization JWT: keep it out of reprs


class GetStreamSimulator:
    """A GetStream app on 127.0.0.1 that accepts ``api_key`` and tokens signed with ``api_secret``."""

    def __init__(self, api_key: str = "demo-key", api_secret: str | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, seed: int = 1, rtmp_address: str | None = None,
                 audience: AudienceConfig | None = None, clock: Callable[[], float] | None = None,
                 time_scale: float = 1.0, rate_limit_per_minute: int = 5000,
                 token_leeway: float = 1.0, keep_received: int = 50_000) -> None:
        if not api_key:
            raise ValueError("the simulator needs an API key")
        #: True when no secret was given and the simulator made up a demo one
        self.generated_secret = api_secret is None
        self._secret = api_secret if api_secret is not None else secrets.token_urlsafe(32)
        self.api_key = api_key
        self.host, self._port = host, port
        self.clock = SimClock(clock, time_scale=time_scale)
        self.app = SimulatedApp(api_key, seed=seed, clock=self.clock, audience=audience or AudienceConfig(),
                                rtmp_address=rtmp_address)
        self.faults = Faults(seed, routes=[route.operation for route in ROUTES])
        #: requests in arrival order; the oldest are dropped beyond ``keep_received`` (hours-long demos)
        self.received: list[Received] = []
        self.keep_received = keep_received
        self.rate_limit_per_minute = rate_limit_per_minute
        self.token_leeway = token_leeway
        self._lock = threading.RLock()
        self._windows: dict[str, tuple[int, int]] = {}  # operation → (window start minute, count)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:  # never the secret
        return f"GetStreamSimulator(url={self.url if self._server else None!r}, api_key={self.api_key!r})"

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> GetStreamSimulator:
        if self._server is not None:
            return self
        server = _Server((self.host, self._port), _Handler)
        server.sim = self
        self._server = server
        self._port = server.server_address[1]  # a restart comes back on the same port, like a real outage
        self.after_show.base_url = self.url  # the simulator serves the recordings' signed links itself
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="getstream-sim", daemon=True)
        self._thread.start()
        log.info("GetStream simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()  # keep-alive clients must not keep talking to a stopped simulator
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> GetStreamSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_secret(self) -> str:
        return self._secret

    # -- knobs and views for tests and demos ---------------------------------------------------------
    @property
    def rtmp_address(self) -> str:
        """Ingress template; ``{api_key}``, ``{call_type}`` and ``{call_id}`` are filled in per call."""
        return self.app.rtmp_address

    @rtmp_address.setter
    def rtmp_address(self, value: str) -> None:
        with self._lock:
            self.app.rtmp_address = check_rtmp_template(value)

    @property
    def go_live_lag(self) -> float:
        """Simulated seconds from GoLive until the call leaves backstage (``math.inf``: it never does)."""
        return self.app.go_live_lag

    @go_live_lag.setter
    def go_live_lag(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("go_live_lag cannot be negative")
        with self._lock:
            self.app.go_live_lag = seconds

    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> None:
        """Move simulated time forward (the audience lives in simulated time; tokens are judged in real)."""
        self.clock.advance(seconds)

    @property
    def after_show(self) -> AfterShow:
        """Recordings, transcriptions and their links (knobs: ``rate_bps``, ``cut_after``, ``url_ttl``)."""
        return after_show(self.app)

    def truth(self, call_cid: str) -> Truth:
        """What the simulated audience of ``call_cid`` did so far (KeyError if there is no such call)."""
        with self._lock:
            return self.app.truth(call_cid)

    # -- the RTMP ingest: what OBS's stream does to the call ---------------------------------------
    def rtmp_publish(self, server: str, key: str) -> str | None:
        """An RTMP publisher connected to ``server`` with stream key ``key`` (OBS's settings).

        The key must be a user token signed with this app's secret and not expired; ``server``
        must be a call's ingress address. Then the key's user joins that call as a participant
        (see ``SimulatedApp.rtmp_publish``). Returns the call cid, or None when GetStream would
        refuse the stream (OBS's connection then just fails). Wired to the OBS simulator by
        ``streamdesk.sim.ingest_link``; a harness with real OBS and nginx-rtmp may call it from an
        ingest watcher."""
        try:
            claims = jwt.decode(key, self._secret, algorithms=["HS256"],
                                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
        except jwt.PyJWTError:
            return None
        user_id = claims.get("user_id")
        exp = claims.get("exp")
        if not isinstance(user_id, str) or not user_id:
            return None
        if isinstance(exp, int | float) and not isinstance(exp, bool) and exp <= self.clock.base():
            return None
        with self._lock:
            return self.app.rtmp_publish(server, key, user_id)

    def rtmp_unpublish(self) -> None:
        """The publisher's stream stopped: it leaves the call."""
        with self._lock:
            self.app.rtmp_unpublish()

    def requests(self, operation: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if operation is None or r.operation == operation]

    def clear_received(self) -> None:
        with self._lock:
            self.received.clear()

    def server_token(self, **claims: Any) -> str:
        """A server-side token as GetStream's SDKs mint it (``{}`` unless claims are given)."""
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def user_token(self, user_id: str, ttl_seconds: float | None = 3600) -> str:
        now = int(self.clock.base())
        claims: dict[str, Any] = {"user_id": user_id, "iat": now - 5}
        if ttl_seconds is not None:
            claims["exp"] = now + int(ttl_seconds)
        return jwt.encode(claims, self._secret, algorithm="HS256")

    # -- request handling (called from the handler threads) -----------------------------------------
    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        """The route for ``method path`` and its percent-decoded path parameters (None: 404)."""
        for route in ROUTES:
            m = route.pattern.match(path)
            if m and route.method == method:
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None, {}

    def _authenticate(self, query: dict[str, str], headers: dict[str, str]) -> None:
        """GetStream's server-side auth (docs/getstream.md "Authentication"): api_key,
        stream-auth-type, and an HS256 server JWT.

        Server tokens carry no ``user_id``: the SDK sends ``{}``, the docs ``{"server": true}``; both pass.
        ``exp``/``iat``/``nbf`` are judged against the base clock, the one clients mint tokens with.
        """
        key = query.get("api_key")
        if not key:
            raise ApiError(401, 2, "api_key or app_id not provided")
        if key != self.api_key:
            raise ApiError(401, 2, "api_key not valid")
        auth_type = headers.get("stream-auth-type", "")
        if auth_type.lower() == "anonymous":
            raise ApiError(403, 17, "anonymous users are not allowed to perform this action")
        if auth_type.lower() != "jwt":
            raise ApiError(401, 5, "stream-auth-type header must be set to jwt")
        token = headers.get("authorization", "")
        if not token:
            raise ApiError(401, 5, "JWTAuth error: token is missing from the Authorization header")
        if token.lower().startswith("bearer "):
            raise ApiError(401, 5, "JWTAuth error: token is malformed: send the bare JWT, without \"Bearer\"")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "HS256":
                raise ApiError(401, 5, "JWTAuth error: token signing method must be HS256")
            claims = jwt.decode(token, self._secret, algorithms=["HS256"],
                                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
        except jwt.InvalidSignatureError:
            raise ApiError(401, 43, "JWTAuth error: signature is not valid. Make sure the token is created "
                                    f"using the secret for API key \"{self.api_key}\"") from None
        except jwt.PyJWTError:
            raise ApiError(401, 5, "JWTAuth error: token is malformed") from None
        now = self.clock.base()
        for claim in ("exp", "iat", "nbf"):
            if claim in claims and (isinstance(claims[claim], bool)
                                    or not isinstance(claims[claim], int | float)):
                raise ApiError(401, 5, f"JWTAuth error: token claim {claim} must be a number")
        if "exp" in claims and claims["exp"] <= now - self.token_leeway:
            raise ApiError(401, 40, "JWTAuth error: token has expired")
        if "nbf" in claims and claims["nbf"] > now + self.token_leeway:
            raise ApiError(401, 41, "JWTAuth error: token is not valid yet")
        if "iat" in claims and claims["iat"] > now + self.token_leeway:
            raise ApiError(401, 42, "JWTAuth error: token used before issue at (iat)")
        if claims.get("user_id"):
            # a user token (e.g. the stream key) where a server token belongs: permission denied
            raise ApiError(403, 17, "this endpoint needs a server-side token; the token has a user_id")

    def _rate_window(self, operation: str) -> tuple[bool, dict[str, str]]:
        """Count the request in its per-minute window; (over the limit?, rate-limit headers)."""
        now = self.clock.base()
        minute = int(now // 60)
        with self._lock:
            start, count = self._windows.get(operation, (minute, 0))
            if start != minute:
                start, count = minute, 0
            count += 1
            self._windows[operation] = (start, count)
        limit = self.rate_limit_per_minute
        headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(limit - count, 0)),
                   "X-RateLimit-Reset": str((minute + 1) * 60)}
        return count > limit, headers

    def _handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Reply:
        started = time.perf_counter()
        split = urlsplit(target)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        route, params = self._match(method, split.path)
        operation = route.operation if route else None
        body: Any = None
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                body = _InvalidJson(raw.decode("utf-8", "replace"))
        try:
            reply = self._respond(route, params, query, headers, body, started)
        except Exception:  # a simulator bug: answer like GetStream's internal error, keep the traceback
            log.exception("GetStream simulator failed on %s %s", method, split.path)
            reply = _Reply.json(500, ApiError(500, -1, "internal error").body(operation or "Request"), {})
        with self._lock:
            self.received.append(Received(method, split.path, operation, query, body,
                                          0 if reply.drop else reply.status, headers))
            if len(self.received) > self.keep_received:
                del self.received[: len(self.received) - self.keep_received]
        log.debug("%s %s -> %s", method, split.path, "dropped" if reply.drop else reply.status)
        return reply

    def _respond(self, route: Route | None, params: dict[str, str], query: dict[str, str],
                 headers: dict[str, str], body: Any, started: float) -> _Reply:
        operation = route.operation if route else "Request"
        decision = self.faults.decide(route.operation if route else "*", self.clock.base())
        if decision.delay:
            time.sleep(decision.delay)  # a real delay: clients' timeouts are what is being tested
        rule = decision.rule
        if rule is not None and rule.kind is FaultKind.DROP:
            return _Reply(0, {}, b"", drop=True)  # before the operation runs: nothing happened
        over, rate_headers = self._rate_window(operation)
        try:
            self._authenticate(query, headers)
            if rule is not None and rule.kind is FaultKind.RATE_LIMIT:
                over = True
                rate_headers.update({"X-RateLimit-Remaining": "0",
                                     "X-RateLimit-Reset": str(math.ceil(rule.reset_time(self.clock.base())))})
            if over:
                raise ApiError(429, 9, "Too many requests, check response headers for more information.")
            if rule is not None and rule.kind is FaultKind.SERVER_ERROR:
                return _server_error(rule.status, operation, rate_headers)
            if route is None:
                raise ApiError(404, 16, "Not Found")
            if isinstance(body, _InvalidJson):
                raise ApiError(400, 4, "invalid JSON in the request body")
            if body is None:
                body = {}  # GetStream takes a missing body as an empty request (go_live, mark_ended)
            if not isinstance(body, dict):
                raise ApiError(400, 4, "the request body must be a JSON object")
            with self._lock:
                status, payload = route.run(self.app, params, query, body)
                if "type" in params and "id" in params:  # a recording may have started or stopped
                    self.after_show.observe(params["type"], params["id"])
        except ApiError as e:
            return _Reply.json(e.status, e.body(operation), rate_headers)
        payload["duration"] = f"{(time.perf_counter() - started) * 1000:.2f}ms"
        if rule is not None and rule.kind is FaultKind.MALFORMED:
            # the operation happened; only its answer is mangled (cut off half way)
            text = json.dumps(payload).encode()
            return _Reply(status, rate_headers, text[: max(len(text) // 2, 1)])
        return _Reply.json(status, payload, rate_headers)


class _InvalidJson(str):
    """A request body that is not JSON (recorded as text, answered with 400 code 4)."""


@dataclass
class _Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    content_type: str = "application/json"
    drop: bool = False

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str]) -> _Reply:
        return cls(status, headers, json.dumps(payload).encode())


def _server_error(status: int, operation: str, headers: dict[str, str]) -> _Reply:
    if status == 500:
        return _Reply.json(500, ApiError(500, -1, "internal error").body(operation), headers)
    # 502/503/504 come from the load balancer in front of the API, as HTML, not GetStream's envelope
    page = f"<html><body><h1>{status} Service Unavailable</h1></body></html>\n".encode()
    return _Reply(status, {}, page, content_type="text/html")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sim: GetStreamSimulator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def track(self, sock: socket.socket, alive: bool) -> None:
        with self._open_lock:
            (self._open.add if alive else self._open.discard)(sock)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that hung up (or a simulator stopped mid-request) is not worth a traceback on stderr
        log.debug("connection from %s ended abruptly", client_address, exc_info=True)

    def close_connections(self) -> None:
        with self._open_lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._open.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind its load balancer
    server_version = "streamdesk-getstream-sim"
    timeout = 60  # an idle keep-alive connection is closed after a minute
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line carries the api_key query; `_handle` logs without it

    def _serve(self) -> None:
        if self.command in ("GET", "HEAD") and self.path.startswith(FILES_PREFIX):
            self.server.sim.after_show.serve(self)  # a recording's signed link, as a CDN would serve it
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.server.sim._handle(self.command, self.path, headers, raw)
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _serve
