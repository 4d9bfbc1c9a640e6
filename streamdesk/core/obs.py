"""OBS controller over obs-websocket v5: connect, one-click configure, start/stop, health, events.

Built on obsws-python's connection (``obsws_python.baseclient.ObsClient``: websocket connect and
``Hello``; the internals used are listed in ``obs_socket.OBSWS_INTERNALS``), with two things done
here because the library cannot: Identify and every read keep
the websocket *close code* (4009 wrong password, 4010 unsupported RPC, 4011 kicked — the library
turns all of them into one "failed to identify" error), and responses are matched to their
request id (the library reads "the next message", which desynchronises after a timeout).

Parts: ``obs_errors`` (what can go wrong, in words), ``obs_frames`` (checked frames and numbers),
``obs_socket`` (one websocket session),
``obs_events`` (the event socket: events, liveness probe, reconnect), ``obs_health`` (status-bar
math). Import everything from here.

Threads: ``ObsController`` is NOT thread-safe. One thread owns it and makes every call (the GUI
gives it one worker, ``ui.tasks.ObsWorker``). Besides it there is streamdesk's own
``obs_events.EventThread`` (not an obsws-python thread: no obsws-python client or callback is used),
which owns the event socket (events + liveness probe + reconnect) and calls ``on_event`` from that
thread, and one process-wide deadline thread (``obs_socket._Watchdog``) that only shuts sockets down.
A one-click configure opens no socket: it runs on the owner's request socket, as one RequestBatch
of reads and one of writes. Every exchange has a total deadline (``timeout``).

Hostile input: every frame and every number read from OBS is checked (``obs_frames``); anything
malformed or implausible is an ``ObsMalformed`` (one sentence), never an unexpected error. The
facts this module relies on about OBS 29 / obs-websocket 5.1 are collected in docs/obs.md.

Secrets: obsws-python logs the password at INFO and request payloads (the stream key) at DEBUG,
and its ``repr`` shows the password. Its logger is raised to WARNING here (and by
``secrets.setup_logging``), the password and key are registered with the redaction filter when
used, our own logs never include payloads, and our reprs hide both.

Where OBS 29 keeps the output settings, when each takes effect and what configure therefore sets in
Simple and Advanced output mode: docs/obs.md ("What configure sets").
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

from streamdesk.core import obs_frames
from streamdesk.core.keys import mask_key
from streamdesk.core.obs_errors import (
    FINAL_CLOSE_CODES,
    ObsAuthFailed,
    ObsError,
    ObsKicked,
    ObsMalformed,
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
from streamdesk.core.obs_socket import Closed, DeadlinePassed, ObsSocket, register_secrets

__all__ = [  # the public OBS API lives here; the other obs_* modules are its parts
    "EVENT_SUBSCRIPTIONS", "RECONNECTED", "RECONNECTING", "STARTED", "STARTING", "STOPPED", "STOPPING",
    "ConfigChange", "EventCallback", "ObsAuthFailed", "ObsBackup", "ObsController", "ObsError", "ObsEvent",
    "ObsInfo", "ObsKicked", "ObsMalformed", "ObsNotRunning", "ObsOutputActive", "ObsRequestFailed",
    "ObsStartFailed", "ObsTarget", "ObsTimeout", "ObsUnsupported", "StreamHealth", "mask_key",
]

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4455

# obs-websocket request status codes we act on
CODE_OUTPUT_RUNNING = 500
CODE_OUTPUT_NOT_RUNNING = 501
CODE_RESOURCE_NOT_FOUND = 600

# Recommended output settings (docs/obs.md, "What configure sets")
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


# Every profile parameter the plan reads or may write (read in one batch whatever the mode).
PLAN_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("Output", "Mode"), ("AdvOut", "Encoder"), ("SimpleOutput", "StreamEncoder"),
    ("SimpleOutput", "VBitrate"), ("SimpleOutput", "Preset"), ("SimpleOutput", "UseAdvanced"),
    ("SimpleOutput", "x264Settings"),
)


@dataclass(frozen=True)
class _Snapshot:
    """What OBS had when configure/plan/restore read it (one batch), numbers checked."""

    streaming: bool
    service_type: str
    service: dict[str, Any] = field(repr=False)
    height: int
    fps: float
    params: dict[tuple[str, str], str | None]


def _fps(video: dict[str, Any]) -> float:
    num = obs_frames.number(video, "fpsNumerator", 1, 1_000_000, default=30)
    den = obs_frames.number(video, "fpsDenominator", 1, 1_000_000, default=1)
    fps = num / den
    if not 1 <= fps <= 1000:
        raise ObsMalformed(f"OBS reported a frame rate of {fps:g} fps, outside the plausible range.")
    return fps


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


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
            v = self._open_request_socket()
            try:
                rpc = int(obs_frames.number(v, "rpcVersion", 1, 999, default=1, integer=True))
                self.info = ObsInfo(obs_frames.text(v, "obsVersion"),
                                    obs_frames.text(v, "obsWebSocketVersion"), rpc)
            except ObsMalformed as e:
                self.close()
                raise self._located(e) from None
            log.info("connected to OBS %s (obs-websocket %s) at %s", self.info.obs_version,
                     self.info.websocket_version, self.target)
        if self._want_events and (self._events is None or not self._events.alive):
            if self._events is not None:
                self._events.stop()
            self._events = EventThread(self)
            self._events.start_connected()
        assert self.info is not None
        return self.info

    def _open_request_socket(self) -> dict[str, Any]:
        """A fresh, identified request socket; returns GetVersion's answer. A socket lost between
        Identified and that first answer is opened once more, then reported as OBS gone (never the
        internal send/wait signals: they only mean something inside the retry loops)."""
        for attempt in (1, 2):
            sock = ObsSocket(self.target, timeout=self.timeout, subs=0)
            try:
                sock.authenticate()
                self._req = sock
                return self._call("GetVersion")
            except (_SendFailed, _LostWaiting):
                sock.close()
                self._req = None
                if attempt == 2:
                    raise ObsNotRunning(f"Lost the connection to OBS at {self.target} while connecting.",
                                        hint="Is OBS still running?") from None
            except BaseException:
                sock.close()
                self._req = None
                raise
        raise AssertionError("unreachable")

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
            sock.abort()

    def _drop_request_socket(self) -> None:
        if self._req is not None:
            self._req.close()
            self._req = None

    def _located(self, e: ObsMalformed, during: str = "", hint: str = "") -> ObsMalformed:
        """The same malformed-input sentence, saying which OBS sent it."""
        return ObsMalformed(f"{e.message.rstrip('.')} (OBS at {self.target}{during}).", hint=hint)

    def _call(self, request_type: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._exchange(request_type, lambda sock: sock.send_request(request_type, data),
                                  obs_frames.OP_REQUEST_RESPONSE)
        try:
            res = obs_frames.result(response)
        except ObsMalformed as e:
            raise self._located(e) from None
        if not res.ok:
            raise ObsRequestFailed(res.request_type, res.code, res.comment)
        return res.data

    def _exchange(self, what: str, send: Callable[[ObsSocket], str], answer_op: int) -> dict[str, Any]:
        """Send on the request socket and wait (within ``timeout`` in total) for the answer with the
        same request id; returns its ``d``. Frames that are not ours are skipped; a malformed one
        is an ``ObsMalformed`` and the socket is dropped (its stream can no longer be trusted)."""
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
            request_id = send(sock)
        except (websocket.WebSocketException, OSError) as e:
            raise _SendFailed from e
        try:
            with sock.deadline(self.timeout):
                sock.settimeout(self.timeout)
                while True:
                    msg = sock.recv_message()
                    d: dict[str, Any] = msg["d"]
                    if msg["op"] == answer_op and d.get("requestId") == request_id:
                        return d
                    # a late answer to an earlier, timed-out request (or an event): not ours
        except (TimeoutError, websocket.WebSocketTimeoutException, DeadlinePassed):
            # the socket may still deliver the late answer: start clean next time
            self._drop_request_socket()
            raise ObsTimeout(f"OBS at {self.target} did not answer {what} within {self.timeout:g} s.",
                             hint="OBS may be busy or frozen; check that it responds.") from None
        except ObsMalformed as e:
            self._drop_request_socket()
            raise self._located(e, f", during {what}",
                                hint="Is this port really OBS's WebSocket server?") from None
        except Closed as c:
            self._drop_request_socket()
            err = closed_error(self.target, c.code, during=f"during {what}")
            if c.code in FINAL_CLOSE_CODES:
                self._gone = err
            raise err from None
        except (websocket.WebSocketException, OSError, ValueError):
            self._drop_request_socket()
            raise _LostWaiting from None

    def batch(self, requests: list[tuple[str, dict[str, Any] | None]], *,
              halt_on_failure: bool = True) -> list[obs_frames.Result]:
        """Several requests in one ``RequestBatch`` round trip, run by OBS one after the other.

        Returns one ``Result`` per request OBS ran (with ``halt_on_failure`` it stops after the
        first failure, so there may be fewer). Reconnects and retries like ``request``: a batch of
        ``Get*`` requests only is resent after a connection lost while waiting; one with writes is not."""
        if not requests:
            return []
        names = ", ".join(sorted({r for r, _ in requests}))
        what = f"a batch of {len(requests)} request(s) ({names})"
        read_only = all(r.startswith("Get") for r, _ in requests)
        halt = halt_on_failure
        for attempt in (1, 2):
            gone = self._gone
            if gone is not None:
                raise type(gone)(gone.message, hint=gone.hint)
            if self._req is None:
                self.connect()
            try:
                d = self._exchange(what, lambda sock: sock.send_batch(requests, halt_on_failure=halt),
                                   obs_frames.OP_REQUEST_BATCH_RESPONSE)
            except _SendFailed:
                self._drop_request_socket()
                continue
            except _LostWaiting:
                if not read_only or attempt == 2:
                    raise ObsNotRunning(f"Lost the connection to OBS at {self.target} during {what}.",
                                        hint="Is OBS still running?") from None
                continue
            try:
                results = obs_frames.batch_results(d, len(requests))
                for res, (request_type, _data) in zip(results, requests, strict=False):
                    if res.request_type != request_type:
                        got = obs_frames.shown(res.request_type)
                        raise ObsMalformed(f"OBS answered a batch out of order ({got} where {request_type} "
                                           "was sent).")
                if not halt_on_failure and len(results) != len(requests):
                    raise ObsMalformed(f"OBS answered {len(results)} of the {len(requests)} requests "
                                       "in a batch.")
            except ObsMalformed as e:
                self._drop_request_socket()
                raise self._located(e) from None
            return results
        raise ObsNotRunning(f"Lost the connection to OBS at {self.target}.", hint="Is OBS still running?")

    # -- stream service and output settings --------------------------------------------------------
    #
    # Configure is two round trips on the one request socket: a RequestBatch that reads everything the
    # plan depends on (stream status, service, video, every profile parameter it may touch), then one
    # RequestBatch with haltOnFailure that writes. The plan is computed from the snapshot in between.

    def _snapshot(self) -> _Snapshot:
        """Everything configure/plan/restore decide from, read in one batch."""
        reads: list[tuple[str, dict[str, Any] | None]] = [
            ("GetStreamStatus", None), ("GetStreamServiceSettings", None), ("GetVideoSettings", None)]
        reads += [("GetProfileParameter", {"parameterCategory": c, "parameterName": n})
                  for c, n in PLAN_PARAMETERS]
        results = self.batch(reads, halt_on_failure=False)
        for res in results:
            if not res.ok:
                raise ObsRequestFailed(res.request_type, res.code, res.comment)
        status, service, video = results[0].data, results[1].data, results[2].data
        try:
            params: dict[tuple[str, str], str | None] = {}
            for (category, name), res in zip(PLAN_PARAMETERS, results[3:], strict=True):
                value = res.data.get("parameterValue")
                if value is not None and not isinstance(value, str):
                    raise ObsMalformed(f"OBS reported the profile parameter {category}/{name} "
                                       "as a non-string.")
                params[(category, name)] = value
            return _Snapshot(
                streaming=obs_frames.flag(status, "outputActive"),
                service_type=obs_frames.text(service, "streamServiceType"),
                service=obs_frames.obj(service, "streamServiceSettings"),
                height=int(obs_frames.number(video, "outputHeight", 0, 16384, default=0, integer=True)),
                fps=_fps(video),
                params=params,
            )
        except ObsMalformed as e:
            raise self._located(e) from None

    @staticmethod
    def _output_plan(snap: _Snapshot) -> tuple[list[tuple[str, str, str | None, str]], list[ConfigChange]]:
        """The profile parameters to set ``[(category, name, new, note)]`` and the advisory rows."""
        height, fps = snap.height, snap.fps
        bitrate = BITRATE_1080P_KBPS if height >= 1080 else BITRATE_720P_KBPS
        keyint_frames = max(1, round(KEYFRAME_INTERVAL_S * fps))
        mode = snap.params[("Output", "Mode")] or "Simple"
        sets: list[tuple[str, str, str | None, str]] = []
        notes: list[ConfigChange] = []
        if mode != "Simple":
            encoder = snap.params[("AdvOut", "Encoder")] or "obs_x264"
            notes.append(ConfigChange(
                "Advanced output encoder settings", encoder, encoder,
                note="OBS is in Advanced output mode, whose encoder settings obs-websocket cannot change: "
                f"set {bitrate} kbps CBR, keyframe interval {KEYFRAME_INTERVAL_S} s"
                f"{', preset ' + X264_PRESET if 'x264' in encoder else ''} in OBS → Settings → Output.",
            ))
            return sets, notes
        encoder = snap.params[("SimpleOutput", "StreamEncoder")] or "x264"
        sets.append(("SimpleOutput", "VBitrate", str(bitrate), f"{height}p output"))
        if encoder in HARDWARE_SIMPLE_ENCODERS:
            notes.append(ConfigChange("SimpleOutput/StreamEncoder", encoder, encoder,
                                      note="hardware encoder kept; set its keyframe interval to 2 s in OBS"))
            return sets, notes
        if encoder != "x264":
            sets.append(("SimpleOutput", "StreamEncoder", "x264", "applies after OBS restarts"))
        sets.append(("SimpleOutput", "Preset", X264_PRESET, ""))
        custom = snap.params[("SimpleOutput", "x264Settings")] or ""
        opts = [o for o in custom.split() if not o.startswith(("keyint=", "keyint_sec="))]
        opts.append(f"keyint={keyint_frames}")
        sets.append(("SimpleOutput", "UseAdvanced", "true", "lets OBS use the x264 options below"))
        sets.append(("SimpleOutput", "x264Settings", " ".join(opts),
                     f"keyframe every {KEYFRAME_INTERVAL_S} s at {fps:g} fps"))
        return sets, notes

    def _current_service(self) -> tuple[str, dict[str, Any]]:
        s = self.request("GetStreamServiceSettings")
        try:
            return obs_frames.text(s, "streamServiceType"), dict(obs_frames.obj(s, "streamServiceSettings"))
        except ObsMalformed as e:
            raise self._located(e) from None

    @staticmethod
    def _plan_rows(snap: _Snapshot, server: str, key: str, output_settings: bool) -> list[ConfigChange]:
        settings = snap.service
        changes = [
            ConfigChange("stream service", snap.service_type or "(none)", "rtmp_custom"),
            ConfigChange("stream server", str(settings.get("server") or "(none)"), server),
            ConfigChange("stream key", mask_key(_str_or_none(settings.get("key"))), mask_key(key),
                         changed=settings.get("key") != key),
        ]
        if output_settings:
            sets, notes = ObsController._output_plan(snap)
            for category, name, new, note in sets:
                old = snap.params[(category, name)]
                changes.append(ConfigChange(f"{category}/{name}", "(unset)" if old is None else old,
                                            new or "(unset)", note))
            changes.extend(notes)
        return changes

    def plan_configure(self, server: str, key: str, *, output_settings: bool = True) -> list[ConfigChange]:
        """What ``configure`` would change, read from OBS in one batch; changes nothing. Keys are masked."""
        register_secrets(key)
        snap = self._snapshot()
        register_secrets(_str_or_none(snap.service.get("key")))
        return self._plan_rows(snap, server, key, output_settings)

    def configure(self, server: str, key: str, *, output_settings: bool = True) -> ObsBackup:
        """Push ``rtmp_custom {server, key}`` (+ recommended output settings). Reads the previous values
        first (one batch), returns them as the backup, then writes everything in one halting batch.
        Refuses while the stream output is active."""
        return self.configure_planned(server, key, output_settings=output_settings)[0]

    def configure_planned(self, server: str, key: str, *, output_settings: bool = True,
                          before_write: Callable[[ObsBackup], None] | None = None,
                          ) -> tuple[ObsBackup, list[ConfigChange]]:
        """``configure``, also returning the rows it changed (the plan, from the same snapshot).
        ``before_write`` gets the backup before anything in OBS changes (to keep the undo first:
        if keeping it fails, OBS is left as it was)."""
        register_secrets(key)
        snap = self._snapshot()
        register_secrets(*(str(v) for k, v in snap.service.items() if k in SECRET_SERVICE_FIELDS and v))
        if snap.streaming:
            raise output_active()
        backup = ObsBackup.of(snap.service_type, snap.service)
        sets: list[tuple[str, str, str | None, str]] = []
        if output_settings:
            sets, _ = self._output_plan(snap)
            backup.profile = [[c, n, snap.params[(c, n)]] for c, n, _new, _note in sets]
        # Only what differs is written: OBS saves a file per write, and an unchanged value needs none.
        current = snap.service
        writes: list[tuple[str, dict[str, Any] | None]] = []
        if not (snap.service_type == "rtmp_custom" and current.get("server") == server
                and current.get("key") == key and not current.get("use_auth")):
            writes.append(("SetStreamServiceSettings", {
                "streamServiceType": "rtmp_custom",
                "streamServiceSettings": {"server": server, "key": key, "use_auth": False},
            }))
        writes += [("SetProfileParameter", {"parameterCategory": c, "parameterName": n, "parameterValue": v})
                   for c, n, v, _note in sets if snap.params[(c, n)] != v]
        if before_write is not None:
            before_write(backup)
        self._write_all(writes)
        log.info("configured OBS at %s: server %s, %d change(s) written", self.target, server, len(writes))
        return backup, self._plan_rows(snap, server, key, output_settings)

    def _write_all(self, writes: list[tuple[str, dict[str, Any] | None]]) -> None:
        """One halting batch; the first failure (if any) is raised. A refusal of the stream service
        change because the output runs is ``ObsOutputActive`` (nothing after it ran)."""
        results = self.batch(writes, halt_on_failure=True)
        for res in results:
            if not res.ok:
                if res.request_type == "SetStreamServiceSettings" and res.code == CODE_OUTPUT_RUNNING:
                    raise output_active()
                raise ObsRequestFailed(res.request_type, res.code, res.comment)
        if len(results) != len(writes):
            raise ObsMalformed(f"OBS ran {len(results)} of the {len(writes)} changes in a batch without "
                               f"reporting a failure (OBS at {self.target}).")

    def restore(self, backup: ObsBackup) -> None:
        """Put back what ``configure`` found: one batch to read, one halting batch to write."""
        register_secrets(*backup.secrets.values())
        snap = self._snapshot()
        if snap.streaming:
            raise output_active()
        # OBS *merges* settings into a service of the same type, so anything configure wrote that the
        # old settings lack must be blanked explicitly, or our key would outlive the restore.
        settings = {"server": "", "key": "", "use_auth": False, **backup.service_settings, **backup.secrets}
        writes: list[tuple[str, dict[str, Any] | None]] = [("SetStreamServiceSettings", {
            "streamServiceType": backup.service_type or "rtmp_common", "streamServiceSettings": settings})]
        for category, name, value in backup.profile:
            if (category, name) in snap.params and snap.params[(category, name)] == value:
                continue  # already so (and deleting an unset one is refused with 600, halting the batch)
            writes.append(("SetProfileParameter",
                           {"parameterCategory": category, "parameterName": name, "parameterValue": value}))
        self._write_all(writes)
        log.info("restored OBS settings at %s", self.target)

    def stream_service(self) -> tuple[str, dict[str, Any]]:
        """The current stream service type and settings (the dict holds the key: a secret)."""
        service_type, settings = self._current_service()
        register_secrets(_str_or_none(settings.get("key")))
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

    def _stream_status(self) -> tuple[bool, bool]:
        """(outputActive, outputReconnecting), checked."""
        status = self.request("GetStreamStatus")
        try:
            return obs_frames.flag(status, "outputActive"), obs_frames.flag(status, "outputReconnecting")
        except ObsMalformed as e:
            raise self._located(e) from None

    def is_streaming(self) -> bool:
        return self._stream_status()[0]

    def _wait_active(self, want: bool, timeout: float, since: int) -> str | None:
        """Wait until the output is (in)active. Events wake us at once; without an event socket we
        poll. Returns None, ``STOPPED`` (a start that failed: STARTING → STOPPED) or ``"timeout"``."""
        deadline = self._clock() + timeout
        while True:
            active, reconnecting = self._stream_status()
            if active == want and not (want and reconnecting):
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
        if with_stats:
            results = self.batch([("GetStreamStatus", None), ("GetStats", None)], halt_on_failure=False)
            for res in results:
                if not res.ok:
                    raise ObsRequestFailed(res.request_type, res.code, res.comment)
            status, stats = results[0].data, results[1].data
        else:
            status, stats = self.request("GetStreamStatus"), None
        try:
            return self._meter.sample(status, stats)
        except ObsMalformed as e:  # a gap in the health series, said in one sentence
            raise self._located(e) from None

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


