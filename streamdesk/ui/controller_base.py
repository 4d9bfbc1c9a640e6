"""What every part of the window's controller shares: its signals, the flow, and the two ways it
runs work off the GUI thread (``Tasks`` for GetStream, keyring and database; the ``ObsWorker``
for OBS; the live recorder has its own ``RecorderWorker``).

The controller is assembled in ``ui.controller`` from one class per concern:
``controller_getstream`` (account, provision, key), ``controller_obs`` (OBS) and
``controller_live`` (going live, the live session, ending). Each operation fires its flow event
(so the UI shows "busy" at once), queues the blocking call, and fires the follow-up event when
the result lands. Every message carries the stage (card) it belongs to.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from streamdesk.core.cadence import POLL_INTERVAL_SETTING, poll_interval
from streamdesk.core.cancel import CancelToken
from streamdesk.core.cancel import scope as cancel_scope
from streamdesk.core.errors import NetworkUnreachable, StreamdeskError
from streamdesk.core.flow import Event, Flow, Refused, State
from streamdesk.core.obs_errors import ObsKicked, ObsNotRunning
from streamdesk.ui.recorder_worker import RecorderWorker
from streamdesk.ui.stage_map import WINDOW_SETTING
from streamdesk.ui.tasks import ObsWorker, Tasks

if TYPE_CHECKING:
    from streamdesk.core.context import AppContext
    from streamdesk.core.live import LiveSnapshot
    from streamdesk.core.obs_events import ObsEvent
    from streamdesk.core.obs_health import StreamHealth
    from streamdesk.core.store import ChannelConfig, Session

log = logging.getLogger("streamdesk.ui")

#: long GetStream operations the busy bar offers to cancel (``ui/busy_bar.py``)
CANCELLABLE = {"provision": "Provisioning", "go_live": "Going live", "force_end": "Force ending"}


class ControllerBase(QObject):
    state_changed = Signal(str, str)  # old, new (State values)
    busy_changed = Signal(str, bool)  # action name, busy
    message = Signal(str, str, str)  # stage, level (error|warning|info|ok|clear), text
    channel_changed = Signal(object)  # ChannelConfig
    call_changed = Signal(object)  # CallState
    key_loaded = Signal(str, object)  # stream key, expiry (Unix seconds or None) — for the SecretField only
    obs_target = Signal(str, int)  # the saved OBS host and port (on start)
    obs_connected = Signal(object)  # ObsInfo, or None when disconnected
    obs_plan = Signal(object)  # list[ConfigChange]
    obs_backup_changed = Signal(bool)  # an Undo is available
    obs_health = Signal(object)  # StreamHealth
    obs_reconnecting = Signal(bool)
    obs_event = Signal(object)  # an ObsEvent, after the controller has acted on it (the watchdog's input)
    snapshot = Signal(object)  # LiveSnapshot
    session_started = Signal(object)  # Session
    session_ended = Signal(object)  # Session: the row as finished, with its final chat count (once per show)
    reachability = Signal(str, bool)  # "getstream" | "obs", reachable
    starting = Signal()  # start() begins: the window builds the cards it deferred before its first paint

    def __init__(self, ctx: AppContext, *, live_interval_ms: int | None = None,
                 health_interval_ms: int = 2000, go_live_timeout: float = 30.0,
                 clock: Callable[[], float] = time.time, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.clock = clock
        self.go_live_timeout = go_live_timeout
        self.flow = Flow()
        self.flow.listeners.append(self._on_flow)
        self.tasks = Tasks(self)
        self.obs = ObsWorker(self)
        self.obs.obs_event.connect(self._on_obs_event)
        self.recorder = RecorderWorker(ctx, clock=clock, parent=self)
        self.busy: set[str] = set()
        self.cancel_tokens: dict[str, CancelToken] = {}  # by action: see cancel()
        self.channel: ChannelConfig = ctx.store.channel()
        self.call: Any = None  # CallState, or a LocalCall until GetStream answers
        self.session: Session | None = None
        self.obs_info: Any = None  # ObsInfo
        self.last_health: StreamHealth | None = None
        self.last_snapshot: LiveSnapshot | None = None
        # the streamer's setting, read once here; changed only through set_live_interval
        self._live_interval_s = poll_interval(ctx.store.get_setting(POLL_INTERVAL_SETTING, None))
        # Polling timers: tests drive them with poll_live_now()/poll_health_now() or short intervals.
        if live_interval_ms is None:  # the streamer's setting
            live_interval_ms = int(self.live_interval_s() * 1000)
        self.live_timer = QTimer(self)
        self.live_timer.setInterval(live_interval_ms)
        self._live_interval_ms = live_interval_ms
        self.live_timer.timeout.connect(self.poll_live_now)
        self.health_timer = QTimer(self)
        self.health_timer.setInterval(health_interval_ms)
        self.health_timer.timeout.connect(self.poll_health_now)

    # -- what the concerns provide each other (defined in the concern's class) ------------------
    def refresh(self, *, settle: bool = False) -> None:
        raise NotImplementedError

    def poll_live_now(self) -> None:
        raise NotImplementedError

    def poll_health_now(self) -> None:
        raise NotImplementedError

    def _on_obs_event(self, obs_event: ObsEvent) -> None:
        raise NotImplementedError

    def _obs_lost(self) -> None:
        raise NotImplementedError

    def stop_obs_stream(self) -> None:
        raise NotImplementedError

    def key_expired(self) -> bool:
        raise NotImplementedError

    def _check_key_expiry(self) -> bool:
        raise NotImplementedError

    # -- bookkeeping ---------------------------------------------------------------------------
    def live_interval_s(self) -> float:
        """The streamer's live poll interval in seconds (``core.cadence``)."""
        return self._live_interval_s

    def set_live_interval(self, seconds: float) -> None:
        """Save the live poll interval (in the background) and use it from the next poll on."""
        self._live_interval_s = poll_interval(seconds)
        store = self.ctx.store
        self.tasks.run(lambda: store.put_setting(POLL_INTERVAL_SETTING, float(seconds)),
                       what="save the live poll interval")
        self._live_interval_ms = int(seconds * 1000)
        if self.live_timer.isActive():
            self.live_timer.start(self._live_interval_ms)
        else:
            self.live_timer.setInterval(self._live_interval_ms)

    def window_state(self) -> dict[str, Any]:
        """The window's saved geometry and stage (read as it is built, before its first paint)."""
        saved = self.ctx.store.get_setting(WINDOW_SETTING, {})
        return saved if isinstance(saved, dict) else {}

    def theme_setting(self) -> str:
        """The saved theme ("system", "light" or "dark"), a local read the window needs at once."""
        from streamdesk.ui.style import THEME_SETTING

        return str(self.ctx.store.get_setting(THEME_SETTING, "system") or "system")

    def save_window_state(self, state: dict[str, Any]) -> None:
        """Written as the window closes, when the workers may be gone: a direct, local write."""
        self.ctx.store.put_setting(WINDOW_SETTING, state)

    @property
    def state(self) -> State:
        return self.flow.state

    def reason(self, event: Event) -> str | None:
        return self.flow.reason(event)

    def notify(self, stage: str, level: str, text: str) -> None:
        """Show ``text`` on ``stage``'s card (for helpers such as the OBS watchdog)."""
        self.message.emit(stage, level, text)

    def _on_flow(self, old: State, new: State, _event: Event | None) -> None:
        if old != new:
            log.info("state %s → %s", old.value, new.value)
        self.state_changed.emit(old.value, new.value)
        if new is State.LIVE:
            self.live_timer.start()
        elif new is not State.ENDING:
            self.live_timer.stop()

    def _fire(self, event: Event) -> bool:
        try:
            self.flow.fire(event)
        except Refused as e:
            log.info("flow refused %s in %s: %s", event.value, e.state.value, e.reason)
            return False
        return True

    def cancel(self, action: str) -> None:
        """Cancel the running ``action`` (one of ``CANCELLABLE``): its GetStream request stops at
        once; its own cleanup (a force end's closing of the session row) still runs."""
        token = self.cancel_tokens.get(action)
        if token is not None:
            token.cancel()

    def _set_busy(self, action: str, busy: bool) -> None:
        if busy:
            self.busy.add(action)
        else:
            self.busy.discard(action)
        self.busy_changed.emit(action, busy)

    def _run(self, action: str, stage: str, op: Callable[[], Any], done: Callable[[Any], None],
             failed: Callable[[str, BaseException], None] | None = None, *, clear: bool = True) -> None:
        """Run a GetStream/keyring/database op; a failure lands as an inline error on ``stage``.
        ``clear=False`` keeps the stage's current message (a background refresh must not wipe the
        error that triggered it). A ``CANCELLABLE`` action runs in its own cancel scope."""
        if action in CANCELLABLE:
            token = self.cancel_tokens[action] = CancelToken()
            op = _in_scope(token, op)
        self._set_busy(action, True)
        if clear:
            self.message.emit(stage, "clear", "")

        def ok(result: Any) -> None:
            self.cancel_tokens.pop(action, None)
            self._set_busy(action, False)
            done(result)

        def bad(text: str, error: BaseException) -> None:
            self.cancel_tokens.pop(action, None)
            self._set_busy(action, False)
            self._note_unreachable(error)
            if failed is not None:
                failed(text, error)
            else:
                self.message.emit(stage, "error", text)

        self.tasks.run(op, ok, bad, what=action)

    def _run_obs(self, action: str, stage: str, op: Callable[[Any], Any], done: Callable[[Any], None],
                 failed: Callable[[str, BaseException], None] | None = None, *, needs_connection: bool = True
                 ) -> None:
        self._set_busy(action, True)
        self.message.emit(stage, "clear", "")

        def guarded(controller: Any) -> Any:
            if needs_connection and controller is None:
                raise StreamdeskError("OBS is not connected.", hint="Press Connect in the Connect OBS step.")
            return op(controller)

        def ok(result: Any) -> None:
            self._set_busy(action, False)
            done(result)

        def bad(text: str, error: BaseException) -> None:
            self._set_busy(action, False)
            if is_obs_gone(error):
                self._obs_lost()
            if failed is not None:
                failed(text, error)
            else:
                self.message.emit(stage, "error", text)

        self.obs.submit(guarded, ok, bad, what=action)

    def _note_unreachable(self, error: BaseException) -> None:
        if isinstance(error, NetworkUnreachable):
            self.reachability.emit("getstream", False)


def _in_scope(token: CancelToken, op: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with cancel_scope(token):
            return op()
    return run


class LocalCall:
    """Stands in for the server's call until GetCall answers: provisioned, backstage, not ended."""

    backstage = True
    is_live = False
    live_started_at = None
    live_ended_at = None
    ended_at = None


def is_obs_gone(error: BaseException) -> bool:
    """OBS is not there any more (quit, kicked us, or the socket broke)."""
    return isinstance(error, (ObsNotRunning, ObsKicked, BrokenPipeError, ConnectionRefusedError))
