"""The controller's OBS side: connect, plan and apply the stream settings (with Undo), start and
stop OBS's stream, poll its health, and act on its events. Every call runs on the ``ObsWorker``'s
thread, which owns the ``ObsController``; where OBS is and what Configure replaced are kept by
``core.obs_ops``, shared with the CLI."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from streamdesk.core.flow import Event, State
from streamdesk.ui.controller_base import ControllerBase, LocalCall, is_obs_gone
from streamdesk.ui.stage_map import STAGE_OF_STATE

if TYPE_CHECKING:
    from streamdesk.core.obs_events import ObsEvent
    from streamdesk.core.obs_health import StreamHealth

log = logging.getLogger("streamdesk.ui")

# seconds OBS may report an active output with no bytes before we call it "nothing arriving"
NOTHING_ARRIVING_AFTER_S = 6.0


class ObsOps(ControllerBase):
    _health_in_flight = False
    _silent_since: float | None = None
    _silent_warned = False

    def obs_settings(self) -> dict[str, Any]:
        from streamdesk.core.obs_ops import SETTING_TARGET

        value = self.ctx.store.get_setting(SETTING_TARGET, {})
        return value if isinstance(value, dict) else {}

    def has_obs_backup(self) -> bool:
        """Reads the store: call it from a task (bench/responsiveness.py --audit)."""
        return _has_backup(self.ctx, self.obs.target)

    def connect_obs(self, host: str, port: int, password: str | None, *, quiet: bool = False) -> None:
        """Connect (password None: the one in the keyring for host:port)."""
        ctx = self.ctx

        def op(_controller: Any) -> Any:
            from streamdesk.core import obs_ops

            target = obs_ops.target(ctx, host, port, password)
            info, streaming = self.obs.connect_to_blocking(
                lambda on_event: obs_ops.connect(ctx, target, events=True, on_event=on_event))
            return (info, streaming, obs_ops.configured_for_channel(ctx, self.obs.controller),
                    _has_backup(ctx, target))

        def done(result: Any) -> None:
            info, streaming, configured, has_backup = result
            self._obs_attached(info)
            self.obs_backup_changed.emit(has_backup)  # read by the task: no store read on the GUI thread
            if configured and self.state is State.PROVISIONED:
                self._fire(Event.OBS_CONFIGURED)
            if streaming:
                self._fire(Event.OBS_STREAMING)

        def failed(text: str, _error: BaseException) -> None:
            self.obs_info = None
            self.reachability.emit("obs", False)
            self.obs_connected.emit(None)
            if not quiet:
                self.message.emit("obs", "error", text)

        self._run_obs("connect_obs", "obs", op, done, failed, needs_connection=False)

    def _obs_attached(self, info: Any) -> None:
        self.obs_info = info
        self.reachability.emit("obs", True)
        self.obs_connected.emit(info)
        self.poll_health_now()

    def reattach_obs(self) -> None:
        """The OBS worker's connection came back after the controller gave OBS up (ExitStarted, or
        a failed health poll): take it back into use, which restarts health polling. Keeping that
        connection keeps its event thread, which reports the stream state OBS came back with. With
        no usable connection, connect again with the saved target and the keyring password."""
        def probe(controller: Any) -> Any:
            return None if controller is None else controller.info

        def done(info: Any) -> None:
            if info is None:
                self.reconnect_obs()
            else:
                self._obs_attached(info)

        self.obs.submit(probe, done, lambda _text, _error: self.reconnect_obs(), what="reattach OBS")

    def reconnect_obs(self) -> None:
        target = self.obs.target
        saved = self.obs_settings()
        host = getattr(target, "host", None) or saved.get("host")
        port = getattr(target, "port", None) or saved.get("port")
        if host and port:
            self.connect_obs(str(host), int(port), None, quiet=True)

    def plan_configure(self) -> None:
        if not self._check_key_expiry():
            return
        ctx = self.ctx

        def op(controller: Any) -> Any:
            from streamdesk.core import obs_ops

            return obs_ops.configure(ctx, dry_run=True, obs=controller).changes  # on the open connection

        self._run_obs("plan_configure", "obs", op, self.obs_plan.emit)

    def configure_and_start_obs(self) -> None:
        """The OBS stage's one click after its diff was shown: apply it, then start streaming."""
        self.configure_obs(then=self.start_obs_stream)

    def configure_obs(self, *, then: Callable[[], None] | None = None) -> None:
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
            if then is not None:
                then()

        self._run_obs("configure_obs", "obs", op, done)

    def undo_configure(self) -> None:
        ctx = self.ctx

        def op(controller: Any) -> Any:
            from streamdesk.core import obs_ops

            return obs_ops.restore(ctx, obs=controller)

        def done(_r: Any) -> None:
            self.obs_backup_changed.emit(False)
            if self.state is State.OBS_CONFIGURED:
                self.flow.reconcile(self.call or LocalCall(), provisioned=self.channel.is_provisioned,
                                    obs_configured=False)
            self.message.emit("obs", "ok", "OBS's previous stream settings are restored.")

        self._run_obs("undo_configure", "obs", op, done)

    def start_obs_stream(self) -> None:
        def done(_r: Any) -> None:
            self._fire(Event.OBS_STREAMING)
            self.poll_health_now()

        def failed(text: str, _error: BaseException) -> None:
            self.message.emit("obs", "error", f"{text} {self._ingest_hint()}" if self.key_expired() else text)

        self._run_obs("start_obs", "obs", lambda c: c.start_stream(), done, failed)

    def stop_obs_stream(self) -> None:
        def done(_r: Any) -> None:
            self._fire(Event.OBS_STOPPED)
            self.poll_health_now()  # the health line shows "not streaming" now, not the last bitrate

        self._run_obs("stop_obs", "obs", lambda c: c.stop_stream(), done)

    def _ingest_hint(self) -> str:
        if self.key_expired():
            return "The stream key has expired: rotate it in the Provision step and configure OBS again."
        return ("Check that OBS uses the server and stream key shown in the Provision step "
                "(press Configure OBS), and that this computer can reach the RTMPS server.")

    def poll_health_now(self) -> None:
        if self._health_in_flight or self.obs_info is None:
            return
        self._health_in_flight = True

        def done(health: StreamHealth | None) -> None:
            self._health_in_flight = False
            if health is not None:
                self._on_health(health)

        def failed(text: str, error: BaseException) -> None:
            self._health_in_flight = False
            if is_obs_gone(error):
                self._obs_lost()
            else:
                log.info("OBS health poll failed: %s", text)

        self.obs.submit(lambda c: c.health() if c is not None else None, done, failed, what="OBS health")

    def _on_health(self, health: StreamHealth) -> None:
        self.last_health = health
        self.obs_health.emit(health)
        active = bool(health.active)
        if active and self.state in (State.PROVISIONED, State.OBS_CONFIGURED):
            self._fire(Event.OBS_STREAMING)
        elif not active and self.state is State.READY:
            self._fire(Event.OBS_STOPPED)
        # "OBS connected but nothing arriving": output active, no bytes leaving for a while
        bitrate = health.bitrate_kbps or 0
        if active and bitrate <= 0 and not health.reconnecting:
            now = time.monotonic()  # bytes flow in real time, whatever clock the samples use
            self._silent_since = self._silent_since or now
            if now - self._silent_since >= NOTHING_ARRIVING_AFTER_S and not self._silent_warned:
                self._silent_warned = True  # once per silence, not on every health poll
                text = "OBS says it is streaming but no bytes are leaving it. " + self._ingest_hint()
                self.message.emit(STAGE_OF_STATE[self.state], "warning", text)
        else:
            self._silent_since = None
            self._silent_warned = False

    def _on_obs_event(self, obs_event: ObsEvent) -> None:
        kind, state = obs_event.kind, obs_event.state or ""
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
        elif kind == "exit" or (kind == "disconnected" and obs_event.final):
            self._obs_lost()
        elif kind == "disconnected":
            log.info("OBS connection dropped; the controller is reconnecting")
        elif kind == "reconnected":
            self.poll_health_now()
        self.obs_event.emit(obs_event)  # after acting on it: the watchdog sees the state it led to

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


def _has_backup(ctx: Any, target: Any) -> bool:
    """Is there an undo backup of OBS's settings for ``target`` (None: for any OBS)?"""
    from streamdesk.core.obs_ops import SETTING_BACKUP

    backup = ctx.store.get_setting(SETTING_BACKUP)
    return bool(backup) and (target is None or backup.get("obs") == target.scope)
