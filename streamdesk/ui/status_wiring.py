"""``StatusWiring``: feeds the cockpit's status strip from the controller's signals.

Out of ``MainWindow`` so the window stays a layout; imported before the first paint, so it only
imports what the window already did (PySide6.QtCore).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller
    from streamdesk.ui.widgets.status_bar import CockpitStatus


class StatusWiring(QObject):
    """The strip's numbers (viewers, chat rate, ingest, OBS health) and its on-air clock, which
    ticks once a second while a session runs."""

    def __init__(self, controller: Controller, status: CockpitStatus, parent: QObject) -> None:
        super().__init__(parent)
        self.controller = controller
        self.status = status
        controller.snapshot.connect(self.on_snapshot)
        controller.obs_health.connect(self.on_health)
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self.tick)
        controller.session_started.connect(self.on_started)
        controller.session_ended.connect(self.on_ended)
        ingest = getattr(controller, "ingest", None)  # "GetStream receives your stream" (ui/ingest_watch.py)
        if ingest is not None:
            ingest.changed.connect(lambda view: self.status.set_ingest(getattr(view, "gs_receives", None)))

    def on_started(self, _session: Any) -> None:
        self.status.set_on_air(0)  # the last show's length gives way at once, not at the first tick
        self.clock.start()

    def on_snapshot(self, snap: Any) -> None:
        if self.controller.session is None:
            return
        self.status.set_viewers(getattr(snap, "viewers", None))
        self.status.set_chat_rate(getattr(snap, "chat_per_minute", None))
        self.status.set_ingest(getattr(snap, "gs_receives", None))  # GetStream's reply to this poll

    def on_health(self, health: Any) -> None:
        if not getattr(health, "active", False):
            self.status.set_obs(None, None, streaming=False)
        elif getattr(health, "measuring", False):
            self.status.set_obs(None, getattr(health, "dropped_pct", None))
        else:
            self.status.set_obs(getattr(health, "bitrate_kbps", None), getattr(health, "dropped_pct", None))

    def tick(self) -> None:
        session = self.controller.session
        if session is None:
            self.clock.stop()
            return
        self.status.set_on_air(self.controller.clock() - session.started_at)

    def on_ended(self, session: Any) -> None:
        self.clock.stop()
        started, ended = getattr(session, "started_at", None), getattr(session, "ended_at", None)
        if started is not None and ended is not None:
            self.status.set_last_show(ended - started)
        else:
            self.status.set_on_air(None)
        self.status.set_viewers(None)
        self.status.set_chat_rate(None)
