"""The wizard's brain, without widgets: owns the ``Flow``, runs every operation off the GUI
thread, and reports back with signals. The window renders what this object says; tests drive it
through the window's buttons, or directly (it needs no window).

Assembled from one class per concern (see ``controller_base``): GetStream (``controller_getstream``),
OBS (``controller_obs``) and the live session (``controller_live``). What is left here is start-up
and reconciling with GetStream, which decides between them, and shutting down.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from streamdesk.core.errors import NetworkUnreachable
from streamdesk.core.flow import State
from streamdesk.ui.controller_base import CANCELLABLE, LocalCall
from streamdesk.ui.controller_getstream import GetStreamOps
from streamdesk.ui.controller_live import LiveOps
from streamdesk.ui.controller_obs import ObsOps
from streamdesk.ui.stage_map import FORCE_END_STATES, STAGE_OF_STATE, STAGES

if TYPE_CHECKING:
    from streamdesk.core.getstream import CallState

__all__ = ["CANCELLABLE", "FORCE_END_STATES", "STAGES", "STAGE_OF_STATE", "Controller"]

log = logging.getLogger("streamdesk.ui")

REFRESH_RETRY_MIN_MS, REFRESH_RETRY_MAX_MS = 5_000, 60_000  # reconnecting to GetStream after a failed refresh


class Controller(LiveOps, ObsOps, GetStreamOps):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # GetStream unreachable when reconciling (e.g. a restart while live, offline for a moment):
        # try again by itself, backing off, so a live show resumes recording without an F5.
        self.refresh_retry = QTimer(self)
        self.refresh_retry.setSingleShot(True)
        self._retry_settle: bool = False
        self.refresh_retry.timeout.connect(lambda: self.refresh(settle=self._retry_settle))
        # "GetStream receives your stream" and OBS's server/key, each from its source
        from streamdesk.ui.ingest_watch import IngestWatch

        self.ingest = IngestWatch(self)

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
            self.flow.reconcile(LocalCall() if self.channel.is_provisioned else None,
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

        def op() -> CallState | None:
            from streamdesk.core import channel_ops

            return channel_ops.fetch_call(self.ctx)

        def done(call: CallState | None) -> None:
            self.refresh_retry.stop()
            self.refresh_retry.setInterval(0)
            self.reachability.emit("getstream", True)
            self._apply_call(call, settle=settle)

        def failed(text: str, error: BaseException) -> None:
            # only a network failure is "unreachable"; a 401 or a 5xx says what it is itself
            if not isinstance(error, NetworkUnreachable):
                self.message.emit(STAGE_OF_STATE[self.state], "error", "GetStream: " + text)
                return
            wait_ms = min(REFRESH_RETRY_MAX_MS, max(REFRESH_RETRY_MIN_MS, self.refresh_retry.interval() * 2))
            self._retry_settle = settle
            self.refresh_retry.start(wait_ms)
            self.message.emit(STAGE_OF_STATE[self.state], "error",
                              f"Could not reach GetStream: {text} Trying again in {wait_ms // 1000} s.")

        self._run("refresh", STAGE_OF_STATE[self.state], op, done, failed, clear=False)

    def _apply_call(self, call: CallState | None, *, settle: bool = False) -> None:
        self.call = call
        self.call_changed.emit(call)
        in_flight = {"go_live", "stop_live", "force_end"} & self.busy
        if self.state in (State.GOING_LIVE, State.ENDING) and (in_flight or not settle):
            return  # an operation in flight owns the next transition
        was = self.state
        new = self.flow.reconcile(call, has_account=self.channel.has_account,
                                  provisioned=self.channel.is_provisioned)
        resuming = "resume" in self.busy
        went_live = new is State.LIVE and (was is not State.LIVE or self.session is None)
        if call is not None and went_live and not resuming:
            self._resume_session(call)
        elif call is not None and not call.is_live and self.session is None:
            self._stale_row_ended()
        elif call is not None and not call.is_live and self.session is not None:
            # ended elsewhere (GetStream's dashboard, the CLI) and this refresh saw it before the
            # next live poll did: the session's last poll closes the row with the last chat
            self._end_session()

    # -- shutdown -----------------------------------------------------------------------------
    def close(self) -> None:
        """Stop timers, wait (bounded) for running tasks, release the recorder and OBS."""
        self.live_timer.stop()
        self.health_timer.stop()
        self.refresh_retry.stop()
        self.ingest.timer.stop()
        self.tasks.close()
        self.recorder.close()
        self.obs.close()
