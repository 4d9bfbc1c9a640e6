"""A hostile obs-websocket server: the OBS simulator with its outgoing frames rewritten, plus a
trickling TCP proxy.

- ``MALFORMED``: named shapes of bad frames (bad JSON, wrong types, missing fields, ``{"op":5,"d":"x"}``,
  malformed Hello / Identified / RequestResponse / RequestBatchResponse, absurd numbers). Each is a
  ``Shape``: which frame it replaces and what it sends instead. ``install(sim, shape)`` puts it on
  a simulator (``ObsSimulator.rewrite``); the rest of the session stays a faithful obs-websocket 5.1.
- ``MALFORMED_EVENTS``: raw frames to ``ObsSimulator.inject`` into the event connection.
- ``TrickleProxy``: a loopback TCP proxy in front of a simulator; once ``trickle`` is set, it passes
  the server's bytes on one at a time, ``delay`` apart — a peer that is never silent long enough for
  a per-read timeout, so only a total deadline ends the wait.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streamdesk.sim.obs_server import ObsSimulator

Rewrite = Callable[[dict[str, Any]], "str | bytes | dict[str, Any]"]


@dataclass(frozen=True)
class Shape:
    """Replace the first frame with op ``op`` (and, for responses, about ``request``) by ``make(d)``:
    a str/bytes frame as is, a dict as JSON (NaN allowed, as a buggy server might send)."""

    name: str
    op: int
    make: Rewrite
    request: str | None = None  # op 7 / op 9: only frames answering this request type
    words: tuple[str, ...] = ()  # what the one-line error must say (case-insensitive; "a|b": either)


def _with_data(request: str, **changes: Any) -> Rewrite:
    """A response (op 7) or batch response (op 9) with ``request``'s responseData changed."""

    def make(d: dict[str, Any]) -> dict[str, Any]:
        d = json.loads(json.dumps(d))
        items = d.get("results") if "results" in d else [d]
        for item in items:
            if item.get("requestType") == request:
                item["responseData"] = {**item.get("responseData", {}), **changes}
        return {"op": 9 if "results" in d else 7, "d": d}

    return make


def _ansi_type(d: dict[str, Any]) -> dict[str, Any]:
    d = json.loads(json.dumps(d))
    d["results"][0]["requestType"] = "\x1b[2J\x1b[31mGetStreamStatus\nYou are hacked"
    return {"op": 9, "d": d}


def _result_swap(d: dict[str, Any]) -> dict[str, Any]:
    d = json.loads(json.dumps(d))
    d["results"] = list(reversed(d["results"]))
    return {"op": 9, "d": d}


NOT_OBS = ("not obs-websocket 5",)
LOGIN = ("answered the login unexpectedly",)
MALFORMED_WORDS = ("OBS sent|OBS answered",)  # "a|b": either
NUMBER = ("plausible",)

