"""obs-websocket 5 frames and numbers, checked: every parser returns a value or raises ``ObsMalformed``.

OBS (or whatever answers on its port) is a remote peer: a frame can be bad JSON, the wrong shape or
carry absurd numbers. Each parser here checks exactly the fields streamdesk reads, by type and range,
and turns anything else into one sentence (``ObsMalformed``) instead of a ``KeyError`` deep inside
the controller. Message shapes are the ones in docs/obs.md ("Protocol"). No I/O, no state.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from streamdesk.core.obs_errors import ObsMalformed

OP_HELLO = 0
OP_IDENTIFIED = 2
OP_EVENT = 5
OP_REQUEST_RESPONSE = 7
OP_REQUEST_BATCH_RESPONSE = 9

# Plausible bounds for the counters OBS reports (JSON numbers are doubles: 2**53 is the exact limit).
MAX_COUNTER = 2**53
MAX_FRAME_BYTES = 16 * 1024 * 1024  # the largest answer we read (GetVersion) is ~3 KB


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def decode(data: bytes | str) -> dict[str, Any]:
    """One text/binary frame → ``{"op": int, "d": dict}``."""
    if len(data) > MAX_FRAME_BYTES:
        raise ObsMalformed(f"OBS sent a frame of {len(data)} bytes, far more than any answer it gives.")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        msg = json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ObsMalformed("OBS sent a frame that is not valid JSON.") from None
    if not isinstance(msg, dict):
        raise ObsMalformed("OBS sent a frame that is not a JSON object.")
    op, d = msg.get("op"), msg.get("d")
    if not isinstance(op, int) or isinstance(op, bool):
        raise ObsMalformed("OBS sent a frame without a numeric op code.")
    if not isinstance(d, dict):
        raise ObsMalformed(f"OBS sent an op {op} frame whose data (d) is not an object.")
    return msg


@dataclass(frozen=True)
class Hello:
    rpc_version: int
    websocket_version: str
    challenge: str | None = None
    salt: str | None = field(default=None, repr=False)


def hello(msg: Any) -> Hello:
    if not isinstance(msg, dict) or msg.get("op") != OP_HELLO or not isinstance(msg.get("d"), dict):
        raise ObsMalformed("The server did not greet with an obs-websocket 5 Hello.")
    d = msg["d"]
    rpc = d.get("rpcVersion")
    if not isinstance(rpc, int) or isinstance(rpc, bool) or not 1 <= rpc < 1000:
        raise ObsMalformed("The server's Hello has no valid rpcVersion.")
    version = d.get("obsWebSocketVersion", "")
    auth = d.get("authentication")
    if auth is None:
        return Hello(rpc, version if isinstance(version, str) else "")
    if not (isinstance(auth, dict) and isinstance(auth.get("challenge"), str)
            and isinstance(auth.get("salt"), str)):
        raise ObsMalformed("The server's Hello asks for a password but its challenge is malformed.")
    return Hello(rpc, version if isinstance(version, str) else "", auth["challenge"], auth["salt"])


def identified(msg: dict[str, Any]) -> int:
    """The Identified frame (op 2) → the negotiated RPC version."""
    if msg.get("op") != OP_IDENTIFIED:
        raise ObsMalformed(f"OBS answered the login with op {shown(msg.get('op'))} instead of Identified.")
    rpc = msg["d"].get("negotiatedRpcVersion")
    if not isinstance(rpc, int) or isinstance(rpc, bool) or rpc != 1:
        raise ObsMalformed("OBS's Identified frame does not name RPC version 1.")
    return rpc


@dataclass(frozen=True)
class Result:
    """One request's outcome: a RequestResponse, or one item of a RequestBatchResponse."""

    request_type: str
    ok: bool
    code: int
    comment: str = ""
    data: dict[str, Any] = field(default_factory=dict, repr=False)


def result(d: Any, what: str = "response") -> Result:
    if not isinstance(d, dict):
        raise ObsMalformed(f"OBS sent a {what} that is not an object.")
    request_type = d.get("requestType")
    status = d.get("requestStatus")
    if not isinstance(request_type, str):
        raise ObsMalformed(f"OBS sent a {what} without a requestType.")
    if not isinstance(status, dict):
        raise ObsMalformed(f"OBS sent a {what} to {shown(request_type)} without a requestStatus.")
    ok, code, comment = status.get("result"), status.get("code"), status.get("comment", "")
    if not isinstance(ok, bool) or not isinstance(code, int) or isinstance(code, bool) \
            or not 0 <= code < 10000:
        raise ObsMalformed(f"OBS sent a {what} to {shown(request_type)} with a malformed requestStatus.")
    data = d.get("responseData")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ObsMalformed(f"OBS sent a {what} to {shown(request_type)} whose responseData is not an object.")
    return Result(request_type, ok, code, comment if isinstance(comment, str) else "", data)


def batch_results(d: dict[str, Any], expected: int) -> list[Result]:
    """A RequestBatchResponse's ``results``: at most ``expected`` of them (fewer after a halt)."""
    results = d.get("results")
    if not isinstance(results, list) or len(results) > expected:
        raise ObsMalformed("OBS sent a batch response whose results are not a list of the requests sent.")
    return [result(r, "batch result") for r in results]


def event(d: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An Event frame's data → (eventType, eventData)."""
    event_type, data = d.get("eventType"), d.get("eventData")
    if not isinstance(event_type, str):
        raise ObsMalformed("OBS sent an event without an eventType.")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ObsMalformed(f"OBS sent a {shown(event_type)} event whose eventData is not an object.")
    return event_type, data


# ------------------------------------------------------------------------------------------------
# Numbers and fields inside responseData / eventData

def number(data: dict[str, Any], key: str, lo: float, hi: float, *, default: float | None = None,
           integer: bool = False) -> float:
    """``data[key]`` as a finite number in [lo, hi]; ``default`` when absent or null (OBS encodes a
    NaN as null)."""
    value = data.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ObsMalformed(f"OBS reported {key} as {shown(value)}, which is not a number.")
    if not lo <= value <= hi or (integer and value != int(value)):
        raise ObsMalformed(f"OBS reported {key} = {shown(value)}, outside the plausible range.")
    return value


def counter(data: dict[str, Any], key: str) -> int:
    """A cumulative count (bytes, frames, milliseconds): a whole number in [0, 2**53]."""
    return int(number(data, key, 0, MAX_COUNTER, default=0, integer=True))


def flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ObsMalformed(f"OBS reported {key} as {shown(value)}, which is not true or false.")
    return value


def text(data: dict[str, Any], key: str, *, default: str = "") -> str:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ObsMalformed(f"OBS reported {key} as {shown(value)}, which is not text.")
    return value


def obj(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ObsMalformed(f"OBS reported {key} as {shown(value)}, which is not an object.")
    return value


_NAME = re.compile(r"[A-Za-z0-9_./-]{1,60}")


def shown(value: Any) -> str:
    """A short rendering of a remote value for an error sentence: a plain name as it is, anything
    else JSON-escaped (no newline, control or ANSI character gets through) and cut to 40 characters."""
    if isinstance(value, str) and _NAME.fullmatch(value):
        return value
    text = repr(value) if isinstance(value, float) else json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
