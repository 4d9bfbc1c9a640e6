"""OBS controller over obs-websocket v5: connect, one-click configure, start/stop, health, events.

Built on obsws-python's connection (``obsws_python.baseclient.ObsClient``: websocket connect and
``Hello``), with two things done here because the library cannot: Identify and every read keep
the websocket *close code* (4009 wrong password, 4010 unsupported RPC, 4011 kicked — the library
turns all of them into one "failed to identify" error), and responses are matched to their
request id (the library reads "the next message", which desynchronises after a timeout).

Parts: ``obs_errors`` (what can go wrong, in words), ``obs_socket`` (one websocket session),
``obs_events`` (the event socket: events, liveness probe, reconnect), ``obs_health`` (status-bar
math). Import everything from here.

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
  (the x264 preset) are read at every stream start, so ``SetProfileParameter`` takes effect on the
  next start. (Per OBS's source, hardware encoders read ``NVENCPreset``/``QSVPreset``/``AMDPreset``
  instead; there was no hardware encoder to check that on.) Simple mode has
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

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websocket

from streamdesk.core.keys import mask_key
from streamdesk.core.obs_errors import (
    FINAL_CLOSE_CODES,
    ObsAuthFailed,
    ObsError,
    ObsKicked,
    ObsNotRunning,
    ObsOutputActive,
    ObsRequestFailed,
    ObsStartFailed,
    ObsTimeout,
    ObsUnsupported,
    closed_error,
    output_active,
)
from streamdesk.core.obs_events import (
    EVENT_SUBSCRIPTIONS,
    RECONNECTED,
    RECONNECTING,
    STARTED,
    STARTING,
    STOPPED,
    STOPPING,
    EventThread,
    ObsEvent,
)
from streamdesk.core.obs_health import HealthMeter, StreamHealth
from streamdesk.core.obs_socket import Closed, ObsSocket, register_secrets

__all__ = [  # the public OBS API lives here; the other obs_* modules are its parts
    "EVENT_SUBSCRIPTIONS", "RECONNECTED", "RECONNECTING", "STARTED", "STARTING", "STOPPED", "STOPPING",
    "ConfigChange", "EventCallback", "ObsAuthFailed", "ObsBackup", "ObsController", "ObsError", "ObsEvent",
    "ObsInfo", "ObsKicked", "ObsNotRunning", "ObsOutputActive", "ObsRequestFailed", "ObsStartFailed",
    "ObsTarget", "ObsTimeout", "ObsUnsupported", "StreamHealth", "mask_key",
]

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4455

# obs-websocket request status codes we act on
CODE_OUTPUT_RUNNING = 500
CODE_OUTPUT_NOT_RUNNING = 501
CODE_RESOURCE_NOT_FOUND = 600

# Recommended output settings for a GetStream RTMPS ingest (docs/obs.md, "Output settings")
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


def _status_error(d: dict[str, Any]) -> ObsRequestFailed:
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
        self._req: ObsSocket | None = None
        self._events: EventThread | None = None
        self._meter = HealthMeter(clock)
        self._state_lock = threading.Condition()
        self._states: list[str] = []  # every StreamStateChanged state seen, in order
        # Set when OBS closed a session for good (4011 kicked, 4009, 4010): every request fails with
        # it until the caller connects again on purpose. Written by the event thread too.
        self._gone: ObsError | None = None
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
        """Open the request socket (and the event socket); raise a classified ``ObsError``.
        Also the explicit way back after OBS closed the session for good (kicked)."""
        self._gone = None
        if self._req is not None and self._req.pending_close() is not None:
            self._drop_request_socket()  # closed or dead while idle (e.g. kicked): open a new one
        if self._req is None:
            sock = ObsSocket(self.target, timeout=self.timeout, subs=0)
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
        if self._want_events and (self._events is None or not self._events.alive):
            if self._events is not None:
                self._events.stop()
            self._events = EventThread(self)
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

    def request(self, request_type: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """One obs-websocket request; returns ``responseData`` (``{}`` when there is none).

        If the request socket died while idle (OBS restarted, a dropped connection), it is reopened
        and the request sent once more. A connection lost while waiting for the answer is retried
        only for read-only ``Get*`` requests; for others it is reported (the request may have run).
        A session OBS closed on purpose (4011 kicked, 4009) is never reopened on our own."""
        for attempt in (1, 2):
            gone = self._gone
            if gone is not None:  # never reconnect on our own after OBS closed us for good
                raise type(gone)(gone.message, hint=gone.hint)
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

    def _abandon_request_socket(self) -> None:
        """Event thread, when OBS is going away: shut the idle request socket down now. Nobody reads
        it while idle, so OBS would wait 5 s for its close handshake before it can quit. The owner
        thread notices on its next request and opens a new one."""
        sock = self._req
        if sock is not None:
            with contextlib.suppress(Exception):
                sock.ws.abort()

    def _drop_request_socket(self) -> None:
        if self._req is not None:
            self._req.close()
            self._req = None

    def _call(self, request_type: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        sock = self._req
        assert sock is not None
        # Anything waiting on an idle request socket is news: a close frame (kicked?) or a dead peer.
        closed = sock.pending_close()
        if closed is not None:
            self._drop_request_socket()
            if closed.code in FINAL_CLOSE_CODES:
                self._gone = closed_error(self.target, closed.code)
                raise self._gone
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
        except Closed as c:
            self._drop_request_socket()
            err = closed_error(self.target, c.code, during=f"during {request_type}")
            if c.code in FINAL_CLOSE_CODES:
                self._gone = err
            raise err from None
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
        register_secrets(key)
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
        register_secrets(key)
        if self.is_streaming():
            raise output_active()
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
            raise (output_active() if e.code == CODE_OUTPUT_RUNNING else e) from None
        for category, name, value, _note in sets:
            self._profile_set(category, name, value)
        log.info("configured OBS at %s: server %s, %d output setting(s)", self.target, server, len(sets))
        return backup

    def restore(self, backup: ObsBackup) -> None:
        """Put back what ``configure`` found."""
        if self.is_streaming():
            raise output_active()
        register_secrets(*backup.secrets.values())
        # OBS *merges* settings into a service of the same type, so anything configure wrote that the
        # old settings lack must be blanked explicitly, or our key would outlive the restore.
        settings = {"server": "", "key": "", "use_auth": False, **backup.service_settings, **backup.secrets}
        try:
            self.request("SetStreamServiceSettings",
                         {"streamServiceType": backup.service_type or "rtmp_common",
                          "streamServiceSettings": settings})
        except ObsRequestFailed as e:
            raise (output_active() if e.code == CODE_OUTPUT_RUNNING else e) from None
        for category, name, value in backup.profile:
            self._profile_set(category, name, value)
        log.info("restored OBS settings at %s", self.target)

    def stream_service(self) -> tuple[str, dict[str, Any]]:
        """The current stream service type and settings (the dict holds the key: a secret)."""
        service_type, settings = self._current_service()
        register_secrets(settings.get("key"))
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


