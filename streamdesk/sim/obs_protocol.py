"""obs-websocket 5.x wire vocabulary, as the simulator speaks it.

Numbers and the close reasons' wording come from the protocol document
(obsproject/obs-websocket ``docs/generated/protocol.md``) and were checked against real OBS 29.0.2
with obs-websocket 5.1.0. Kept apart from ``core`` on purpose: the simulator and the client are two
independent readings of the protocol.
"""

from __future__ import annotations

import base64
import hashlib
from enum import IntEnum, IntFlag

OBS_VERSION = "29.0.2"
WEBSOCKET_VERSION = "5.1.0"
RPC_VERSION = 1
SUBPROTOCOL_JSON = "obswebsocket.json"


class Op(IntEnum):
    HELLO = 0
    IDENTIFY = 1
    IDENTIFIED = 2
    REIDENTIFY = 3
    EVENT = 5
    REQUEST = 6
    REQUEST_RESPONSE = 7
    REQUEST_BATCH = 8
    REQUEST_BATCH_RESPONSE = 9


class CloseCode(IntEnum):
    GOING_AWAY = 1001          # what OBS sends its clients when it shuts down
    UNKNOWN_REASON = 4000
    MESSAGE_DECODE_ERROR = 4002
    MISSING_DATA_FIELD = 4003
    INVALID_DATA_FIELD_TYPE = 4004
    INVALID_DATA_FIELD_VALUE = 4005
    UNKNOWN_OP_CODE = 4006
    NOT_IDENTIFIED = 4007
    ALREADY_IDENTIFIED = 4008
    AUTHENTICATION_FAILED = 4009
    UNSUPPORTED_RPC_VERSION = 4010
    SESSION_INVALIDATED = 4011
    UNSUPPORTED_FEATURE = 4012


# The reason texts real OBS 29 sends (observed), so clients that show them read the same words.
CLOSE_REASONS: dict[int, str] = {
    CloseCode.GOING_AWAY: "Server stopping.",
    CloseCode.NOT_IDENTIFIED: "You attempted to send a non-Identify message while not identified.",
    CloseCode.ALREADY_IDENTIFIED: "You are already Identified with the obs-websocket server.",
    CloseCode.AUTHENTICATION_FAILED: "Authentication failed.",
    CloseCode.UNSUPPORTED_RPC_VERSION: "Your requested RPC version is not supported by this server.",
    CloseCode.SESSION_INVALIDATED: "Your session has been invalidated.",
}
PRE_5_REASON = ("You appear to be attempting to connect with the pre-5.0.0 plugin protocol. "
                "Check to make sure your client is updated.")


class Status(IntEnum):
    """RequestStatus codes (subset the simulator can produce)."""

    NO_ERROR = 10
    SUCCESS = 100
    MISSING_REQUEST_TYPE = 203
    UNKNOWN_REQUEST_TYPE = 204
    GENERIC_ERROR = 205
    UNSUPPORTED_BATCH_EXECUTION_TYPE = 206
    MISSING_REQUEST_FIELD = 300
    MISSING_REQUEST_DATA = 301
    INVALID_REQUEST_FIELD = 400
    INVALID_REQUEST_FIELD_TYPE = 401
    REQUEST_FIELD_OUT_OF_RANGE = 402
    REQUEST_FIELD_EMPTY = 403
    OUTPUT_RUNNING = 500
    OUTPUT_NOT_RUNNING = 501
    RESOURCE_NOT_FOUND = 600
    RESOURCE_CREATION_FAILED = 700


class EventSub(IntFlag):
    GENERAL = 1 << 0
    CONFIG = 1 << 1
    SCENES = 1 << 2
    INPUTS = 1 << 3
    TRANSITIONS = 1 << 4
    FILTERS = 1 << 5
    OUTPUTS = 1 << 6
    SCENE_ITEMS = 1 << 7
    MEDIA_INPUTS = 1 << 8
    VENDORS = 1 << 9
    UI = 1 << 10
    ALL = (1 << 11) - 1  # the protocol's "All": every low-volume category


class OutputState:
    """``outputState`` strings carried by StreamStateChanged."""

    STARTING = "OBS_WEBSOCKET_OUTPUT_STARTING"
    STARTED = "OBS_WEBSOCKET_OUTPUT_STARTED"
    STOPPING = "OBS_WEBSOCKET_OUTPUT_STOPPING"
    STOPPED = "OBS_WEBSOCKET_OUTPUT_STOPPED"
    RECONNECTING = "OBS_WEBSOCKET_OUTPUT_RECONNECTING"
    RECONNECTED = "OBS_WEBSOCKET_OUTPUT_RECONNECTED"


def auth_response(password: str, salt: str, challenge: str) -> str:
    """The Identify ``authentication`` string: base64(sha256(base64(sha256(password + salt)) + challenge))."""
    secret = base64.b64encode(hashlib.sha256((password + salt).encode()).digest())
    return base64.b64encode(hashlib.sha256(secret + challenge.encode()).digest()).decode()
