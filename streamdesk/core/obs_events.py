"""obs-websocket events for the controller: the event socket, its liveness probe and reconnects.

``EventThread`` owns the second socket (Identify with ``Outputs | General`` subscriptions), turns
``StreamStateChanged`` and ``ExitStarted`` into ``ObsEvent``s for the controller's ``on_event``
callback (called on this thread), and reconnects with backoff when the socket breaks — except after
a close OBS meant (4011 kicked, 4009, 4010). Subscriptions are part of Identify, so every reconnect
restores them; events missed meanwhile are made up by reading the stream status once."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import websocket

from streamdesk.core import obs_frames
from streamdesk.core.obs_errors import (
    FINAL_CLOSE_CODES,
    ObsAuthFailed,
    ObsError,
    ObsKicked,
    ObsMalformed,
    ObsUnsupported,
    closed_error,
)
from streamdesk.core.obs_socket import Closed, DeadlinePassed, ObsSocket

if TYPE_CHECKING:
    from streamdesk.core.obs import ObsController

log = logging.getLogger(__name__)

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
# obs-websocket 5.1 also reports PAUSED/RESUMED (recording only) and unknown future states: not ours.
OUTPUT_STATES = frozenset({STARTING, STARTED, STOPPING, STOPPED, RECONNECTING, RECONNECTED})


@dataclass(frozen=True)
class ObsEvent:
    """``kind``: ``stream_state`` (``state`` = raw OBS_WEBSOCKET_OUTPUT_*), ``exit`` (OBS is
    shutting down), ``disconnected`` (``detail`` says why; reconnecting unless ``final``),
    ``reconnected``."""

    kind: str
    state: str = ""
    detail: str = ""
    final: bool = False


class EventThread:
    """Owns the event socket: reads events, probes liveness, reconnects with backoff.

    Liveness: when nothing arrives for ``probe_interval`` seconds it sends a ``GetVersion`` on this
    socket; if the next ``probe_interval`` passes in silence too, the socket is dead even though no
    close came (a peer that vanished, a frozen server) and we reconnect."""

    def __init__(self, controller: ObsController) -> None:
        self.c = controller
        self._stop = threading.Event()
        self._sock: ObsSocket | None = None
        self._thread = threading.Thread(target=self._run, name=f"obs-events-{controller.target}", daemon=True)

    def _open(self) -> ObsSocket:
        sock = ObsSocket(self.c.target, timeout=self.c.timeout, subs=EVENT_SUBSCRIPTIONS)
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
            self._sock.abort()  # shutdown(): wakes the reader blocked in recv at once
            self._sock.close()
        if threading.current_thread() is not self._thread and self._thread.is_alive():
            self._thread.join(timeout=self.c.timeout + 1)

    def _run(self) -> None:
        try:
            self._loop()
        except Exception:  # a bug here must not pass silently: the caller would wait for events forever
            log.exception("OBS event thread failed")
            self.c._emit(ObsEvent("disconnected", detail="OBS events stopped after an internal error.",
                                  final=True))

    def _loop(self) -> None:
        while not self._stop.is_set():
            reason, final = self._read_until_broken()
            if self._stop.is_set():
                return
            if final is not None:
                self.c._gone = final  # the controller's requests fail with this until connect()
            self.c._abandon_request_socket()
            self.c._emit(ObsEvent("disconnected", detail=reason, final=final is not None))
            if final is not None or not self._reconnect():
                return

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _read_until_broken(self) -> tuple[str, ObsError | None]:
        """Read events until the socket breaks: (why, the error when OBS closed it for good)."""
        sock = self._sock
        assert sock is not None
        probe_sent = False
        sock.settimeout(self.c.probe_interval)
        while not self._stop.is_set():
            try:
                # A healthy socket delivers a frame or times out within probe_interval; a peer that
                # trickles one endless frame is cut off by this total deadline instead.
                with sock.deadline(self.c.probe_interval + self.c.timeout):
                    msg = sock.recv_message()
            except DeadlinePassed:
                return f"OBS at {self.c.target} stopped answering (a message took too long to arrive).", None
            except ObsMalformed as e:  # one bad frame: say so and keep reading (the socket is still good)
                log.warning("ignored a malformed frame on the OBS event connection: %s", e.message)
                probe_sent = False
                continue
            except (TimeoutError, websocket.WebSocketTimeoutException):
                if probe_sent:
                    sock.close()
                    return f"OBS at {self.c.target} stopped answering (no reply to a liveness probe).", None
                try:
                    sock.send_request("GetVersion")
                except (websocket.WebSocketException, OSError):
                    return f"Lost the connection to OBS at {self.c.target}.", None
                probe_sent = True
                continue
            except Closed as c:
                err = closed_error(self.c.target, c.code)
                return err.one_line(), (err if c.code in FINAL_CLOSE_CODES else None)
            except (websocket.WebSocketException, OSError, ValueError):
                return f"Lost the connection to OBS at {self.c.target}.", None
            probe_sent = False
            if msg["op"] == obs_frames.OP_EVENT:
                self._dispatch(msg["d"])
        return "closed", None

    def _dispatch(self, d: dict[str, Any]) -> None:
        """One Event frame's data; a malformed one is logged and skipped (never ends the thread)."""
        try:
            event_type, data = obs_frames.event(d)
            state = obs_frames.text(data, "outputState") if event_type == "StreamStateChanged" else ""
            if event_type == "StreamStateChanged" and state not in OUTPUT_STATES:
                raise ObsMalformed(f"OBS sent a StreamStateChanged event with an unknown state "
                                   f"{obs_frames.shown(state)}.")
        except ObsMalformed as e:
            log.warning("ignored a malformed OBS event: %s", e.message)
            return
        if event_type == "StreamStateChanged":
            self.c._emit(ObsEvent("stream_state", state))
        elif event_type == "ExitStarted":
            self.c._abandon_request_socket()
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
                self.c._gone = e
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
            with sock.deadline(self.c.timeout):
                request_id = sock.send_request("GetStreamStatus")
                sock.settimeout(self.c.timeout)
                while True:
                    msg = sock.recv_message()
                    d = msg["d"]
                    if msg["op"] == obs_frames.OP_EVENT:
                        self._dispatch(d)
                    elif msg["op"] == obs_frames.OP_REQUEST_RESPONSE and d.get("requestId") == request_id:
                        break
            active = obs_frames.flag(obs_frames.result(d).data, "outputActive")
        except ObsMalformed as e:
            log.warning("could not re-read OBS's stream state after reconnecting: %s", e.message)
            return
        except (Closed, TimeoutError, websocket.WebSocketException, OSError, ValueError, DeadlinePassed):
            return  # the read loop will notice a broken socket
        last = self.c.last_stream_state
        was_active = last in (STARTING, STARTED, RECONNECTING, RECONNECTED)
        if last is not None and active != was_active:
            self.c._emit(ObsEvent("stream_state", STARTED if active else STOPPED, detail="after reconnect"))
