"""Ingest at the source, for the Connect OBS and Go live stages.

Two facts, each from its own source, kept apart: whether GetStream receives the stream (the
broadcaster among the call's participants: GetCall, through ``channel_ops.ingest_seen``) and
whether OBS's current server and key are this call's (read from OBS on the OBS thread). OBS's
own output bytes say neither. ``changed`` carries an :class:`IngestView`; every value belongs to
the moment it was read and is replaced by the next reading (unknown = None, never a guess).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from streamdesk.core.flow import State

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller

log = logging.getLogger(__name__)

#: states where ingest is worth asking about (live states have the recorder's GetCall instead)
_WATCHED = (State.PROVISIONED, State.OBS_CONFIGURED, State.READY)

RECEIVES = "GetStream receives your stream"
NOT_YET = "GetStream does not receive your stream yet"


@dataclass(frozen=True)
class IngestView:
    gs_receives: bool | None = None  # None: not known (not asked yet, or GetStream did not answer)
    mismatch: str | None = None  # OBS's server/key vs this call's; None when they match or unknown
    obs_known: bool = False  # OBS's settings were read (connected)


class IngestWatch(QObject):
    changed = Signal(object)  # IngestView

    def __init__(self, controller: Controller) -> None:
        super().__init__(controller)
        self.controller = controller
        self.view = IngestView()
        self._gs_in_flight = False
        self._obs_in_flight = False
        self.timer = QTimer(self)
        self.timer.setInterval(controller.health_timer.interval())
        self.timer.timeout.connect(self.poll_now)
        self.timer.start()
        # OBS changed (streaming, stopped, reconfigured) or the flow moved: ask again now
        controller.obs_health.connect(lambda _h: self.poll_now())
        controller.obs_connected.connect(lambda _i: self.poll_now())
        controller.obs_backup_changed.connect(lambda _b: self.poll_now())
        controller.state_changed.connect(lambda _o, _n: self.poll_now())

    def _set(self, **changes: Any) -> None:
        view = IngestView(**{**self.view.__dict__, **changes})
        if view != self.view:
            self.view = view
            self.changed.emit(view)

    def poll_now(self) -> None:
        c = self.controller
        channel = c.channel
        if c.state not in _WATCHED or not getattr(channel, "is_provisioned", False):
            self._set(gs_receives=None, mismatch=None, obs_known=False)
            return
        self._poll_getstream()
        self._poll_obs()

    def _poll_getstream(self) -> None:
        if self._gs_in_flight:
            return
        self._gs_in_flight = True
        ctx = self.controller.ctx

        def op() -> bool:
            from streamdesk.core import channel_ops

            return channel_ops.ingest_seen(ctx, timeout=5.0)

        def done(seen: Any) -> None:
            self._gs_in_flight = False
            self._set(gs_receives=bool(seen))

        def failed(text: str, _error: BaseException) -> None:
            self._gs_in_flight = False
            log.info("ingest check failed: %s", text)
            self._set(gs_receives=None)

        self.controller.tasks.run(op, done, failed, what="ask GetStream whether it receives the stream")

    def _poll_obs(self) -> None:
        if self._obs_in_flight or self.controller.obs_info is None:
            if self.controller.obs_info is None:
                self._set(mismatch=None, obs_known=False)
            return
        self._obs_in_flight = True
        ctx = self.controller.ctx
        streaming = self.controller.flow.obs_streaming

        def op(obs: Any) -> str | None:
            if obs is None:
                raise ConnectionError("OBS is not connected")
            from streamdesk.core import channel_ops
            from streamdesk.core.ingest import target_mismatch

            service_type, settings = obs.stream_service()
            channel = ctx.store.channel()
            try:
                key: str | None = channel_ops.stream_key(ctx)
            except channel_ops.NotProvisioned:
                key = None
            return target_mismatch(service_type, settings, channel.rtmps_url, key, streaming=streaming)

        def done(mismatch: Any) -> None:
            self._obs_in_flight = False
            self._set(mismatch=mismatch, obs_known=True)

        def failed(text: str, _error: BaseException) -> None:
            self._obs_in_flight = False
            log.info("reading OBS's stream settings failed: %s", text)
            self._set(mismatch=None, obs_known=False)

        self.controller.obs.submit(op, done, failed, what="read OBS's stream settings")
