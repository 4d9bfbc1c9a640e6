"""The wizard's brain, without widgets: owns the ``Flow``, runs every operation through ``Tasks``
(GetStream, keyring, database) or the ``ObsWorker`` (OBS), and reports back with signals.

The window renders what this object says; tests drive this object through the window's buttons.
Nothing here blocks the GUI thread: each operation fires its flow event (so the UI shows
"busy" at once), queues the blocking call, and fires the follow-up event when the result lands.

Stages (the cards) are named by ``STAGES``; every message carries the stage it belongs to so
errors and diagnostics show where they happen.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from streamdesk.core.cancel import CancelToken
from streamdesk.core.cancel import scope as cancel_scope
from streamdesk.core.context import AppContext
from streamdesk.core.flow import Event, Flow, Refused, State
from streamdesk.ui.tasks import ObsWorker, Tasks

log = logging.getLogger("streamdesk.ui")

STAGES = ("account", "provision", "obs", "golive", "live")
STAGE_OF_STATE = {
    State.NEEDS_ACCOUNT: "account",
    State.NEEDS_PROVISION: "provision",
    State.ENDED: "provision",
    State.PROVISIONED: "obs",
    State.OBS_CONFIGURED: "obs",
    State.READY: "golive",
    State.GOING_LIVE: "golive",
    State.LIVE: "live",
    State.ENDING: "live",
}
#: long GetStream operations the busy bar offers to cancel (hostile, issue 13)
CANCELLABLE = {"provision": "Provisioning", "go_live": "Going live", "force_end": "Force ending"}


def _in_scope(token: CancelToken, op: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with cancel_scope(token):
            return op()
    return run


FORCE_END_STATES = (State.READY, State.GOING_LIVE, State.LIVE, State.ENDING)

OBS_SETTING = "obs"  # {"host": ..., "port": ...}; the password is in the keyring
# seconds OBS may report an active output with no bytes before we call it "nothing arriving"
NOTHING_ARRIVING_AFTER_S = 6.0
# the live poll cadence, shared with `streamdesk watch` (core.live.POLL_INTERVAL_SETTING); the
# Settings dialog edits it. The GUI's default is gentler than watch's 3 s.
POLL_INTERVAL_SETTING = "poll_interval_s"
DEFAULT_LIVE_INTERVAL_S = 5.0
# one failed live poll is a gap in the chart; this many in a row is worth a banner
STALE_AFTER_POLLS = 3
REFRESH_RETRY_MIN_MS, REFRESH_RETRY_MAX_MS = 5_000, 60_000  # reconnecting to GetStream after a failed refresh


@dataclass
class GoLiveChoice:
    hls: bool = False
    recording: bool = False
    captions: bool = False
    transcription: bool = False
    recording_storage: str = ""
    transcription_storage: str = ""


@dataclass
class StopChoice:
    continue_hls: bool = False
    continue_recording: bool = False
    continue_captions: bool = False
    continue_transcription: bool = False
    stop_obs: bool = True


class Controller(QObject):
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
    snapshot = Signal(object)  # LiveSnapshot
    session_started = Signal(object)  # Session
    session_ended = Signal(object)  # Session (the summary)
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
        self.obs.event.connect(self._on_obs_event)
        self.busy: set[str] = set()
        self.cancel_tokens: dict[str, CancelToken] = {}  # hostile (issue 13): see cancel()
        self.channel: Any = ctx.store.channel()
        self.call: Any = None
        self.session: Any = None
        self.obs_info: Any = None
        self.last_health: Any = None
        self.last_snapshot: Any = None
        self._recorder: Any = None
        self._retired: Any = None  # a recorder to close once the poll in flight returns
        self._polling = False
        self._troubled_polls = 0  # consecutive live polls that failed (or half failed)
        self._health_in_flight = False
        self._silent_since: float | None = None
        self._silent_warned = False
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
        # GetStream unreachable when reconciling (e.g. a restart while live, offline for a moment):
        # try again by itself, backing off, so a live show resumes recording without an F5.
        self.refresh_retry = QTimer(self)
        self.refresh_retry.setSingleShot(True)
        self.refresh_retry.timeout.connect(lambda: self.refresh(settle=self._retry_settle))
        self._retry_settle = False
        # issue 12: "GetStream receives your stream" and OBS's server/key, each from its source
        from streamdesk.ui.ingest_watch import IngestWatch

        self.ingest = IngestWatch(self)

    # -- bookkeeping ---------------------------------------------------------------------------
    def live_interval_s(self) -> float:
        """The saved live poll interval in seconds (``DEFAULT_LIVE_INTERVAL_S`` when unset or bad)."""
        value = self.ctx.store.get_setting(POLL_INTERVAL_SETTING, None)
        try:
            return max(1.0, float(value)) if value is not None else DEFAULT_LIVE_INTERVAL_S
        except (TypeError, ValueError):
            return DEFAULT_LIVE_INTERVAL_S

    def set_live_interval(self, seconds: float) -> None:
        """Save the live poll interval and use it from the next poll on."""
        self.ctx.store.put_setting(POLL_INTERVAL_SETTING, float(seconds))
        self._live_interval_ms = int(seconds * 1000)
        if self.live_timer.isActive():
            self.live_timer.start(self._live_interval_ms)
        else:
            self.live_timer.setInterval(self._live_interval_ms)

    @property
    def state(self) -> State:
        return self.flow.state

    def reason(self, event: Event) -> str | None:
        return self.flow.reason(event)

    def _on_flow(self, old: State, new: State, _event: Event | None) -> None:
        if old != new:
            log.info("state %s → %s", old.value, new.value)
        self.state_changed.emit(old.value, new.value)
        if new is State.LIVE:
            self.live_timer.start()
        elif new not in (State.ENDING,):
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
        error that triggered it)."""
        # -- hostile (issue 13): long GetStream operations can be cancelled (busy_bar.py) --
        if action in CANCELLABLE:
            token = self.cancel_tokens[action] = CancelToken()
            op = _in_scope(token, op)
        # -- end hostile --
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
                from streamdesk.core.errors import StreamdeskError

                raise StreamdeskError("OBS is not connected.", hint="Press Connect in the Connect OBS step.")
            return op(controller)

        def ok(result: Any) -> None:
            self._set_busy(action, False)
            done(result)

        def bad(text: str, error: BaseException) -> None:
            self._set_busy(action, False)
            if _is_obs_gone(error):
                self._obs_lost()
            if failed is not None:
                failed(text, error)
            else:
                self.message.emit(stage, "error", text)

        self.obs.submit(guarded, ok, bad, what=action)

    def _note_unreachable(self, error: BaseException) -> None:
        if _is_unreachable(error):
            self.reachability.emit("getstream", False)

    # -- start-up: reconcile with GetStream ---------------------------------------------------
    def start(self) -> None:
        """Open in the right stage: local config first (instant), then what GetStream says."""
        self.starting.emit()
        self.channel = self.ctx.store.channel()
        self.channel_changed.emit(self.channel)
        if not self.channel.has_account:
            self.flow.reconcile(None, has_account=False)
        else:
            # until GetStream answers, trust the local config (offline start shows something sane)
            self.flow.reconcile(_LocalCall() if self.channel.is_provisioned else None,
                                provisioned=self.channel.is_provisioned)
            self.refresh()
        obs = self.obs_settings()
        if obs.get("host"):
            self.obs_target.emit(str(obs["host"]), int(obs.get("port", 4455)))
            self.connect_obs(obs["host"], int(obs.get("port", 4455)), None, quiet=True)
        self.health_timer.start()

    def refresh(self, *, settle: bool = False) -> None:
        """Reconcile from GetStream (``fetch_call``); resumes LIVE after a crash. ``settle``: an
        end or go-live that failed no longer owns the next transition, so reconcile even from
        ENDING / GOING_LIVE (otherwise the window would stay there)."""
        if not self.channel.has_account:
            return

        def op() -> Any:
            from streamdesk.core import channel_ops

            return channel_ops.fetch_call(self.ctx)

        def done(call: Any) -> None:
            self.refresh_retry.stop()
            self.refresh_retry.setInterval(0)
            self.reachability.emit("getstream", True)
            self._apply_call(call, settle=settle)

        def failed(text: str, error: BaseException) -> None:
            # only a network failure is "unreachable"; a 401 or a 5xx says what it is itself
            if not _is_unreachable(error):
                self.message.emit(STAGE_OF_STATE[self.state], "error", "GetStream: " + text)
                return
            wait_ms = min(REFRESH_RETRY_MAX_MS, max(REFRESH_RETRY_MIN_MS, self.refresh_retry.interval() * 2))
            self._retry_settle = settle
            self.refresh_retry.start(wait_ms)
            self.message.emit(STAGE_OF_STATE[self.state], "error",
                              f"Could not reach GetStream: {text} Trying again in {wait_ms // 1000} s.")

        self._run("refresh", STAGE_OF_STATE[self.state], op, done, failed, clear=False)

    def _apply_call(self, call: Any, *, settle: bool = False) -> None:
        self.call = call
        self.call_changed.emit(call)
        in_flight = {"go_live", "stop_live", "force_end"} & self.busy
        if self.state in (State.GOING_LIVE, State.ENDING) and (in_flight or not settle):
            return  # an operation in flight owns the next transition
        was = self.state
        new = self.flow.reconcile(call, has_account=self.channel.has_account,
                                  provisioned=self.channel.is_provisioned)
        if new is State.LIVE and (was is not State.LIVE or self._recorder is None):
            self._resume_session(call)
        elif call is not None and not call.is_live and self.session is None:
            self._close_stale_session()
        elif call is not None and not call.is_live and self._recorder is not None and not self._polling:
            # ended elsewhere (GetStream's dashboard, the CLI) and this refresh saw it before the
            # next live poll did: the recorder's last poll closes the row with the last chat
            self._finish_session(None)

    def _close_stale_session(self) -> None:
        """A session row still open here while GetStream says the call is not live: the stream
        ended while the app was closed (or was killed between stop_live and closing the row).
        Finish the row the way the recorder does when a call leaves live: the chat up to
        GetStream's end time, ``ended_at`` from GetStream."""
        cid = self.channel.call_cid
        ctx, clock = self.ctx, self.clock

        def op() -> Any:
            from streamdesk.core.live import LiveRecorder, RecorderBusy

            session = ctx.store.open_session(cid) if cid else None
            if session is None:
                return None
            try:
                with LiveRecorder(ctx, session.id, clock=clock) as recorder:
                    recorder.poll_once()
            except RecorderBusy:
                return None  # `streamdesk watch` records it and will finish it itself
            return ctx.store.get_session(session.id)

        def done(session: Any) -> None:
            if session is not None and not session.is_open:
                self.message.emit(STAGE_OF_STATE[self.state], "info",
                                  f"Closed session {session.id}: the stream had ended on GetStream "
                                  "while streamdesk was not watching.")

        self.tasks.run(op, done, lambda text, _e: log.info("closing a stale session failed: %s", text),
                       what="close a session GetStream ended")

    def _resume_session(self, call: Any) -> None:
        """LIVE on the server: reuse the open session row (or open one) and start recording."""
        cid = self.channel.call_cid
        started = call.live_started_at.timestamp() if call.live_started_at else self.clock()

        def op() -> Any:
            from streamdesk.core import channel_ops

            # a row left open by an earlier show must not absorb this one (went live elsewhere)
            channel_ops.close_earlier_show(self.ctx, self.ctx.store.channel(), started)
            return self.ctx.store.start_session(cid, started, getattr(call, "session_id", None))

        self._run("resume", "live", op, self._on_session)

    def _on_session(self, session: Any) -> None:
        if self._recorder is not None and self._recorder.session_id != session.id:
            self._drop_recorder()
        self.session = session
        self.session_started.emit(session)
        self.poll_live_now()

    # -- account ------------------------------------------------------------------------------
    def save_account(self, *, api_key: str, api_secret: str, user_id: str, call_id: str,
                     api_base: str) -> None:
        def op() -> Any:
            from streamdesk.core import channel_ops

            return channel_ops.save_account(
                self.ctx, api_key=api_key, api_secret=api_secret or None,
                user_id=user_id, call_id=call_id or None, api_base=api_base or None)

        def done(channel: Any) -> None:
            self.channel = channel
            self.channel_changed.emit(channel)
            self._fire(Event.ACCOUNT_SAVED)
            self.message.emit("account", "ok", "Account saved; the API secret is in your keyring.")
            self.refresh()

        self._run("save_account", "account", op, done)

    # -- provision ----------------------------------------------------------------------------
    def provision(self, *, join_ahead: int | None = None, starts_at: Any = None,
                  key_ttl_hours: float | None = None) -> None:
        reason = self.reason(Event.PROVISIONED)
        if reason:
            self.message.emit("provision", "warning", reason)
            return

        def op() -> Any:
            from streamdesk.core import channel_ops

            result = channel_ops.provision(self.ctx, join_ahead=join_ahead, starts_at=starts_at,
                                           key_ttl_hours=key_ttl_hours)
            return result, self.ctx.store.channel()

        def done(pair: Any) -> None:
            result, channel = pair
            self.channel = channel
            self.channel_changed.emit(channel)
            self._fire(Event.PROVISIONED)
            notice = getattr(result, "call_type_notice", None)
            if notice:  # the call type is only read by provisioning; the fix is the streamer's choice
                self.message.emit("provision", "warning", f"{notice} To allow it, tick \"Apply to the whole "
                                  "livestream call type\" under Advanced and provision again.")
            else:
                self.message.emit("provision", "ok",
                                  "Provisioned: the RTMPS server and stream key are ready.")
            call = getattr(result, "call", None)
            if call is not None:
                self.call = call
                self.call_changed.emit(call)
            self.load_key()

        self._run("provision", "provision", op, done)

    def rotate_key(self) -> None:
        def op() -> Any:
            from streamdesk.core import channel_ops

            channel_ops.rotate_key(self.ctx)
            return self.ctx.store.channel()

        def done(channel: Any) -> None:
            self.channel = channel
            self.channel_changed.emit(channel)
            self.message.emit("provision", "ok", "New stream key minted: configure OBS again to use it.")
            self.load_key()

        self._run("rotate_key", "provision", op, done)

    def load_key(self) -> None:
        """Read the stream key from the keyring for the key field (never logged or stored)."""
        if not self.channel.is_provisioned:
            return

        def op() -> Any:
            from streamdesk.core import channel_ops

            return channel_ops.stream_key(self.ctx)

        def done(key: Any) -> None:
            self.key_loaded.emit(key or "", self.channel.key_expires_at)
            self._check_key_expiry()

        self._run("load_key", "provision", op, done, clear=False)  # keep what provisioning said

    def _check_key_expiry(self) -> bool:
        expires = self.channel.key_expires_at
        if expires is not None and expires <= self.clock():
            self.message.emit("obs", "error", "The stream key has expired, so GetStream will reject OBS. "
                              "Rotate the key in the Provision step, then configure OBS again.")
            return False
        return True

    # -- OBS ----------------------------------------------------------------------------------
    # Where OBS is (host, port), its password (keyring) and the settings Configure replaced (for
    # Undo) are kept by ``core.obs_ops``, shared with the CLI; the worker's controller is ours.
    def obs_settings(self) -> dict[str, Any]:
        from streamdesk.core.obs_ops import SETTING_TARGET

        value = self.ctx.store.get_setting(SETTING_TARGET, {})
        return value if isinstance(value, dict) else {}

    def has_obs_backup(self) -> bool:
        from streamdesk.core.obs_ops import SETTING_BACKUP

        backup = self.ctx.store.get_setting(SETTING_BACKUP)
        target = self.obs.target
        return bool(backup) and (target is None or backup.get("obs") == target.scope)

    def connect_obs(self, host: str, port: int, password: str | None, *, quiet: bool = False) -> None:
        """Connect (password None: the one in the keyring for host:port)."""
        ctx = self.ctx

        def op(_controller: Any) -> Any:
            from streamdesk.core import obs_ops

            target = obs_ops.target(ctx, host, port, password)
            info, streaming = self.obs.connect_to_blocking(
                lambda on_event: obs_ops.connect(ctx, target, events=True, on_event=on_event))
            return info, streaming, self._obs_matches_channel(self.obs.controller)

        def done(result: Any) -> None:
            info, streaming, configured = result
            self.obs_info = info
            self.reachability.emit("obs", True)
            self.obs_connected.emit(info)
            self.obs_backup_changed.emit(self.has_obs_backup())
            if configured and self.state is State.PROVISIONED:
                self._fire(Event.OBS_CONFIGURED)
            if streaming:
                self._fire(Event.OBS_STREAMING)
            self.poll_health_now()

        def failed(text: str, _error: BaseException) -> None:
            self.obs_info = None
            self.reachability.emit("obs", False)
            self.obs_connected.emit(None)
            if not quiet:
                self.message.emit("obs", "error", text)

        self._run_obs("connect_obs", "obs", op, done, failed, needs_connection=False)

    def _obs_matches_channel(self, controller: Any) -> bool:
        """OBS thread: does OBS already stream to our server with our key?"""
        channel = self.ctx.store.channel()
        if controller is None or not channel.is_provisioned:
            return False
        from streamdesk.core import channel_ops

        _type, settings = controller.stream_service()
        return settings.get("server") == channel.rtmps_url and settings.get("key") == channel_ops.stream_key(
            self.ctx)

    def plan_configure(self) -> None:
        if not self._check_key_expiry():
            return
        ctx = self.ctx

        def op(controller: Any) -> Any:
            from streamdesk.core import obs_ops

            return obs_ops.configure(ctx, dry_run=True, obs=controller).changes  # on the open connection

        self._run_obs("plan_configure", "obs", op, self.obs_plan.emit)

    def configure_obs(self) -> None:
        reason = self.reason(Event.OBS_CONFIGURED)
        if reason:
            self.message.emit("obs", "warning", reason)
            return
        ctx = self.ctx

        def op(controller: Any) -> Any:
            from streamdesk.core import obs_ops

            return obs_ops.configure(ctx, obs=controller)  # no second socket: the worker's connection

        def done(_result: Any) -> None:
            self.obs_backup_changed.emit(True)
            self.obs_plan.emit([])  # nothing left to change: the diff shown before is now applied
            self._fire(Event.OBS_CONFIGURED)
            self.message.emit("obs", "ok", "OBS now streams to your GetStream call. Undo restores its "
                              "previous settings.")

        self._run_obs("configure_obs", "obs", op, done)

    def undo_configure(self) -> None:
        ctx = self.ctx

        def op(controller: Any) -> Any:
            from streamdesk.core import obs_ops

            return obs_ops.restore(ctx, obs=controller)

        def done(_r: Any) -> None:
            self.obs_backup_changed.emit(False)
            if self.state is State.OBS_CONFIGURED:
                self.flow.reconcile(self.call or _LocalCall(), provisioned=self.channel.is_provisioned,
                                    obs_configured=False)
            self.message.emit("obs", "ok", "OBS's previous stream settings are restored.")

        self._run_obs("undo_configure", "obs", op, done)

    def start_obs_stream(self) -> None:
        def done(_r: Any) -> None:
            self._fire(Event.OBS_STREAMING)
            self.poll_health_now()

        def failed(text: str, _error: BaseException) -> None:
            expired = self.channel.key_expires_at is not None and self.channel.key_expires_at <= self.clock()
            self.message.emit("obs", "error", f"{text} {self._ingest_hint()}" if expired else text)

        self._run_obs("start_obs", "obs", lambda c: c.start_stream(), done, failed)

    def stop_obs_stream(self) -> None:
        def done(_r: Any) -> None:
            self._fire(Event.OBS_STOPPED)
            self.poll_health_now()  # the health line shows "not streaming" now, not the last bitrate

        self._run_obs("stop_obs", "obs", lambda c: c.stop_stream(), done)

    def _ingest_hint(self) -> str:
        expires = self.channel.key_expires_at
        if expires is not None and expires <= self.clock():
            return "The stream key has expired: rotate it in the Provision step and configure OBS again."
        return ("Check that OBS uses the server and stream key shown in the Provision step "
                "(press Configure OBS), and that this computer can reach the RTMPS server.")

    def poll_health_now(self) -> None:
        if self._health_in_flight or self.obs_info is None:
            return
        self._health_in_flight = True

        def done(health: Any) -> None:
            self._health_in_flight = False
            if health is not None:
                self._on_health(health)

        def failed(text: str, error: BaseException) -> None:
            self._health_in_flight = False
            if _is_obs_gone(error):
                self._obs_lost()
            else:
                log.info("OBS health poll failed: %s", text)

        self.obs.submit(lambda c: c.health() if c is not None else None, done, failed, what="OBS health")

    def _on_health(self, health: Any) -> None:
        self.last_health = health
        self.obs_health.emit(health)
        active = bool(getattr(health, "active", False))
        if active and self.state in (State.PROVISIONED, State.OBS_CONFIGURED):
            self._fire(Event.OBS_STREAMING)
        elif not active and self.state is State.READY:
            self._fire(Event.OBS_STOPPED)
        # "OBS connected but nothing arriving": output active, no bytes leaving for a while
        bitrate = getattr(health, "bitrate_kbps", None) or 0
        if active and bitrate <= 0 and not getattr(health, "reconnecting", False):
            now = time.monotonic()  # bytes flow in real time, whatever clock the samples use
            self._silent_since = self._silent_since or now
            if now - self._silent_since >= NOTHING_ARRIVING_AFTER_S and not self._silent_warned:
                self._silent_warned = True  # once per silence, not on every health poll
                text = "OBS says it is streaming but no bytes are leaving it. " + self._ingest_hint()
                self.message.emit(STAGE_OF_STATE[self.state], "warning", text)
        else:
            self._silent_since = None
            self._silent_warned = False

    def _on_obs_event(self, obs_event: Any) -> None:
        kind = str(getattr(obs_event, "kind", ""))
        state = str(getattr(obs_event, "state", "") or "")
        if kind == "stream_state":
            if state.endswith("_STARTED") or state.endswith("_RECONNECTED"):
                self.obs_reconnecting.emit(False)
                self._fire(Event.OBS_STREAMING)
            elif state.endswith("_RECONNECTING"):
                self.obs_reconnecting.emit(True)
            elif state.endswith("_STOPPED"):
                self.obs_reconnecting.emit(False)
                self._fire(Event.OBS_STOPPED)
                if self.state in (State.LIVE, State.GOING_LIVE):
                    self.message.emit("live", "warning", "OBS stopped streaming, but the call is still live "
                                      "on GetStream: start OBS again, or end the stream.")
        elif kind == "exit" or (kind == "disconnected" and getattr(obs_event, "final", True)):
            self._obs_lost()
        elif kind == "disconnected":
            log.info("OBS connection dropped; the controller is reconnecting")
        elif kind == "reconnected":
            self.poll_health_now()

    def _obs_lost(self) -> None:
        if self.obs_info is None:
            return
        self.obs_info = None
        self.obs_connected.emit(None)
        self.reachability.emit("obs", False)
        self._fire(Event.OBS_STOPPED)
        stage = "live" if self.state in (State.LIVE, State.GOING_LIVE) else "obs"
        self.message.emit(stage, "warning", "Lost the connection to OBS: check that OBS is running, "
                          "then press Connect.")

    # -- go live ------------------------------------------------------------------------------
    def go_live(self, choice: GoLiveChoice) -> None:
        if not self._fire(Event.GO_LIVE):
            self.message.emit("golive", "warning", self.reason(Event.GO_LIVE) or "")
            return
        timeout = self.go_live_timeout

        def op() -> Any:
            from streamdesk.core import channel_ops

            options = channel_ops.GoLiveOptions(
                hls=choice.hls, recording=choice.recording, captions=choice.captions,
                transcription=choice.transcription, recording_storage=choice.recording_storage or None,
                transcription_storage=choice.transcription_storage or None)
            # Discord is told afterwards, in its own task: "you're live" must not wait on Discord
            return channel_ops.go_live(self.ctx, options, timeout=timeout, announce=False)

        def done(result: Any) -> None:
            call = getattr(result, "call", None)
            if call is not None:
                self.call = call
                self.call_changed.emit(call)
            if not self._fire(Event.LIVE_CONFIRMED):
                # a force end overtook this go-live (its GoLive reached GetStream last, so the call
                # may be live again): no "you're live" and no recording on our own say, GetStream
                # decides what we are now
                self.message.emit("live", "warning", "Go live finished after the stream was ended: "
                                  "check the state shown now, and end the stream again if it is live.")
                self.refresh()
                return
            session = getattr(result, "session", None)
            if session is not None:
                self._on_session(session)
                self.announce("live", session)
            elif call is not None:
                self._resume_session(call)

        def failed(text: str, _error: BaseException) -> None:
            self._fire(Event.GO_LIVE_FAILED)
            self.message.emit("golive", "error", text)
            self.refresh()  # the server may be live after all (e.g. the poll timed out late)

        self._run("go_live", "golive", op, done, failed)

    # -- live ---------------------------------------------------------------------------------
    def poll_live_now(self) -> None:
        if self._polling or self.session is None or self.state not in (State.LIVE, State.ENDING):
            return
        self._polling = True
        session_id = self.session.id

        existing = self._recorder  # read here: the worker never touches the controller's state

        def op() -> Any:
            recorder = existing
            if recorder is None:
                from streamdesk.core.live import LiveRecorder

                recorder = LiveRecorder(self.ctx, session_id, bitrate=self._bitrate, clock=self.clock,
                                          frames=self._frames)  # aftershow: dropped % in the summary
            try:
                return recorder, recorder.poll_once()
            except BaseException:
                if existing is None:
                    recorder.close()  # ours alone: release its session lock
                raise

        def done(result: Any) -> None:
            recorder, snapshot = result
            self._polling = False
            self._adopt_recorder(recorder, session_id)
            self.last_snapshot = snapshot
            self.snapshot.emit(snapshot)
            self._live_trouble(getattr(snapshot, "error", None))
            self._pace_live_polls(getattr(snapshot, "next_poll_s", None))
            ours = self.session is not None and self.session.id == session_id
            if getattr(snapshot, "ended", False) and ours and self.state is not State.ENDING:
                # ended elsewhere (the CLI, GetStream's dashboard): the server is the truth (a
                # refresh may have left LIVE already; an end in flight finishes the session itself)
                self._finish_session(self.ctx.store.get_session(session_id))
                self.refresh()

        def failed(text: str, error: BaseException) -> None:
            self._polling = False
            self._close_retired_recorder()
            self._note_unreachable(error)
            self._live_trouble(text)

        self.tasks.run(op, done, failed, what="live poll")

    def _adopt_recorder(self, recorder: Any, session_id: int) -> None:
        """GUI thread, after a poll: keep the recorder for the next poll if its session is still
        the one on air; otherwise (ended or replaced meanwhile) release it."""
        retired = self._retired
        self._close_retired_recorder()
        if recorder is retired:
            return
        if self.session is not None and self.session.id == session_id:
            self._recorder = recorder
        else:
            self.tasks.run(recorder.close, what="close the live recorder")

    def _pace_live_polls(self, next_poll_s: float | None) -> None:
        """Follow the recorder's pace: its backoff after failed polls and GetStream's rate-limit
        reset time (polling earlier only earns another 429)."""
        recorder = self._recorder
        if next_poll_s is None or recorder is None or not self.live_timer.isActive():
            return
        wait_ms = self._live_interval_ms
        if next_poll_s > recorder.interval:  # it asks for more than its normal cadence
            wait_ms = max(wait_ms, int(next_poll_s * 1000))
        if wait_ms != self.live_timer.interval():
            self.live_timer.start(wait_ms)

    def _live_trouble(self, error: str | None) -> None:
        """Say once per outage that the numbers stopped updating, and once that they are back. A
        single failed poll only leaves a gap in the chart: GetStream hiccups (a 5xx, a dropped
        connection) are routine on a long show, and a banner flashing for each is noise."""
        if error:
            self._troubled_polls += 1
            if self._troubled_polls == STALE_AFTER_POLLS:
                self.message.emit("live", "warning", f"Live numbers are not updating: {error}")
        else:
            if self._troubled_polls >= STALE_AFTER_POLLS:
                self.message.emit("live", "ok", "Live numbers are updating again.")
            self._troubled_polls = 0

    def _bitrate(self) -> float | None:
        health = self.last_health
        if health is None or getattr(health, "measuring", False):
            return None  # unknown, not 0: a chart gap instead of a false drop to zero
        return getattr(health, "bitrate_kbps", None)

    def _frames(self) -> tuple[int, int] | None:
        """aftershow: OBS's cumulative (network-dropped, output) frames, for the summary's dropped %."""
        health = self.last_health
        if health is None or not getattr(health, "active", False):
            return None
        return int(getattr(health, "dropped_frames", 0)), int(getattr(health, "total_frames", 0))

    def stop_live(self, choice: StopChoice) -> None:
        if not self._fire(Event.STOP):
            self.message.emit("live", "warning", self.reason(Event.STOP) or "")
            return

        def op() -> Any:
            from streamdesk.core import channel_ops

            options = channel_ops.StopOptions(
                continue_hls=choice.continue_hls, continue_recording=choice.continue_recording,
                continue_captions=choice.continue_captions,
                continue_transcription=choice.continue_transcription)
            return channel_ops.stop_live(self.ctx, options, announce=False)

        def done(session: Any) -> None:
            self._finish_session(session, announce=session is not None)
            self._fire(Event.STOPPED)
            if choice.stop_obs and self.obs_info is not None:
                self.stop_obs_stream()

        def failed(text: str, _error: BaseException) -> None:
            self._fire(Event.STOP_FAILED)
            self.message.emit("live", "error", f"The stream is still live: {text}")

        self._run("stop_live", "live", op, done, failed)

    def force_end(self, *, mark_ended: bool = False) -> None:
        """Stop live (and optionally end the call) and stop OBS, whatever the flow believes."""
        self._fire(Event.FORCE_END)  # refused is fine: we act anyway, then reconcile from the server

        def op() -> Any:
            from streamdesk.core import channel_ops

            return channel_ops.force_end(self.ctx, mark_ended=mark_ended, announce=False)

        def done(session: Any) -> None:
            self._finish_session(session, announce=session is not None)
            self._fire(Event.CALL_ENDED if mark_ended else Event.STOPPED)
            self.message.emit("live", "ok", "Force end done: the call is off air.")
            self.refresh()

        def failed(text: str, _error: BaseException) -> None:
            self.message.emit(STAGE_OF_STATE[self.state], "error", f"Force end failed: {text}")
            self.refresh(settle=True)  # leave ENDING: GetStream says whether the call is still live

        # channel_ops.force_end also stops OBS, over its own connection: it must work even when
        # our OBS worker is stuck or disconnected
        self._run("force_end", "live", op, done, failed)

    def announce(self, kind: str, session: Any) -> None:
        """Tell Discord (if a webhook is set) in the background, after the state has flipped: a
        dead Discord costs its retry budget (up to 15 s) there, never the go-live or end."""
        if session is None:
            return
        ctx = self.ctx
        if kind == "ended" and getattr(session, "id", None) is not None:
            session = ctx.store.get_session(session.id) or session  # the totals as recorded

        def op() -> Any:
            from streamdesk.core import channel_ops

            return channel_ops.announce(ctx, kind, session)  # type: ignore[arg-type]

        def done(notice: Any) -> None:
            if notice:
                self.message.emit("live", "warning", str(notice))

        self.tasks.run(op, done, lambda text, _e: log.info("Discord message failed: %s", text),
                       what=f"Discord {kind} message")

    def _drop_recorder(self) -> None:
        """Release the recorder (its per-session lock and HTTP client) off the GUI thread; if a
        poll is using it right now, after that poll returns."""
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return
        if self._polling:
            self._retired = recorder
        else:
            self.tasks.run(recorder.close, what="close the live recorder")

    def _close_retired_recorder(self) -> None:
        retired, self._retired = self._retired, None
        if retired is not None:
            self.tasks.run(retired.close, what="close the live recorder")

    def _finish_session(self, session: Any, *, announce: bool = False) -> None:
        """The show is over: the summary now, then (in the background) the chat written between the
        last live poll and the end, counted by the recorder as the CLI's does; the summary and the
        Discord end message then show the final totals."""
        self.live_timer.stop()
        recorder = None if self._polling else self._recorder  # a poll in flight keeps its recorder
        if recorder is not None:
            self._recorder = None
        else:
            self._drop_recorder()
        ended = session if session is not None else self.session
        if ended is not None and getattr(ended, "id", None) is not None:
            fresh = self.ctx.store.get_session(ended.id)  # a cheap local read: peak/total as recorded
            ended = fresh or ended
        self.session = None
        if ended is not None:
            self.session_ended.emit(ended)
        if recorder is None or ended is None:
            if recorder is not None:
                self.tasks.run(recorder.close, what="close the live recorder")
            if announce:
                self.announce("ended", ended)
            return
        ctx, session_id = self.ctx, ended.id

        def op() -> Any:
            try:
                recorder.poll_once()  # the row is closed: this counts the chat up to its end, once
            except Exception as e:  # GetStream trouble: the totals of the last poll stand
                log.info("counting the last chat of the show failed: %s", type(e).__name__)
            finally:
                recorder.close()
            final = ctx.store.get_session(session_id)
            notice = None
            if announce:  # in this same job: quitting right after the end still waits for it
                from streamdesk.core import channel_ops

                notice = channel_ops.announce(ctx, "ended", final or ended)
            return final, notice

        def done(result: Any) -> None:
            final, notice = result
            if final is not None and final != ended:
                self.session_ended.emit(final)
            if notice:
                self.message.emit("live", "warning", str(notice))

        self.tasks.run(op, done, lambda text, _e: log.info("finishing the session failed: %s", text),
                       what="count the last chat of the show")

    # -- shutdown -----------------------------------------------------------------------------
    def close(self) -> None:
        """Stop timers, wait (bounded) for running tasks, release the recorder and OBS."""
        self.live_timer.stop()
        self.health_timer.stop()
        self.refresh_retry.stop()
        self.ingest.timer.stop()
        self.tasks.close()
        for recorder in (self._recorder, self._retired):
            if recorder is not None:
                try:
                    recorder.close()
                except Exception:
                    log.info("closing the live recorder failed", exc_info=True)
        self._recorder = self._retired = None
        self.obs.close()


class _LocalCall:
    """Stands in for the server's call until GetCall answers: provisioned, backstage, not ended."""

    backstage = True
    live_started_at = None
    live_ended_at = None
    ended_at = None


def _is_unreachable(error: BaseException) -> bool:
    # by name: importing core.getstream here would pull httpx into the GUI's start-up
    return type(error).__name__ == "NetworkError"


def _is_obs_gone(error: BaseException) -> bool:
    return type(error).__name__ in ("ObsNotRunning", "ObsKicked", "BrokenPipeError", "ConnectionRefusedError")