MALFORMED: list[Shape] = [
    # Hello (op 0)
    Shape("hello-not-json", 0, lambda d: "{hello", words=NOT_OBS),
    Shape("hello-not-an-object", 0, lambda d: "[0, 1]", words=NOT_OBS),
    Shape("hello-op5-d-string", 0, lambda d: '{"op":5,"d":"x"}', words=NOT_OBS),
    Shape("hello-d-missing", 0, lambda d: '{"op":0}', words=NOT_OBS),
    Shape("hello-rpc-version-string", 0, lambda d: {"op": 0, "d": {**d, "rpcVersion": "1"}}, words=NOT_OBS),
    Shape("hello-challenge-a-number", 0,
          lambda d: {"op": 0, "d": {**d, "authentication": {"challenge": 5, "salt": "x"}}}, words=NOT_OBS),
    Shape("hello-binary-garbage", 0, lambda d: b"\xff\xfe\x00garbage", words=NOT_OBS),
    # Identified (op 2)
    Shape("identified-not-json", 2, lambda d: "}{", words=LOGIN),
    Shape("identified-d-string", 2, lambda d: '{"op":2,"d":"x"}', words=LOGIN),
    Shape("identified-op5-d-string", 2, lambda d: '{"op":5,"d":"x"}', words=LOGIN),
    Shape("identified-wrong-op", 2, lambda d: {"op": 7, "d": {}}, words=LOGIN),
    Shape("identified-no-rpc-version", 2, lambda d: {"op": 2, "d": {}}, words=LOGIN),
    # RequestResponse (op 7) to the first request after login (GetVersion)
    Shape("response-not-json", 7, lambda d: '{"op":7,"d":', "GetVersion", MALFORMED_WORDS),
    Shape("response-op5-d-string", 7, lambda d: '{"op":5,"d":"x"}', "GetVersion", MALFORMED_WORDS),
    Shape("response-op-a-string", 7, lambda d: {"op": "7", "d": d}, "GetVersion", MALFORMED_WORDS),
    Shape("response-no-status", 7,
          lambda d: {"op": 7, "d": {k: v for k, v in d.items() if k != "requestStatus"}},
          "GetVersion", MALFORMED_WORDS),
    Shape("response-code-a-string", 7,
          lambda d: {"op": 7, "d": {**d, "requestStatus": {"result": True, "code": "100"}}},
          "GetVersion", MALFORMED_WORDS),
    Shape("response-data-a-list", 7, lambda d: {"op": 7, "d": {**d, "responseData": [1, 2]}},
          "GetVersion", MALFORMED_WORDS),
    Shape("response-version-a-number", 7, _with_data("GetVersion", obsVersion=29), "GetVersion",
          ("not text",)),
    Shape("response-nan-literal", 7, lambda d: '{"op":7,"d":{"requestId":NaN}}', "GetVersion",
          MALFORMED_WORDS),
    # RequestBatchResponse (op 9): status's health batch, configure's read batch
    Shape("batch-results-an-object", 9, lambda d: {"op": 9, "d": {**d, "results": {}}}, "GetStreamStatus",
          MALFORMED_WORDS),
    Shape("batch-too-many-results", 9, lambda d: {"op": 9, "d": {**d, "results": d["results"] * 3}},
          "GetStreamStatus", MALFORMED_WORDS),
    Shape("batch-results-out-of-order", 9, _result_swap, "GetStreamStatus", ("out of order",)),
    Shape("batch-type-ansi-and-newline", 9, _ansi_type, "GetStreamStatus", ("out of order",)),
    Shape("batch-result-not-an-object", 9,
          lambda d: {"op": 9, "d": {**d, "results": ["x"] * len(d["results"])}},
          "GetStreamStatus", MALFORMED_WORDS),
    Shape("numbers-bytes-negative", 9, _with_data("GetStreamStatus", outputBytes=-1), "GetStreamStatus",
          NUMBER),
    Shape("numbers-bytes-a-string", 9, _with_data("GetStreamStatus", outputBytes="1e3"), "GetStreamStatus",
          ("not a number",)),
    Shape("numbers-frames-huge", 9, _with_data("GetStreamStatus", outputTotalFrames=1e300), "GetStreamStatus",
          NUMBER),
    Shape("numbers-frames-fractional", 9, _with_data("GetStreamStatus", outputTotalFrames=2.5),
          "GetStreamStatus", NUMBER),
    Shape("numbers-dropped-over-total", 9,
          _with_data("GetStreamStatus", outputSkippedFrames=50, outputTotalFrames=10), "GetStreamStatus",
          ("dropped frames",)),
    Shape("numbers-congestion-5", 9, _with_data("GetStreamStatus", outputCongestion=5), "GetStreamStatus",
          NUMBER),
    Shape("numbers-active-a-string", 9, _with_data("GetStreamStatus", outputActive="yes"), "GetStreamStatus",
          ("not true or false",)),
    Shape("numbers-nan-duration", 9,
          lambda d: json.dumps(_with_data("GetStreamStatus", outputDuration=float("nan"))(d)),
          "GetStreamStatus", MALFORMED_WORDS),
    Shape("numbers-stats-render-negative", 9, _with_data("GetStats", renderSkippedFrames=-3),
          "GetStreamStatus", NUMBER),
    Shape("numbers-height-negative", 9, _with_data("GetVideoSettings", outputHeight=-720), "GetVideoSettings",
          NUMBER),
    Shape("numbers-fps-denominator-zero", 9, _with_data("GetVideoSettings", fpsDenominator=0),
          "GetVideoSettings", NUMBER),
    Shape("numbers-service-a-list", 9, _with_data("GetStreamServiceSettings", streamServiceSettings=[1]),
          "GetVideoSettings", ("not an object",)),
]

SHAPES = {s.name: s for s in MALFORMED}


def install(sim: ObsSimulator, shape: Shape, *, times: int = 1) -> None:
    """Rewrite the next ``times`` frames matching ``shape`` on request sockets (subscriptions 0);
    Hello and Identified are rewritten on whichever socket comes first."""
    left = [times]

    def rewrite(op: int, d: dict[str, Any], subscriptions: int) -> str | bytes | None:
        if left[0] <= 0 or op != shape.op:
            return None
        if op in (7, 9):
            results = d.get("results", []) if op == 9 else [d]
            types = [r.get("requestType") for r in results]
            if shape.request not in types or subscriptions != 0:
                return None
        left[0] -= 1
        frame = shape.make(d)
        return json.dumps(frame) if isinstance(frame, dict) else frame

    sim.rewrite = rewrite


# Raw frames for the event connection: each must be logged and skipped, never end the event thread.
MALFORMED_EVENTS: dict[str, str | bytes] = {
    "not-json": "{event",
    "op5-d-string": '{"op":5,"d":"x"}',
    "op-a-string": '{"op":"5","d":{}}',
    "not-an-object": "null",
    "binary-garbage": b"\x00\xff\xfe",
    "no-event-type": '{"op":5,"d":{}}',
    "event-type-a-number": '{"op":5,"d":{"eventType":5}}',
    "event-data-a-list": '{"op":5,"d":{"eventType":"StreamStateChanged","eventData":[1]}}',
    "state-a-number": '{"op":5,"d":{"eventType":"StreamStateChanged","eventData":{"outputState":5}}}',
    "state-unknown": '{"op":5,"d":{"eventType":"StreamStateChanged","eventData":{"outputState":"BOOM"}}}',
    "nan-literal": '{"op":5,"d":{"eventType":"StreamStateChanged","eventData":{"outputActive":NaN}}}',
    "stray-batch-response": '{"op":9,"d":{"requestId":"nobody","results":"x"}}',
    "deeply-nested": "[" * 100_000 + "]" * 100_000,
}


class TrickleProxy:
    """Loopback TCP proxy to ``target``; with ``trickle`` set, server→client bytes go one at a time."""

    def __init__(self, target_port: int, *, delay: float = 0.05) -> None:
        self.target_port = target_port
        self.delay = delay
        self.trickle = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, name="trickle-proxy", daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_server: bool) -> None:
        with contextlib.suppress(OSError):
            while not self._stop.is_set():
                data = src.recv(65536)
                if not data:
                    break
                if from_server and self.trickle:
                    for i in range(len(data)):
                        if self._stop.is_set():
                            return
                        dst.sendall(data[i:i + 1])
                        time.sleep(self.delay)
                else:
                    dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.close()
