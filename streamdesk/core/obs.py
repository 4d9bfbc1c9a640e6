"""OBS controller over obs-websocket v5: connect, one-click configure, start/stop, health, events.

Built on obsws-python's connection (``obsws_python.baseclient.ObsClient``: websocket connect and
``Hello``), with two things done here because the library cannot: Identify and every read keep
the websocket *close code* (4009 wrong password, 4010 unsupported RPC, 4011 kicked — the library
turns all of them into one "failed to identify" error), and responses are matched to their
request id (the library reads "the next message", which desynchronises after a timeout).

Threads: ``ObsController`` is NOT thread-safe. One thread owns it and makes every call (the GUI
gives it one worker). The only other thread is the controller's own event reader, which owns the
second socket (events + liveness probe + reconnect) and calls ``on_event`` from that thread.

Secrets: obsws-python logs the password at INFO and request payloads (the stream key) at DEBUG,
and its ``repr`` shows the password. Its logger is raised to WARNING here (and by
``secrets.setup_logging``), the password and key are registered with the redaction filter when
used, our own logs never include payloads, and our reprs hide both.

Where OBS 29 keeps the output settings (checked against real OBS 29.0.2 by streaming and reading
the encoder settings OBS logs):

- Simple output mode (``[Output] Mode=Simple``): ``[SimpleOutput] VBitrate`` (kbps) and ``Preset``
  (the x264 preset; hardware encoders read ``NVENCPreset``/``QSVPreset``/``AMDPreset``) are read at
  every stream start, so ``SetProfileParameter`` takes effect on the next start. Simple mode has
  no keyframe-interval setting (x264 then uses 250 frames); with ``UseAdvanced=true`` OBS passes
  ``x264Settings`` to x264 as custom options, so ``keyint=<2 × fps>`` gives a 2 s interval (x264
  only). ``StreamEncoder`` (``x264``, ``nvenc``, ``qsv``, ``amd``, …) is read only when OBS builds
  its outputs (start-up, profile switch, Settings → OK): a change applies after that.
- Advanced output mode: ``[AdvOut] Encoder`` names the encoder, and its bitrate, keyframe interval
  (``keyint_sec``) and preset live in the profile's ``streamEncoder.json``, which OBS reads only
  when it builds its outputs and which obs-websocket 5 cannot write. In Advanced mode we change
  nothing in the encoder and say what to set by hand.
- ``[Output] Mode`` itself is also read only when outputs are built; we never change it.
- obs-websocket 5 cannot list the encoders OBS has. OBS's auto-configuration and settings only
  offer encoders that exist, so a profile already on a hardware encoder keeps it; otherwise x264.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websocket
from obsws_python.baseclient import ObsClient

from streamdesk.core.errors import StreamdeskError
from streamdesk.core.obs_health import HealthMeter, StreamHealth

log = logging.getLogger(__name__)
# obsws-python logs the password (INFO) and every request payload, stream key included (DEBUG).
logging.getLogger("obsws_python").setLevel(logging.WARNING)
# Its connection errors are logged with a traceback before we classify them; we report each one.
logging.getLogger("obsws_python.baseclient._Socket").setLevel(logging.CRITICAL)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4455

# Event subscriptions (obs-websocket EventSubscription bits): General (ExitStarted) | Outputs.
SUB_GENERAL = 1 << 0
SUB_OUTPUTS = 1 << 6
EVENT_SUBSCRIPTIONS = SUB_GENERAL | SUB_OUTPUTS

# Stream output states as obs-websocket names them.
STARTING = "OBS_WEBSOCKET_OUTPUT_STARTING"
STARTED = "OBS_WEBSOCKET_OUTPUT_STARTED"
STOPPING = "OBS_WEBSOCKET_OUTPUT_STOPPING"
STOPPED = "OBS_WEBSOCKET_OUTPUT_STOPPED"
RECONNECTING = "OBS_WEBSOCKET_OUTPUT_RECONNECTING"
RECONNECTED = "OBS_WEBSOCKET_OUTPUT_RECONNECTED"

# obs-websocket request status codes we act on
CODE_OUTPUT_RUNNING = 500
CODE_OUTPUT_NOT_RUNNING = 501
CODE_RESOURCE_NOT_FOUND = 600

# Recommended output settings (the seed's "common issues" advice)
BITRATE_1080P_KBPS = 4500
BITRATE_720P_KBPS = 2500
KEYFRAME_INTERVAL_S = 2
X264_PRESET = "faster"
# SimpleOutput/StreamEncoder values that are hardware encoders (OBS 29 UI/window-basic-main.hpp
# SIMPLE_ENCODER_* plus the HEVC/AV1 variants later versions add).
HARDWARE_SIMPLE_ENCODERS = frozenset({
    "qsv", "nvenc", "amd", "apple_h264", "nvenc_hevc", "amd_hevc", "apple_hevc", "qsv_av1",
    "nvenc_av1", "amd_av1", "qsv_hevc", "ffmpeg_vaapi", "vaapi",
})


# ------------------------------------------------------------------------------------------------
# Errors: each message is one sentence a streamer can act on.

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


class _Closed(Exception):
    """The server sent a websocket close frame (internal: mapped to an ``ObsError``)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(f"closed with code {code} {reason}".strip())
        self.code = code
        self.reason = reason


