"""The GetStream transport's total deadline, size cap and cancel, against raw loopback servers
that misbehave below HTTP (a trickle defeats httpx's per-read timeouts; a huge body must not be
read into memory)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from streamdesk.core.cancel import CancelToken, scope
from streamdesk.core.getstream import MAX_BODY_BYTES, Cancelled, GetStreamClient, NetworkError, ProtocolError

SECRET = "s" * 40
Serve = Callable[[socket.socket], None]


@pytest.fixture
def raw_server() -> Iterator[Callable[[Serve], str]]:
    stop = threading.Event()
    servers: list[socket.socket] = []

    def start(serve: Serve) -> str:
        srv = socket.create_server(("127.0.0.1", 0))
        servers.append(srv)

        def loop() -> None:
            while not stop.is_set():
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                conn.recv(65536)
                threading.Thread(target=_guard, args=(serve, conn), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()
        return f"http://127.0.0.1:{srv.getsockname()[1]}"

    yield start
    stop.set()
    for srv in servers:
        srv.close()


def _guard(serve: Serve, conn: socket.socket) -> None:
    try:
        serve(conn)
    except OSError:
        pass
    finally:
        conn.close()


def _trickle(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        conn.sendall(b" ")
        time.sleep(0.1)  # the hostile server's pace, not the test's waiting


def _huge(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    chunk = b"9" * 65536
    for _ in range(4 * MAX_BODY_BYTES // len(chunk)):
        conn.sendall(chunk)


def client(url: str, **kw: object) -> GetStreamClient:
    return GetStreamClient("key-1", SECRET, base_url=url, max_retries=0, **kw)  # type: ignore[arg-type]


def test_a_trickling_reply_ends_at_the_total_deadline(raw_server: Callable[[Serve], str]) -> None:
    url = raw_server(_trickle)
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer GetCall in time"), client(url, timeout=0.8) as gs:
        gs.get_call("livestream", "show-1")
    assert time.monotonic() - started < 0.8 + 0.7


def test_the_budget_bounds_retries_and_waits_too(raw_server: Callable[[Serve], str]) -> None:
    url = raw_server(_trickle)
    started = time.monotonic()
    gs = GetStreamClient("key-1", SECRET, base_url=url, timeout=0.5, max_retries=4, budget=1.2)
    with pytest.raises(NetworkError), gs:
        gs.get_call("livestream", "show-1")
    assert time.monotonic() - started < 1.2 + 0.7


def test_a_huge_reply_is_refused_without_reading_it_all(raw_server: Callable[[Serve], str]) -> None:
    url = raw_server(_huge)
    with pytest.raises(ProtocolError, match="larger than 4 MB"), client(url, timeout=20) as gs:
        gs.get_call("livestream", "show-1")


def test_a_declared_huge_reply_is_refused_before_reading(raw_server: Callable[[Serve], str]) -> None:
    def declared(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 314572800\r\n\r\n{")
        time.sleep(5)

    url = raw_server(declared)
    started = time.monotonic()
    with pytest.raises(ProtocolError, match="larger than"), client(url, timeout=10) as gs:
        gs.get_call("livestream", "show-1")
    assert time.monotonic() - started < 2


def test_cancel_from_another_thread_ends_the_request_at_once(raw_server: Callable[[Serve], str]) -> None:
    url = raw_server(_trickle)
    token = CancelToken()
    with scope(token):
        gs = client(url, timeout=30)
    timer = threading.Timer(0.3, token.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(Cancelled), gs:
        gs.get_call("livestream", "show-1")
    assert time.monotonic() - started < 2
    with pytest.raises(Cancelled):  # and nothing more is sent
        gs.get_call("livestream", "show-1")
