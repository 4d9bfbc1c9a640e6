"""Watch the OBS connection while the app runs: say once when it drops or OBS quits, offer to end
the show or wait while live, and reconnect by itself when OBS is back.

Where the signals come from: the controller's ``obs_event``, emitted on the GUI thread after the
controller has acted on each ``ObsController`` event.

OBS quitting normally sends ``exit`` (ExitStarted) at once; a crash or a
dead network shows as ``disconnected`` (not final: the event thread keeps reconnecting with
backoff), and if OBS is not back within ``grace_ms`` it is treated as gone. ``reconnected`` means
OBS answers again: if the controller gave OBS up meanwhile (``obs_info`` is None), the watchdog
asks it to take the reconnected connection back into use (``reattach_obs``), which brings health
polling back. The watchdog only listens to the controller's signals and calls its methods.

The offer is a small panel on the Live card: "End the stream" (the normal stop, confirmed through
the window's ``confirm`` seam) or "Wait for OBS" (hides the panel; reconnecting goes on).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from streamdesk.core.flow import State
from streamdesk.core.options import StopOptions
from streamdesk.ui.stages.base import button, hint_label, row

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller
    from streamdesk.ui.stages.base import StageCard

log = logging.getLogger("streamdesk.ui.obs")

#: a dropped OBS connection not back after this long is treated like OBS gone (the offer shows)
GRACE_MS = 5000
LIVE_STATES = (State.LIVE, State.GOING_LIVE)


class ObsGonePanel(QFrame):
    """The offer: what happened, and two ways on."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("ObsGone")
        self.setProperty("level", "warning")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        self.text = QLabel(self)
        self.text.setObjectName("obs_gone_text")
        self.text.setWordWrap(True)
        self.end = button("End the stream", self, "danger", name="obs_gone_end")
        self.wait = button("Wait for OBS", self, name="obs_gone_wait")
        self.hint = hint_label(self, "streamdesk reconnects as soon as OBS answers again.")
        layout.addWidget(self.text)
        layout.addLayout(row(self.end, self.wait, self.hint))
        self.hide()


class ObsWatchdog(QObject):
    offer_changed = Signal(bool)  # the "end or wait" offer is showing

    def __init__(self, controller: Controller, card: StageCard | None = None, *,
                 confirm: Callable[[str, str], bool] | None = None, grace_ms: int = GRACE_MS) -> None:
        super().__init__(controller)
        self.c = controller
        self.confirm = confirm or (lambda _title, _text: True)
        self.gone = False  # OBS quit, or stayed unreachable past the grace period
        self.dropped = False  # the connection broke and has not come back yet
        self.offering = False
        self.grace = QTimer(self)
        self.grace.setSingleShot(True)
        self.grace.setInterval(grace_ms)
        self.grace.timeout.connect(lambda: self._obs_gone("OBS is not answering."))
        self.panel: ObsGonePanel | None = None
        if card is not None:
            self.panel = ObsGonePanel(card.widget())
            card.body.insertWidget(0, self.panel)
            self.panel.end.clicked.connect(lambda _=False: self.end_show())
            self.panel.wait.clicked.connect(lambda _=False: self.keep_waiting())
        # the controller emits obs_event after acting on it: its state is up to date when we look
        controller.obs_event.connect(self._on_event)
        controller.state_changed.connect(self._on_state)

    # -- what OBS tells us ----------------------------------------------------------------------
    def _on_event(self, event: Any) -> None:
        kind = str(getattr(event, "kind", ""))
        if kind == "exit":
            self._obs_gone("OBS quit.")
        elif kind == "disconnected":
            if getattr(event, "final", False):
                self.grace.stop()  # OBS refused us for good (kicked, password): the controller says so
                return
            if self.dropped or self.gone:
                return  # the reconnect loop reports every failed attempt: one notice is enough
            self.dropped = True
            log.info("OBS connection dropped: %s", getattr(event, "detail", ""))
            self.c.notify(self._stage(), "warning", "Lost the connection to OBS; reconnecting…")
            self.grace.start()
        elif kind == "reconnected":
            self._back()

    def _on_state(self, _old: str, new: str) -> None:
        if State(new) not in LIVE_STATES and self.offering:
            self._show_offer(False)  # the show ended: nothing left to decide

    def _stage(self) -> str:
        return "live" if self.c.state in LIVE_STATES else "obs"

    def _obs_gone(self, why: str) -> None:
        self.grace.stop()
        if self.gone:
            return
        self.gone = self.dropped = True
        if self.c.state in LIVE_STATES:
            text = (f"{why} The call is still live on GetStream, but no new video reaches viewers. "
                    "End the stream, or wait: streamdesk reconnects as soon as OBS is back.")
            self._show_offer(True, text)
        else:
            text = f"{why} streamdesk reconnects as soon as OBS is back."
        self.c.notify(self._stage(), "warning", text)

    def _back(self) -> None:
        self.grace.stop()
        if not (self.dropped or self.gone):
            return
        self.gone = self.dropped = False
        self._show_offer(False)
        if self.c.obs_info is None:
            self.c.reattach_obs()
        self.c.notify(self._stage(), "ok", "OBS is back and connected.")

    # -- the offer --------------------------------------------------------------------------------
    def _show_offer(self, on: bool, text: str = "") -> None:
        if self.panel is not None:
            if text:
                self.panel.text.setText(text)
            self.panel.setVisible(on)
        if on != self.offering:
            self.offering = on
            self.offer_changed.emit(on)

    def end_show(self) -> None:
        """End the stream now (OBS is not there to stop)."""
        if self.confirm("End the stream?", "The call goes back to backstage; viewers see the stream end."):
            self._show_offer(False)
            self.c.stop_live(StopOptions(), stop_obs=False)

    def keep_waiting(self) -> None:
        self._show_offer(False)