_SETTINGS_HINT = "Check OBS → Tools → WebSocket Server Settings."


def _closed_error(target: ObsTarget, closed: _Closed, *, during: str) -> ObsError:
    where = f"OBS at {target}"
    if closed.code == 4009:
        return ObsAuthFailed(
            f"{where} rejected the websocket password.",
            hint="Copy it from OBS → Tools → WebSocket Server Settings → Show Connect Info and run "
            "`streamdesk obs configure --password-stdin`.",
        )
    if closed.code == 4010:
        return ObsUnsupported(
            f"{where} does not support this client's obs-websocket RPC version (close code 4010).",
            hint="streamdesk needs OBS 28 or newer (obs-websocket 5).",
        )
    if closed.code == 4011:
        return ObsKicked(
            f"{where} closed streamdesk's session on purpose (kicked in its WebSocket settings); "
            "streamdesk will not reconnect on its own.",
            hint="Connect again when you want streamdesk back.",
        )
    code = f" (close code {closed.code})" if closed.code else ""
    during = f" {during}" if during else ""
    return ObsNotRunning(f"{where} closed the connection{during}{code}.", hint="Is OBS still running?")


# ------------------------------------------------------------------------------------------------
# Value types

@dataclass(frozen=True)
class ObsTarget:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    password: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def scope(self) -> str:
        """The keyring scope of this OBS's password and backup key."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ObsInfo:
    obs_version: str
    websocket_version: str
    rpc_version: int


@dataclass(frozen=True)
class ObsEvent:
    """``kind``: ``stream_state`` (``state`` = raw OBS_WEBSOCKET_OUTPUT_*), ``exit`` (OBS is
    shutting down), ``disconnected`` (``detail`` says why; reconnecting unless ``final``),
    ``reconnected``."""

    kind: str
    state: str = ""
    detail: str = ""
    final: bool = False


@dataclass(frozen=True)
class ConfigChange:
    """One setting configure would change. ``old``/``new`` are display strings (key masked);
    ``note`` says when it takes effect or why it cannot be changed."""

    setting: str
    old: str
    new: str
    note: str = ""
    changed: bool | None = None  # set when the display strings cannot tell (masked keys)

    @property
    def changes(self) -> bool:
        return self.changed if self.changed is not None else self.old != self.new


# Stream service fields that are secrets: the key, and rtmp_custom's optional auth password / token.
SECRET_SERVICE_FIELDS = ("key", "password", "bearer_token")


@dataclass
class ObsBackup:
    """What configure found before changing anything, so ``restore`` can put it back.

    ``service_settings`` holds the non-secret fields; ``secrets`` the secret ones (the old stream
    key above all), kept out of ``to_json`` and ``repr``. ``profile`` holds
    ``[category, name, value-or-None]`` (None: the parameter was unset)."""

    service_type: str
    service_settings: dict[str, Any]
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    profile: list[list[Any]] = field(default_factory=list)
    saved_at: float = 0.0

    @classmethod
    def of(cls, service_type: str, settings: dict[str, Any]) -> ObsBackup:
        plain = {k: v for k, v in settings.items() if k not in SECRET_SERVICE_FIELDS}
        secret = {k: str(v) for k, v in settings.items() if k in SECRET_SERVICE_FIELDS and v}
        return cls(service_type, plain, secret, saved_at=time.time())

    @property
    def key(self) -> str | None:
        return self.secrets.get("key")

    def to_json(self) -> dict[str, Any]:
        """Everything but the secrets (those go to the keyring)."""
        return {
            "service_type": self.service_type, "service_settings": self.service_settings,
            "profile": self.profile, "saved_at": self.saved_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], secrets: dict[str, str] | None) -> ObsBackup:
        return cls(data["service_type"], dict(data["service_settings"]), dict(secrets or {}),
                   [list(p) for p in data.get("profile", [])], float(data.get("saved_at", 0.0)))


def mask_key(key: str | None) -> str:
    """Enough of a key to recognise it, never enough to use it."""
    if not key:
        return "(none)"
    if len(key) <= 8:
        return "•" * 8
    return f"{key[:4]}…{key[-4:]} (hidden)"


def _register(*secrets: str | None) -> None:
    try:
        from streamdesk.core.secrets import register_secret
    except ImportError:  # pragma: no cover - secrets module is part of every build
        return
    for s in secrets:
        register_secret(s)


# ------------------------------------------------------------------------------------------------
# One websocket session

class _Socket(ObsClient):
    """obsws-python's connection (connect + Hello), with Identify and reads that keep close codes.

    Always constructed with explicit host/port/password/timeout, so obsws-python never looks for
    a ``config.toml``."""

    def __init__(self, target: ObsTarget, *, timeout: float, subs: int) -> None:
        self.target = target
        _register(target.password)
        try:
            super().__init__(host=target.host, port=target.port, password=target.password or "",
                             subs=subs, timeout=timeout)
        except ConnectionRefusedError:
            raise ObsNotRunning(
                f"Nothing is listening at {target}: is OBS running with its WebSocket server enabled?",
                hint=_SETTINGS_HINT,
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
        return f"_Socket({self.target})"

    def _close_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close(timeout=0.2)

    close = _close_quietly

    def authenticate(self) -> dict:
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
        except _Closed as c:
            self._close_quietly()
            raise _closed_error(self.target, c, during="while identifying") from None
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
        return msg["d"]

    def recv_message(self) -> dict:
        """The next obs-websocket message. Raises ``_Closed`` on a close frame, the websocket
        library's timeout / closed errors otherwise."""
        while True:
            opcode, data = self.ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                raise _Closed(code, data[2:].decode("utf-8", "replace"))
            if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                return json.loads(data)
            # ping/pong: keep reading

    def pending_close(self) -> _Closed | None:
        """On an idle socket: a close frame that arrived meanwhile, ``_Closed(None)`` if the peer
        is gone, else None (nothing pending, or only stray messages, which are dropped)."""
        raw = self.ws.sock
        if raw is None:
            return _Closed(None)
        try:
            while select.select([raw], [], [], 0)[0]:
                self.ws.settimeout(self.timeout)
                self.recv_message()
        except _Closed as c:
            return c
        except (websocket.WebSocketException, OSError, ValueError):
            return _Closed(None)
        return None

    def send_request(self, request_type: str, data: dict | None = None) -> str:
        self._seq += 1
        request_id = f"sd-{self._seq}-{uuid.uuid4().hex[:8]}"
        payload: dict[str, Any] = {"requestType": request_type, "requestId": request_id}
        if data is not None:
            payload["requestData"] = data
        self.ws.send(json.dumps({"op": 6, "d": payload}))
        return request_id


