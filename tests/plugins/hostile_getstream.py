"""A hostile GetStream: a loopback HTTP proxy in front of the simulator that answers in bad ways.

``hostile_gs`` is a started :class:`HostileGetStream` whose upstream is ``gs_sim``. Set
``proxy.mode`` to one of ``MODES`` (``"pass"`` forwards unchanged); every request from then on
is forwarded to the simulator (so state changes such as StopLive really happen upstream) and its
answer mangled:

- ``trickle``: the real reply, one byte every half second (httpx's per-read timeout never trips);
- ``hang``: accepts the request and never answers;
- ``huge``: a 200 with no length that streams JSON-looking bytes until the client gives up;
- ``huge_declared``: a 200 that announces a 300 MB body;
- ``nan`` / ``huge_numbers`` / ``negative``: counts and timestamps replaced by NaN (a JSON
  literal Python's json reads), 1e300 / 10**30, -1005 / -1;
- ``ratelimit_ms`` / ``ratelimit_1e20`` / ``ratelimit_inf`` / ``ratelimit_nan``: 429 with an
  absurd ``X-RateLimit-Reset``;
- ``html_message`` / ``ansi_message``: a 400 whose message is HTML / terminal escapes;
- ``redirect_loop``: 302 to itself;
- ``html_200``: a 200 HTML page; ``json_as_text``: the real JSON labelled ``text/plain``;
- ``truncated``: the real reply cut in half (``Content-Length`` promises all of it).
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from streamdesk.sim.getstream_server import GetStreamSimulator

HTML_MESSAGE = "<h2 style=color:red>Your GetStream app is suspended. Call +1 555 0100</h2>"
ANSI_MESSAGE = "\x1b]0;pwned\x07\x1b[31;1mYour app is suspended\x1b[0m\x1b[2J\x9b31m"
RESETS = {"ratelimit_ms": "1796308355000", "ratelimit_1e20": "1e20", "ratelimit_inf": "inf",
          "ratelimit_nan": "nan"}
BAD_NUMBERS: dict[str, tuple[Any, Any]] = {  # mode: (count, timestamp)
    "nan": (math.nan, math.nan),
    "huge_numbers": (1e300, 10**30),
    "negative": (-1005, -1),
}
MODES = ("trickle", "hang", "huge", "huge_declared", "nan", "huge_numbers", "negative", *RESETS,
         "html_message", "ansi_message", "redirect_loop", "html_200", "json_as_text", "truncated")
TRICKLE_INTERVAL_S = 0.5


class HostileGetStream:
    def __init__(self, upstream: GetStreamSimulator) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._http = httpx.Client(base_url=upstream.url, timeout=10.0)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _any(self) -> None:
                with contextlib.suppress(OSError):  # the client gave up on us: that is the point
                    proxy._handle(self)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> HostileGetStream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    # -- one request ------------------------------------------------------------------------------
    def _forward(self, h: BaseHTTPRequestHandler) -> httpx.Response:
        length = int(h.headers.get("content-length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "content-length",
                                                                           "accept-encoding")}
        return self._http.request(h.command, h.path, content=body, headers=headers)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        mode = self.mode
        self.requests.append(f"{mode} {h.command} {h.path.split('?')[0]}")
        upstream = self._forward(h)  # the real effect happens whatever we answer
        body = upstream.content
        ctype = upstream.headers.get("content-type", "application/json")
        if mode == "pass":
            return _send(h, upstream.status_code, body, ctype)
        if mode == "hang":
            self._stop.wait(120)
            return None
        if mode == "trickle":
            _head(h, upstream.status_code, len(body), ctype)
            for i in range(len(body)):
                if self._stop.wait(TRICKLE_INTERVAL_S):
                    return None
                h.wfile.write(body[i:i + 1])
                h.wfile.flush()
            return None
        if mode == "huge":
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(b'{"call": {"id": "')
            chunk = b"A" * 65536
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not self._stop.is_set():
                h.wfile.write(chunk)
            return None
        if mode == "huge_declared":
            _head(h, 200, 300 * 1024 * 1024, "application/json")
            h.wfile.write(b'{"call": ')
            h.wfile.flush()
            self._stop.wait(30)
            return None
        if mode in BAD_NUMBERS:
            try:
                data = json.loads(body)
            except ValueError:
                return _send(h, upstream.status_code, body, ctype)
            count, stamp = BAD_NUMBERS[mode]
            _poison(data, count, stamp)
            return _send(h, upstream.status_code, json.dumps(data, allow_nan=True).encode(), ctype)
        if mode in RESETS:
            payload = json.dumps({"code": 9, "message": "Too many requests", "StatusCode": 429}).encode()
            return _send(h, 429, payload, "application/json",
                         {"X-RateLimit-Reset": RESETS[mode], "X-RateLimit-Limit": "60",
                          "X-RateLimit-Remaining": "0"})
        if mode in ("html_message", "ansi_message"):
            message = HTML_MESSAGE if mode == "html_message" else ANSI_MESSAGE
            payload = json.dumps({"code": 4, "message": message, "StatusCode": 400}).encode()
            return _send(h, 400, payload, "application/json")
        if mode == "redirect_loop":
            return _send(h, 302, b"", "text/plain", {"Location": h.path})
        if mode == "html_200":
            return _send(h, 200, b"<html><body><h1>Welcome to nginx!</h1></body></html>", "text/html")
        if mode == "json_as_text":
            return _send(h, upstream.status_code, body, "text/plain")
        if mode == "truncated":
            _head(h, upstream.status_code, len(body), ctype)
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.connection.shutdown(socket.SHUT_RDWR)
            return None
        raise AssertionError(f"unknown hostile mode {mode!r}")


def _head(h: BaseHTTPRequestHandler, status: int, length: int, ctype: str,
          extra: dict[str, str] | None = None) -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(length))
    for k, v in (extra or {}).items():
        h.send_header(k, v)
    h.end_headers()


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str,
          extra: dict[str, str] | None = None) -> None:
    _head(h, status, len(body), ctype, extra)
    h.wfile.write(body)
    h.wfile.flush()


def _poison(value: Any, count: Any, stamp: Any) -> None:
    """Every call session's counts, every timestamp and every total become ``count``/``stamp``."""
    if isinstance(value, list):
        for item in value:
            _poison(item, count, stamp)
        return
    if not isinstance(value, dict):
        return
    for key, item in list(value.items()):
        if key == "session" and isinstance(item, dict):
            item["participants_count_by_role"] = {"user": count, "host": 1}
            item["anonymous_participant_count"] = count
        if key.endswith("_at") and item is not None:
            value[key] = stamp
        elif key in ("total_participants", "join_ahead_time_seconds"):
            value[key] = count
        else:
            _poison(item, count, stamp)


@pytest.fixture
def hostile_gs(gs_sim: GetStreamSimulator) -> Iterator[HostileGetStream]:
    proxy = HostileGetStream(gs_sim).start()
    yield proxy
    proxy.stop()
