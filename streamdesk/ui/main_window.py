"""The main window: the checklist on the left, the current stage's card on the right, Force end
set apart at the bottom of the checklist, and a log one click away.

It only renders what the ``Controller`` reports and forwards clicks to it. Confirmations go
through ``self.confirm(title, text) -> bool`` (a modal that defaults to No), a seam tests replace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from streamdesk.core.flow import State
from streamdesk.ui import style
from streamdesk.ui.controller import FORCE_END_STATES, STAGE_OF_STATE, STAGES, Controller
from streamdesk.ui.obs_watchdog import ObsWatchdog
from streamdesk.ui.stages.account import AccountCard
from streamdesk.ui.stages.base import StageCard
from streamdesk.ui.stages.golive import GoLiveCard
from streamdesk.ui.stages.live import LiveCard
from streamdesk.ui.stages.obs import ObsCard
from streamdesk.ui.stages.provision import ProvisionCard
from streamdesk.ui.widgets.stepper import Stepper

log = logging.getLogger("streamdesk.ui")

WINDOW_SETTING = "ui.window"  # {"geometry": hex, "stage": name}
BADGES = {
    State.NEEDS_ACCOUNT: ("SETUP", ""),
    State.NEEDS_PROVISION: ("SETUP", ""),
    State.PROVISIONED: ("OFFLINE", ""),
    State.OBS_CONFIGURED: ("OFFLINE", ""),
    State.READY: ("BACKSTAGE", "warning"),
    State.GOING_LIVE: ("GOING LIVE…", "warning"),
    State.LIVE: ("● LIVE", "live"),
    State.ENDING: ("ENDING…", "warning"),
    State.ENDED: ("ENDED", ""),
}


class MainWindow(QMainWindow):
    def __init__(self, controller: Controller, *, simulator_url: str = "", demo: bool = False,
                 warm_up: bool = True) -> None:
        super().__init__()
        self.controller = controller
        self.demo = demo
        self.setObjectName("MainWindow")
        self.setWindowTitle("streamdesk — demo" if demo else "streamdesk")
        self.setMinimumSize(900, 600)
        self.confirm: Callable[[str, str], bool] = self._ask
        ask = lambda title, text: self.confirm(title, text)  # noqa: E731 - late-bound seam

        central = QWidget(self)
        self.setCentralWidget(central)
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        sidebar = QWidget(central)
        sidebar.setObjectName("Sidebar")
        sidebar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        sidebar.setFixedWidth(236)
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(14, 18, 14, 14)
        side.setSpacing(10)
        title = QLabel("streamdesk", sidebar)
        title.setObjectName("AppTitle")
        side.addWidget(title)
        self.badge = QLabel("SETUP", sidebar)
        self.badge.setObjectName("Badge")
        side.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft)
        side.addSpacing(6)
        self.stepper = Stepper(STAGES, sidebar)
        self.stepper.step_clicked.connect(self.show_stage)
        side.addWidget(self.stepper)
        side.addStretch(1)
        self.reach = QLabel("", sidebar)
        self.reach.setObjectName("reachability")
        self.reach.setProperty("role", "hint")
        self.reach.setWordWrap(True)
        side.addWidget(self.reach)
        self.log_button = QPushButton("Show log", sidebar)
        self.log_button.setObjectName("show_log")
        self.log_button.setToolTip("Show the log (Ctrl+L); secrets are redacted")
        self.log_button.clicked.connect(self.show_log)
        side.addWidget(self.log_button)
        self.emergency = QFrame(sidebar)
        self.emergency.setObjectName("Panel")
        em = QVBoxLayout(self.emergency)
        em.setContentsMargins(10, 8, 10, 10)
        em_title = QLabel("Emergency", self.emergency)
        em_title.setProperty("role", "hint")
        self.force_end_button = QPushButton("Force end", self.emergency)
        self.force_end_button.setObjectName("ForceEnd")
        self.force_end_button.setToolTip("Stop live on GetStream and stop OBS now, whatever this app "
                                         "believes (Ctrl+Shift+E)")
        self.force_end_button.clicked.connect(self.force_end)
        self.mark_ended = QCheckBox("also end the call", self.emergency)
        self.mark_ended.setObjectName("force_mark_ended")
        self.mark_ended.setToolTip("Marks the call ended: you will need to provision again to stream.")
        em.addWidget(em_title)
        em.addWidget(self.force_end_button)
        em.addWidget(self.mark_ended)
        side.addWidget(self.emergency)
        outer.addWidget(sidebar)

        self.stack = QStackedWidget(central)
        outer.addWidget(self.stack, 1)
        self.cards: dict[str, StageCard] = {
            "account": AccountCard(controller, self.stack, simulator_url=simulator_url),
            "provision": ProvisionCard(controller, self.stack),
            "obs": ObsCard(controller, self.stack),
            "golive": GoLiveCard(controller, self.stack, confirm=ask),
            "live": LiveCard(controller, self.stack, confirm=ask),
        }
        for card in self.cards.values():
            self.stack.addWidget(card)
        self.cards["provision"].next_button.clicked.connect(lambda: self.show_stage("obs"))
        self.cards["obs"].next_button.clicked.connect(lambda: self.show_stage("golive"))
        self.cards["live"].again.clicked.connect(self._leave_summary)
        self.viewed = "account"
        # OBS dropping or quitting: one notice, the end-or-wait offer on the Live card, reconnect
        self.obs_watchdog = ObsWatchdog(controller, self.cards["live"], confirm=ask)

        controller.state_changed.connect(self._on_state)
        controller.reachability.connect(self._on_reach)
        self._reach: dict[str, bool] = {}
        self.tray: Any = None
        self._warmed = not warm_up
        self._shortcuts()
        self._restore()
        self._on_state(controller.state.value, controller.state.value)

    # -- rendering ------------------------------------------------------------------------------
    def _on_state(self, _old: str, new: str) -> None:
        state = State(new)
        current = STAGE_OF_STATE[state]
        live_card: LiveCard = self.cards["live"]  # type: ignore[assignment]
        if not (live_card.summary_shown and self.viewed == "live"):
            self.viewed = current
        self.stack.setCurrentWidget(self.cards[self.viewed])
        self.stepper.set_state(current, self.viewed)
        text, level = BADGES[state]
        self.badge.setText(text)
        self.badge.setProperty("level", level)
        style.repolish(self.badge)
        self.emergency.setVisible(state in FORCE_END_STATES)
        self.force_end_button.setEnabled("force_end" not in self.controller.busy)
        if self.tray is not None:
            self.tray.setToolTip(f"streamdesk — {state.description}")

    def show_stage(self, stage: str) -> None:
        """Show a card; stages ahead of the flow are not reachable."""
        if self.stepper.status(stage) == "ahead" and stage != self.viewed:
            return
        if stage != "live":
            self.cards["live"].summary_shown = False  # type: ignore[attr-defined]
        self.viewed = stage
        self.stack.setCurrentWidget(self.cards[stage])
        self.stepper.set_state(self.stepper.current, stage)

    def _leave_summary(self) -> None:
        self.cards["live"].summary_shown = False  # type: ignore[attr-defined]
        self.show_stage(STAGE_OF_STATE[self.controller.state])

    def _on_reach(self, what: str, ok: bool) -> None:
        self._reach[what] = ok
        parts = []
        if "getstream" in self._reach:
            parts.append("GetStream ✔" if self._reach["getstream"] else "GetStream unreachable")
        if "obs" in self._reach:
            parts.append("OBS ✔" if self._reach["obs"] else "OBS not connected")
        self.reach.setText(" · ".join(parts))

    # -- actions --------------------------------------------------------------------------------
    def force_end(self) -> None:
        mark = self.mark_ended.isChecked()
        text = "Stops live on GetStream and stops OBS right now."
        if mark:
            text += " The call will be marked ended: you will need to provision again."
        if self.confirm("Force end the stream?", text):
            self.controller.force_end(mark_ended=mark)

    def show_log(self) -> None:
        from streamdesk.ui.log_view import LogView

        view = LogView(self.controller.ctx.paths.log_file, self)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        view.show()

    def press_primary(self) -> None:
        card = self.cards[self.viewed]
        target = card.primary()
        if target is not None and target.isEnabled() and target.isVisible():
            target.click()

    def _ask(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def _shortcuts(self) -> None:
        def add(keys: str | QKeySequence, slot: Callable[[], None]) -> None:
            QShortcut(QKeySequence(keys), self, activated=slot)

        add("Ctrl+Return", self.press_primary)
        add("Ctrl+Enter", self.press_primary)
        add("Ctrl+L", self.show_log)
        add("Ctrl+Shift+E", lambda: self.force_end() if self.emergency.isVisible() else None)
        add(QKeySequence.StandardKey.Refresh, self.controller.refresh)
        for i, stage in enumerate(STAGES, start=1):
            add(f"Ctrl+{i}", lambda s=stage: self.show_stage(s))

    # -- warm-up ------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._warmed:
            self._warmed = True
            QTimer.singleShot(0, self._warm_up)

    def _warm_up(self) -> None:
        """Import the heavy modules the flow needs later (pyqtgraph for the live charts, the
        GetStream and OBS clients) on a worker thread once the window is up: imported on the
        GUI thread at go-live, pyqtgraph alone froze the window for ~0.5-1.3 s."""

        def imports() -> None:
            import streamdesk.core.channel_ops
            import streamdesk.core.live
            import streamdesk.core.obs_ops
            import streamdesk.ui.widgets.charts  # noqa: F401

        self.controller.tasks.run(imports, what="warm-up imports")

    # -- tray -----------------------------------------------------------------------------------
    def install_tray(self) -> None:
        """A tray icon with the live state, where the desktop has a tray (cheap; after first paint)."""
        from PySide6.QtWidgets import QSystemTrayIcon

        if self.tray is not None or not QSystemTrayIcon.isSystemTrayAvailable():
            return
        self.tray = QSystemTrayIcon(self.windowIcon(), self)
        self.tray.setToolTip(f"streamdesk — {self.controller.state.description}")
        self.tray.activated.connect(lambda _r: (self.showNormal(), self.raise_(), self.activateWindow()))
        self.tray.show()

    # -- persistence ----------------------------------------------------------------------------
    def _restore(self) -> None:
        saved = self.controller.ctx.store.get_setting(WINDOW_SETTING, {}) or {}
        geometry = saved.get("geometry") if isinstance(saved, dict) else None
        if not (geometry and self.restoreGeometry(QByteArray.fromHex(geometry.encode()))):
            self.resize(1040, 720)
        self.saved_stage = saved.get("stage") if isinstance(saved, dict) else None

    def restore_stage(self) -> None:
        """Open the card the streamer last looked at, if the flow allows it now."""
        if self.saved_stage in STAGES and self.stepper.status(self.saved_stage) != "ahead":
            self.show_stage(self.saved_stage)

    def save_state(self) -> None:
        geometry = bytes(self.saveGeometry().toHex()).decode()
        self.controller.ctx.store.put_setting(WINDOW_SETTING, {"geometry": geometry, "stage": self.viewed})

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.controller.state in (State.LIVE, State.GOING_LIVE) and not self.demo and not self.confirm(
            "Quit while live?", "The call stays live on GetStream and OBS keeps streaming. "
            "streamdesk picks the session up again when you reopen it."
        ):
            event.ignore()
            return
        try:
            self.save_state()
        except Exception:
            log.exception("could not save the window state")
        self.controller.close()
        if self.tray is not None:
            self.tray.hide()
        event.accept()