def _status_error(d: dict) -> ObsRequestFailed:
    status = d.get("requestStatus", {})
    return ObsRequestFailed(d.get("requestType", "request"), int(status.get("code", 0)),
                            str(status.get("comment") or ""))


# ------------------------------------------------------------------------------------------------
# The controller

EventCallback = Callable[[ObsEvent], None]


class ObsController:
    """A connection to one OBS. Owned by ONE thread (not thread-safe); ``on_event`` is called
    from the controller's event thread. ``events=False`` skips the event socket (short CLI
    commands that only make requests)."""

    def __init__(self, target: ObsTarget, *, timeout: float = 5.0, on_event: EventCallback | None = None,
                 events: bool = True, probe_interval: float = 5.0,
                 backoff: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.target = target
        self.timeout = timeout
        self.on_event = on_event
        self._want_events = events or on_event is not None
        self.probe_interval = probe_interval
        self.backoff = backoff
        self._clock = clock
        self._req: _Socket | None = None
        self._events: _EventThread | None = None
        self._meter = HealthMeter(clock)
        self._state_lock = threading.Condition()
        self._states: list[str] = []  # every StreamStateChanged state seen, in order
        self.info: ObsInfo | None = None

    def __repr__(self) -> str:
        return f"ObsController({self.target}, connected={self._req is not None})"

    def __enter__(self) -> ObsController:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connection -----------------------------------------------------------------------------

    def connect(self) -> ObsInfo:
        """Open the request socket (and the event socket); raise a classified ``ObsError``."""
        if self._req is None:
            sock = _Socket(self.target, timeout=self.timeout, subs=0)
            try:
                sock.authenticate()
                self._req = sock
                v = self._call("GetVersion")
            except BaseException:
                sock.close()
                self._req = None
                raise
            self.info = ObsInfo(str(v.get("obsVersion", "")), str(v.get("obsWebSocketVersion", "")),
                                int(v.get("rpcVersion", 1)))
            log.info("connected to OBS %s (obs-websocket %s) at %s", self.info.obs_version,
                     self.info.websocket_version, self.target)
        if self._want_events and self._events is None:
            self._events = _EventThread(self)
            self._events.start_connected()
        assert self.info is not None
        return self.info

    def close(self) -> None:
        if self._events is not None:
            self._events.stop()
            self._events = None
        if self._req is not None:
            self._req.close()
            self._req = None

    # -- requests -------------------------------------------------------------------------------

    def request(self, request_type: str, data: dict | None = None) -> dict:
        """One obs-websocket request; returns ``responseData`` (``{}`` when there is none).

        If the request socket died while idle (OBS restarted, a dropped connection), it is reopened
        and the request sent once more. A connection lost while waiting for the answer is retried
        only for read-only ``Get*`` requests; for others it is reported (the request may have run).
        A session OBS closed on purpose (4011 kicked, 4009) is never reopened on our own."""
        for attempt in (1, 2):
            if self._req is None:
                self.connect()
            try:
                return self._call(request_type, data)
            except _SendFailed:
                self._drop_request_socket()
            except _LostWaiting:
                if not request_type.startswith("Get") or attempt == 2:
                    raise ObsNotRunning(f"Lost the connection to OBS at {self.target} during {request_type}.",
                                        hint="Is OBS still running?") from None
        raise ObsNotRunning(f"Lost the connection to OBS at {self.target}.", hint="Is OBS still running?")

    def _drop_request_socket(self) -> None:
        if self._req is not None:
            self._req.close()
            self._req = None

    def _call(self, request_type: str, data: dict | None = None) -> dict:
        sock = self._req
        assert sock is not None
        # Anything waiting on an idle request socket is news: a close frame (kicked?) or a dead peer.
        closed = sock.pending_close()
        if closed is not None:
            self._drop_request_socket()
            if closed.code in (4009, 4010, 4011):
                raise _closed_error(self.target, closed, during="")
            raise _SendFailed
        try:
            request_id = sock.send_request(request_type, data)
        except (websocket.WebSocketException, OSError) as e:
            raise _SendFailed from e
        deadline = self._clock() + self.timeout
        try:
            while True:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    raise TimeoutError
                sock.ws.settimeout(remaining)
                msg = sock.recv_message()
                d = msg.get("d", {})
                if msg.get("op") == 7 and d.get("requestId") == request_id:
                    break
                # a late answer to an earlier, timed-out request (or an event): not ours
        except (TimeoutError, websocket.WebSocketTimeoutException):
            # the socket may still deliver the late answer: start clean next time
            self._drop_request_socket()
            raise ObsTimeout(f"OBS at {self.target} did not answer {request_type} within {self.timeout:g} s.",
                             hint="OBS may be busy or frozen; check that it responds.") from None
        except _Closed as c:
            self._drop_request_socket()
            raise _closed_error(self.target, c, during=f"during {request_type}") from None
        except (websocket.WebSocketException, OSError, ValueError):
            self._drop_request_socket()
            raise _LostWaiting from None
        status = d.get("requestStatus", {})
        if not status.get("result"):
            raise _status_error(d)
        return d.get("responseData") or {}

    # -- stream service and output settings --------------------------------------------------------

    def _profile_get(self, category: str, name: str) -> str | None:
        return self.request("GetProfileParameter",
                            {"parameterCategory": category, "parameterName": name}).get("parameterValue")

    def _profile_set(self, category: str, name: str, value: str | None) -> None:
        """Set a profile parameter; ``None`` deletes it (OBS answers 600 when there is none: fine)."""
        try:
            self.request("SetProfileParameter",
                         {"parameterCategory": category, "parameterName": name, "parameterValue": value})
        except ObsRequestFailed as e:
            if not (value is None and e.code == CODE_RESOURCE_NOT_FOUND):
                raise

    def _output_plan(self) -> tuple[list[tuple[str, str, str | None, str]], list[ConfigChange]]:
        """The profile parameters to set ``[(category, name, new, note)]`` and the advisory rows."""
        video = self.request("GetVideoSettings")
        height = int(video.get("outputHeight") or 0)
        fps = float(video.get("fpsNumerator") or 30) / float(video.get("fpsDenominator") or 1)
        bitrate = BITRATE_1080P_KBPS if height >= 1080 else BITRATE_720P_KBPS
        keyint_frames = max(1, round(KEYFRAME_INTERVAL_S * fps))
        mode = self._profile_get("Output", "Mode") or "Simple"
        sets: list[tuple[str, str, str | None, str]] = []
        notes: list[ConfigChange] = []
        if mode != "Simple":
            encoder = self._profile_get("AdvOut", "Encoder") or "obs_x264"
            notes.append(ConfigChange(
                "Advanced output encoder settings", encoder, encoder,
                note="OBS is in Advanced output mode, whose encoder settings obs-websocket cannot change: "
                f"set {bitrate} kbps CBR, keyframe interval {KEYFRAME_INTERVAL_S} s"
                f"{', preset ' + X264_PRESET if 'x264' in encoder else ''} in OBS → Settings → Output.",
            ))
            return sets, notes
        encoder = self._profile_get("SimpleOutput", "StreamEncoder") or "x264"
        sets.append(("SimpleOutput", "VBitrate", str(bitrate), f"{height}p output"))
        if encoder in HARDWARE_SIMPLE_ENCODERS:
            notes.append(ConfigChange("SimpleOutput/StreamEncoder", encoder, encoder,
                                      note="hardware encoder kept; set its keyframe interval to 2 s in OBS"))
            return sets, notes
        if encoder != "x264":
            sets.append(("SimpleOutput", "StreamEncoder", "x264", "applies after OBS restarts"))
        sets.append(("SimpleOutput", "Preset", X264_PRESET, ""))
        custom = self._profile_get("SimpleOutput", "x264Settings") or ""
        opts = [o for o in custom.split() if not o.startswith(("keyint=", "keyint_sec="))]
        opts.append(f"keyint={keyint_frames}")
        sets.append(("SimpleOutput", "UseAdvanced", "true", "lets OBS use the x264 options below"))
        sets.append(("SimpleOutput", "x264Settings", " ".join(opts),
                     f"keyframe every {KEYFRAME_INTERVAL_S} s at {fps:g} fps"))
        return sets, notes

    def _current_service(self) -> tuple[str, dict[str, Any]]:
        s = self.request("GetStreamServiceSettings")
        return str(s.get("streamServiceType") or ""), dict(s.get("streamServiceSettings") or {})

    def plan_configure(self, server: str, key: str, *, output_settings: bool = True) -> list[ConfigChange]:
        """What ``configure`` would change, read from OBS; changes nothing. Keys are masked."""
        _register(key)
        service_type, settings = self._current_service()
        changes = [
            ConfigChange("stream service", service_type or "(none)", "rtmp_custom"),
            ConfigChange("stream server", str(settings.get("server") or "(none)"), server),
            ConfigChange("stream key", mask_key(settings.get("key")), mask_key(key),
                         changed=settings.get("key") != key),
        ]
        if output_settings:
            sets, notes = self._output_plan()
            for category, name, new, note in sets:
                old = self._profile_get(category, name)
                changes.append(ConfigChange(f"{category}/{name}", "(unset)" if old is None else old,
                                            new or "(unset)", note))
            changes.extend(notes)
        return changes

    def configure(self, server: str, key: str, *, output_settings: bool = True) -> ObsBackup:
        """Push ``rtmp_custom {server, key}`` (+ recommended output settings). Reads and returns the
        previous values first. Refuses while the stream output is active."""
        _register(key)
        if self.is_streaming():
            raise _output_active()
        service_type, settings = self._current_service()
        backup = ObsBackup.of(service_type, settings)
        sets: list[tuple[str, str, str | None, str]] = []
        if output_settings:
            sets, _ = self._output_plan()
            backup.profile = [[c, n, self._profile_get(c, n)] for c, n, _new, _note in sets]
        try:
            self.request("SetStreamServiceSettings", {
                "streamServiceType": "rtmp_custom",
                "streamServiceSettings": {"server": server, "key": key, "use_auth": False},
            })
        except ObsRequestFailed as e:
            raise (_output_active() if e.code == CODE_OUTPUT_RUNNING else e) from None
        for category, name, value, _note in sets:
            self._profile_set(category, name, value)
        log.info("configured OBS at %s: server %s, %d output setting(s)", self.target, server, len(sets))
        return backup

    def restore(self, backup: ObsBackup) -> None:
        """Put back what ``configure`` found."""
        if self.is_streaming():
            raise _output_active()
        _register(*backup.secrets.values())
        # OBS *merges* settings into a service of the same type, so anything configure wrote that the
        # old settings lack must be blanked explicitly, or our key would outlive the restore.
        settings = {"server": "", "key": "", "use_auth": False, **backup.service_settings, **backup.secrets}
        try:
            self.request("SetStreamServiceSettings",
                         {"streamServiceType": backup.service_type or "rtmp_common",
                          "streamServiceSettings": settings})
        except ObsRequestFailed as e:
            raise (_output_active() if e.code == CODE_OUTPUT_RUNNING else e) from None
        for category, name, value in backup.profile:
            self._profile_set(category, name, value)
        log.info("restored OBS settings at %s", self.target)

    def stream_service(self) -> tuple[str, dict[str, Any]]:
        """The current stream service type and settings (the dict holds the key: a secret)."""
        service_type, settings = self._current_service()
        _register(settings.get("key"))
        return service_type, settings

    # -- streaming --------------------------------------------------------------------------------

    def _note_state(self, state: str) -> None:
        with self._state_lock:
            self._states.append(state)
            self._state_lock.notify_all()

    @property
    def last_stream_state(self) -> str | None:
        with self._state_lock:
            return self._states[-1] if self._states else None

    def _states_since(self, index: int) -> list[str]:
        with self._state_lock:
            return self._states[index:]

    def is_streaming(self) -> bool:
        return bool(self.request("GetStreamStatus").get("outputActive"))

    def _wait_active(self, want: bool, timeout: float, since: int) -> str | None:
        """Wait until the output is (in)active. Events wake us at once; without an event socket we
        poll. Returns None, ``STOPPED`` (a start that failed: STARTING → STOPPED) or ``"timeout"``."""
        deadline = self._clock() + timeout
        while True:
            status = self.request("GetStreamStatus")
            if bool(status.get("outputActive")) == want and not (want and status.get("outputReconnecting")):
                return None
            states = self._states_since(since)
            if want and STARTING in states and STOPPED in states[states.index(STARTING):]:
                return STOPPED
            remaining = deadline - self._clock()
            if remaining <= 0:
                return "timeout"
            with self._state_lock:
                if len(self._states) == since + len(states):
                    self._state_lock.wait(min(remaining, 0.1 if self._events is None else 0.5))

    def start_stream(self, timeout: float = 15.0) -> None:
        """StartStream, then wait for the output to be connected (StartStream returns at once)."""
        since = len(self._states_since(0))
        try:
            self.request("StartStream")
        except ObsRequestFailed as e:
            if e.code == CODE_OUTPUT_RUNNING:
                return  # already streaming: that is what the caller wants
            raise
        failure = self._wait_active(True, timeout, since)
        if failure is None:
            return
        _, settings = self.stream_service()
        server = settings.get("server") or "(none)"
        why = "stopped while connecting" if failure == STOPPED else f"did not connect within {timeout:g} s"
        if failure != STOPPED:
            with contextlib.suppress(ObsError):
                self.request("StopStream")
        raise ObsStartFailed(
            f"OBS started streaming to {server} but {why}.",
            hint="Likely causes: a wrong server address, the stream key was rejected (expired or rotated), "
            "or the call is not provisioned — run `streamdesk provision` and `streamdesk obs configure`.",
        )

    def stop_stream(self, timeout: float = 10.0) -> None:
        since = len(self._states_since(0))
        try:
            self.request("StopStream")
        except ObsRequestFailed as e:
            if e.code == CODE_OUTPUT_NOT_RUNNING:
                return  # already stopped
            raise
        if self._wait_active(False, timeout, since) is not None:
            raise ObsTimeout(f"OBS at {self.target} did not stop streaming within {timeout:g} s.",
                             hint="Stop it in OBS.")

    def health(self, *, with_stats: bool = True) -> StreamHealth:
        status = self.request("GetStreamStatus")
        stats = self.request("GetStats") if with_stats else None
        return self._meter.sample(status, stats)

    # -- events (called from the event thread) --------------------------------------------------------

    def _emit(self, event: ObsEvent) -> None:
        if event.kind == "stream_state":
            self._note_state(event.state)
        elif event.kind in ("disconnected", "reconnected", "exit"):
            with self._state_lock:
                self._state_lock.notify_all()
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a caller's bug must not kill the event thread
                log.exception("OBS event callback failed")


class _SendFailed(Exception):
    """The request never left: the socket was already dead (safe to reconnect and resend)."""


class _LostWaiting(Exception):
    """The connection broke after the request was sent (it may or may not have run)."""


def _output_active() -> ObsOutputActive:
    return ObsOutputActive("OBS is streaming right now and refuses to change its stream settings while live.",
                           hint="Stop the stream first (`streamdesk obs stop`), then try again.")


class _EventThread:
    """Owns the event socket: reads events, probes liveness, reconnects with backoff.

    Liveness: when nothing arrives for ``probe_interval`` seconds it sends a ``GetVersion`` on this
    socket; if the next ``probe_interval`` passes in silence too, the socket is dead even though no
    close came (a peer that vanished, a frozen server) and we reconnect."""

    def __init__(self, controller: ObsController) -> None:
        self.c = controller
        self._stop = threading.Event()
        self._sock: _Socket | None = None
        self._thread = threading.Thread(target=self._run, name=f"obs-events-{controller.target}", daemon=True)

    def _open(self) -> _Socket:
        sock = _Socket(self.c.target, timeout=self.c.timeout, subs=EVENT_SUBSCRIPTIONS)
        try:
            sock.authenticate()
        except BaseException:
            sock.close()
            raise
        return sock

    def start_connected(self) -> None:
        self._sock = self._open()  # errors surface to connect()'s caller
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            with contextlib.suppress(Exception):
                self._sock.ws.abort()  # shutdown(): wakes the reader blocked in recv at once
            self._sock.close()
        if threading.current_thread() is not self._thread and self._thread.is_alive():
            self._thread.join(timeout=self.c.timeout + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            reason, final = self._read_until_broken()
            if self._stop.is_set():
                return
            self.c._emit(ObsEvent("disconnected", detail=reason, final=final))
            if final or not self._reconnect():
                return

    def _read_until_broken(self) -> tuple[str, bool]:
        sock = self._sock
        assert sock is not None
        probe_sent = False
        sock.ws.settimeout(self.c.probe_interval)
        while not self._stop.is_set():
            try:
                msg = sock.recv_message()
            except (TimeoutError, websocket.WebSocketTimeoutException):
                if probe_sent:
                    sock.close()
                    return f"OBS at {self.c.target} stopped answering (no reply to a liveness probe).", False
                try:
                    sock.send_request("GetVersion")
                except (websocket.WebSocketException, OSError):
                    return f"Lost the connection to OBS at {self.c.target}.", False
                probe_sent = True
                continue
            except _Closed as c:
                err = _closed_error(self.c.target, c, during="")
                return err.one_line(), isinstance(err, ObsKicked | ObsAuthFailed)
            except (websocket.WebSocketException, OSError, ValueError):
                return f"Lost the connection to OBS at {self.c.target}.", False
            probe_sent = False
            if msg.get("op") == 5:
                self._dispatch(msg.get("d", {}))
        return "closed", True

    def _dispatch(self, d: dict) -> None:
        event_type, data = d.get("eventType"), d.get("eventData") or {}
        if event_type == "StreamStateChanged":
            self.c._emit(ObsEvent("stream_state", str(data.get("outputState", ""))))
        elif event_type == "ExitStarted":
            self.c._emit(ObsEvent("exit"))

    def _reconnect(self) -> bool:
        """Back off and retry until connected (True), told to stop, or refused for good (False)."""
        attempt = 0
        while not self._stop.is_set():
            delay = self.c.backoff[min(attempt, len(self.c.backoff) - 1)]
            if self._stop.wait(delay):
                return False
            attempt += 1
            try:
                sock = self._open()
            except (ObsAuthFailed, ObsKicked, ObsUnsupported) as e:
                self.c._emit(ObsEvent("disconnected", detail=e.one_line(), final=True))
                return False
            except ObsError:
                continue
            if self._stop.is_set():
                sock.close()
                return False
            self._sock = sock
            self.c._emit(ObsEvent("reconnected", detail=f"after {attempt} attempt(s)"))
            self._resync_stream_state()
            return True
        return False

    def _resync_stream_state(self) -> None:
        """Events missed while disconnected: report the output's state as it is now."""
        sock = self._sock
        assert sock is not None
        try:
            request_id = sock.send_request("GetStreamStatus")
            sock.ws.settimeout(self.c.timeout)
            while True:
                msg = sock.recv_message()
                d = msg.get("d", {})
                if msg.get("op") == 5:
                    self._dispatch(d)
                elif msg.get("op") == 7 and d.get("requestId") == request_id:
                    break
        except (_Closed, TimeoutError, websocket.WebSocketException, OSError, ValueError):
            return  # the read loop will notice a broken socket
        active = bool((d.get("responseData") or {}).get("outputActive"))
        last = self.c.last_stream_state
        was_active = last in (STARTING, STARTED, RECONNECTING, RECONNECTED)
        if last is not None and active != was_active:
            self.c._emit(ObsEvent("stream_state", STARTED if active else STOPPED, detail="after reconnect"))

