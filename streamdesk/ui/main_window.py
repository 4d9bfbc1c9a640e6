"""The main window: the checklist on the left, the current stage's card on the right, Force end
set apart at the bottom of the checklist, and a log one click away.

It only renders what the ``Controller`` reports and forwards clicks to it. Confirmations go
through ``self.confirm(title, text) -> bool`` (a modal that defaults to No), a seam tests replace.

Nothing before the first paint touches ``QtCore.Qt``: PySide6 builds that namespace's ~90 Python
enums the first time it is looked up (~10% of the app's start-up, bench/startup.py). The sidebar is a
QFrame (style sheet backgrounds without an attribute), the badge does not stretch by its size policy,
and the clickable cursors are set after the paint; ``QtCore.Qt`` is only looked up after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore
from PySide6.QtCore import QByteArray, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from streamdesk.core.flow import State
from streamdesk.ui import style
from streamdesk.ui.history_page import nav_button
from streamdesk.ui.plain import plain
from streamdesk.ui.stage_cards import StageCards, card_factories
from streamdesk.ui.stage_map import (
    BADGES,
    FORCE_END_STATES,
    LIVE_STATES,
    STAGE_OF_STATE,
    STAGES,
    STATUS_OF_STATE,
)
from streamdesk.ui.status_wiring import StatusWiring
from streamdesk.ui.widgets.stepper import Stepper
from streamdesk.ui.window_actions import RISKY_CONFIRMATIONS, SHORTCUTS, WindowActions  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QPaintEvent

    from streamdesk.ui.controller import Controller
    from streamdesk.ui.obs_watchdog import ObsWatchdog
    from streamdesk.ui.stages.base import StageCard

log = logging.getLogger("streamdesk.ui")

COMPACT_WINDOW = 760  # narrower than this, the sidebar folds away


class MainWindow(WindowActions):
    """The layout and its rendering; navigation and dialogs are in ``WindowActions``.

    Built in two steps so start-up can paint before the controller (and the store and task pool
    behind it) exists: the constructor builds the shell — sidebar, badge, checklist, status strip
    and the page's skeleton — and ``attach`` wires a controller: the busy bar, the cards' builders,
    the signals, the shortcuts. Given a controller, the constructor attaches it at once."""

    def __init__(self, controller: Controller | None = None, *, simulator_url: str = "", demo: bool = False,
                 warm_up: bool = True, window_state: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.demo = demo
        self.attached = False
        self._simulator_url = simulator_url
        self.setObjectName("MainWindow")
        self.setWindowTitle("streamdesk — demo" if demo else "streamdesk")
        self.setMinimumSize(480, 420)  # a narrow window beside OBS gets the compact layout
        self.confirm: Callable[[str, str], bool] = self._ask
        self._ask_late = lambda title, text: self.confirm(title, text)  # late-bound seam

        central = QWidget(self)
        self.setCentralWidget(central)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        outer = QHBoxLayout()
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        column.addLayout(outer, 1)
        from streamdesk.ui.widgets.status_bar import CockpitStatus

        self.status = CockpitStatus(central)  # on every page: on air, state, numbers, OBS, ingest
        column.addWidget(self.status)

        # a QFrame paints its style sheet background (a QWidget needs WA_StyledBackground)
        sidebar = self.sidebar = QFrame(central)
        sidebar.setObjectName("Sidebar")
        sidebar.setFixedWidth(236)
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(14, 18, 14, 14)
        side.setSpacing(10)
        title = QLabel("streamdesk", sidebar)
        title.setObjectName("AppTitle")
        side.addWidget(title)
        self.badge = QLabel("SETUP", sidebar)
        self.badge.setObjectName("Badge")
        # as wide as its text, on the left (what AlignLeft would do, without Qt's enums before the paint)
        self.badge.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        side.addWidget(self.badge)
        self.demo_notice: QLabel | None = None
        if demo:
            self.demo_notice = QLabel("Demo: GetStream and OBS are simulated here. Everything you do "
                                      "is thrown away when you quit.", sidebar)
            self.demo_notice.setObjectName("DemoNotice")
            self.demo_notice.setWordWrap(True)
            side.addWidget(self.demo_notice)
        side.addSpacing(6)
        self.stepper = Stepper(STAGES, sidebar)
        side.addWidget(self.stepper)
        self.history_button = nav_button(sidebar)
        side.addSpacing(8)
        side.addWidget(self.history_button)
        side.addStretch(1)
        self.reach = QLabel("", sidebar)
        self.reach.setObjectName("reachability")
        self.reach.setProperty("role", "hint")
        self.reach.setWordWrap(True)
        side.addWidget(self.reach)
        self.log_button = QPushButton("Show log", sidebar)
        self.log_button.setObjectName("show_log")
        self.log_button.setToolTip("Show the log (Ctrl+L); secrets are redacted")
        self.settings_button = QPushButton("Settings", sidebar)
        self.settings_button.setObjectName("show_settings")
        self.settings_button.setToolTip("Discord notifications and the live refresh interval (Ctrl+,)")
        self.about_button = QPushButton("About", sidebar)
        self.about_button.setObjectName("show_about")
        self.about_button.setToolTip("About streamdesk: version and licences. Keyboard shortcuts: F1")
        tools = QHBoxLayout()
        tools.setSpacing(6)
        for b in (self.log_button, self.settings_button, self.about_button):
            b.setStyleSheet("padding: 6px 4px;")  # three fit the sidebar's width
            tools.addWidget(b)
        self.log_button.setText("Log")
        side.addLayout(tools)
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
        self.mark_ended = QCheckBox("also end the call", self.emergency)
        self.mark_ended.setObjectName("force_mark_ended")
        self.mark_ended.setToolTip("Marks the call ended: you will need to provision again to stream.")
        em.addWidget(em_title)
        em.addWidget(self.force_end_button)
        em.addWidget(self.mark_ended)
        side.addWidget(self.emergency)
        outer.addWidget(sidebar)

        self.stack = QStackedWidget(central)
        self._page = QVBoxLayout()  # the busy bar goes above the stack when a controller is attached
        self._page.addWidget(self.stack, 1)
        outer.addLayout(self._page, 1)
        # the first frame shows the page's skeleton (its empty panel); the card itself is built on the
        # event-loop turn after the paint, with the others (build_cards): ~60 M instructions, 7% of
        # the start-up, that the first paint need not wait for (bench/startup.py --phases)
        self._skeleton: QWidget | None = QWidget(self.stack)
        self._skeleton.setObjectName("PageSkeleton")
        self.stack.addWidget(self._skeleton)
        self.viewed = "account"
        self.history: Any = None  # the History page, built when first opened
        self.history_shown = False
        self._obs_watchdog: ObsWatchdog | None = None
        self._reach: dict[str, bool] = {}
        self.tray: Any = None
        self._warmed = not warm_up
        self._painted = False
        self._cursors_set = False
        # a flow starts in NEEDS_ACCOUNT: what the shell shows until the controller reports
        self._render_state(State.NEEDS_ACCOUNT, polished=False)
        self.stepper.set_state(STAGE_OF_STATE[State.NEEDS_ACCOUNT], self.viewed)
        if controller is not None and window_state is None:
            window_state = controller.window_state()
        self._restore(window_state or {})
        plain(*self.findChildren(QLabel))  # remote text is text (ui/plain.py); cards: _card_built
        if controller is not None:
            self.attach(controller)

    def attach(self, controller: Controller) -> None:
        """Wire ``controller`` into the shell (at start-up on the event-loop turn after the first
        paint): the busy bar, the cards' builders, the clicks, the signals the window renders and
        the shortcuts; then show its state."""
        if self.attached:
            raise RuntimeError("the window already has its controller")
        self.controller = controller
        self.attached = True
        # from now on worker threads run; a collection there could free a Qt object off its thread
        from streamdesk.ui.gui_gc import collect_on_gui_thread

        collect_on_gui_thread()
        # hostile (issue 13): long GetStream operations show here, with Cancel
        from streamdesk.ui.busy_bar import BusyBar

        self.busy_bar = BusyBar(controller, self.centralWidget())
        self._page.insertWidget(0, self.busy_bar)
        factories = card_factories(controller, self.stack, confirm=self._ask_late,
                                   simulator_url=self._simulator_url)
        self.cards = StageCards(self.stack, factories, self._card_built)
        self.stepper.step_clicked.connect(self.show_stage)
        self.history_button.clicked.connect(self.toggle_history)
        self.log_button.clicked.connect(self.show_log)
        self.settings_button.clicked.connect(self.show_settings)
        self.about_button.clicked.connect(self.show_about)
        self.force_end_button.clicked.connect(self.force_end)
        controller.session_ended.connect(lambda _s: self.history.refresh() if self.history else None)
        # every card exists before the controller reports anything (its first signal is in start())
        controller.starting.connect(self.build_cards)
        controller.state_changed.connect(self._on_state)
        controller.reachability.connect(self._on_reach)
        # the status strip's numbers and on-air clock (ui/status_wiring.py)
        self.status_wiring = StatusWiring(controller, self.status, self)
        # imported here: QKeySequence and QShortcut are new types to PySide6 (~3 ms), after the paint
        from streamdesk.ui.shortcuts import install_shortcuts

        install_shortcuts(self)
        # a shown window was polished with the shell's state: restyle it (repolish looks up QtCore.Qt,
        # which a window not shown yet need not pay for)
        self._on_state(controller.state.value, controller.state.value, polished=self.isVisible())
        if self._painted:  # what the first paint deferred until there was a controller
            self._after_first_paint()

    def show_startup_failure(self, text: str) -> None:
        """Start-up failed after the paint (the database cannot be opened): the sentence on the page,
        in place of the skeleton; the app exits non-zero when the streamer closes the window."""
        failure = QLabel(f"streamdesk could not start: {text}", self.stack)
        failure.setObjectName("StartupFailure")
        failure.setWordWrap(True)
        plain(failure)
        self.stack.addWidget(failure)
        self.stack.setCurrentWidget(failure)

    # -- stage cards ----------------------------------------------------------------------------
    def _card_built(self, stage: str, card: StageCard) -> None:
        """Wiring that belongs to one card, done when that card comes to exist."""
        plain(*card.findChildren(QLabel))  # any label may show GetStream/OBS text: never rich text
        if stage == "provision":
            card.next_button.clicked.connect(lambda: self.show_stage("obs"))  # type: ignore[attr-defined]
        elif stage == "obs":
            card.next_button.clicked.connect(lambda: self.show_stage("golive"))  # type: ignore[attr-defined]
        elif stage == "live":
            card.again.clicked.connect(self._leave_summary)  # type: ignore[attr-defined]

    def build_cards(self) -> None:
        """Build every card not built yet, and the OBS watchdog (it shows on the Live card); the
        page's skeleton gives way to its card."""
        self.cards.build_all()
        if self._skeleton is not None:
            skeleton, self._skeleton = self._skeleton, None
            self._show_page()
            self.stack.removeWidget(skeleton)
            skeleton.deleteLater()
        if self._obs_watchdog is None:
            from streamdesk.ui.obs_watchdog import ObsWatchdog

            # OBS dropping or quitting: one notice, the end-or-wait offer on the Live card, reconnect
            self._obs_watchdog = ObsWatchdog(self.controller, self.cards["live"], confirm=self._ask_late)
            plain(*self.cards["live"].findChildren(QLabel))  # the watchdog's offer sits on it

    @property
    def obs_watchdog(self) -> ObsWatchdog:
        self.build_cards()
        assert self._obs_watchdog is not None
        return self._obs_watchdog

    # -- rendering ------------------------------------------------------------------------------
    def _on_state(self, _old: str, new: str, *, polished: bool = True) -> None:
        """``polished=False`` before the window first shows: nothing is polished yet (the style sheet
        reads the badge's level then), and style.repolish looks up ``QtCore.Qt``."""
        state = State(new)
        current = STAGE_OF_STATE[state]
        if not (self.viewed == "live" and self._summary_shown()):
            self.viewed = current
        self._show_page()
        self._render_stepper()
        # a reading belongs to its state: unknown until the next one (the live poll's, or the watch's)
        ingest = getattr(self.controller, "ingest", None)
        if polished:  # (set_ingest repolishes; the strip starts at "—" anyway)
            watched = None if ingest is None or state in LIVE_STATES else ingest.view.gs_receives
            self.status.set_ingest(watched)
        if state is State.LIVE and self.controller.session is not None:
            self.status_wiring.clock.start()
        self._render_state(state, polished=polished)
        self.force_end_button.setEnabled("force_end" not in self.controller.busy)
        if self.tray is not None:
            self.tray.setToolTip(f"streamdesk — {state.description}")

    def _render_state(self, state: State, *, polished: bool) -> None:
        """The badge, the status strip's state and Force end's panel: what the shell shows of a state."""
        text, level = BADGES[state]
        self.status.set_state(STATUS_OF_STATE.get(state, "OFFLINE"), polished=polished)
        self.badge.setText(text)
        self.badge.setProperty("level", level)
        if polished:
            style.repolish(self.badge)
        self.emergency.setVisible(state in FORCE_END_STATES)

    def _show_page(self) -> None:
        if self._skeleton is not None and not (self.attached and self.cards.is_built(self.viewed)):
            self.stack.setCurrentWidget(self._skeleton)  # before the first paint: build_cards replaces it
        else:
            self.stack.setCurrentWidget(self.history if self.history_shown else self.cards[self.viewed])

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        # narrow beside OBS: the page gets the whole width (the status strip keeps the state)
        self.sidebar.setVisible(self.width() >= COMPACT_WINDOW)
        self.status.set_compact(self.width() < COMPACT_WINDOW)

    def _on_reach(self, what: str, ok: bool) -> None:
        self._reach[what] = ok
        parts = []
        if "getstream" in self._reach:
            parts.append("GetStream ✔" if self._reach["getstream"] else "GetStream unreachable")
        if "obs" in self._reach:
            parts.append("OBS ✔" if self._reach["obs"] else "OBS not connected")
        self.reach.setText(" · ".join(parts))

    # -- after the first paint ------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        """What start-up deferred so the window paints sooner: the cards, then the warm-up imports;
        both need the controller, so a window that painted its shell alone does them when attached."""
        if not self._cursors_set:
            self._cursors_set = True
            self._hand_cursors()
        if not self.attached:
            return
        self.build_cards()
        if not self._warmed:
            self._warmed = True
            self._warm_up()

    def _hand_cursors(self) -> None:
        """The pointing hand over the checklist steps and History: set here, not where they are
        built, because ``QtCore.Qt`` costs its enums the first time it is looked up (module docstring)."""
        hand = QtCore.Qt.CursorShape.PointingHandCursor
        for button in (*self.stepper.buttons.values(), self.history_button):
            button.setCursor(hand)

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
        if self.tray is None:
            from streamdesk.ui.shortcuts import tray_icon

            self.tray = tray_icon(self, self.controller.state.description)

    # -- persistence ----------------------------------------------------------------------------
    def _restore(self, saved: dict[str, Any]) -> None:
        geometry = saved.get("geometry")
        # any JSON may be saved there (it is the streamer's file): only a hex string is a geometry
        if not (isinstance(geometry, str) and geometry
                and self.restoreGeometry(QByteArray.fromHex(geometry.encode()))):
            self.resize(1040, 720)
        self.saved_stage = saved.get("stage")

    def restore_stage(self) -> None:
        """Open the card the streamer last looked at, if the flow allows it now."""
        if self.saved_stage in STAGES and self.stepper.status(self.saved_stage) != "ahead":
            self.show_stage(self.saved_stage)

    def save_state(self) -> None:
        geometry = bytes(self.saveGeometry().toHex().data()).decode()
        self.controller.save_window_state({"geometry": geometry, "stage": self.viewed})

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.attached:  # closed before start-up attached a controller, or after it failed
            event.accept()
            return
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
        if self.cards.is_built("live"):
            self.cards["live"].close_chat()  # type: ignore[attr-defined]
        self.controller.close()
        if self.tray is not None:
            self.tray.hide()
        event.accept()

