"""``WindowActions``: the main window's navigation (stages, History, the Live summary) and what its
buttons and shortcuts open (Settings, About, the log, the shortcut list, Force end).

A base class of ``MainWindow``, apart so the window's module stays its layout and rendering. It is
imported before the first paint: the dialogs are imported when first opened, and ``QtCore.Qt``
is only looked up in ``show_log`` (see main_window's docstring for why).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore
from PySide6.QtWidgets import QLabel, QMainWindow

from streamdesk.ui.plain import ask as ask_plain
from streamdesk.ui.plain import plain
from streamdesk.ui.stage_map import STAGE_OF_STATE, STAGES

if TYPE_CHECKING:
    from PySide6.QtWidgets import QCheckBox, QPushButton, QStackedWidget

    from streamdesk.ui.controller import Controller
    from streamdesk.ui.stage_cards import StageCards
    from streamdesk.ui.stages.live import LiveCard
    from streamdesk.ui.widgets.stepper import Stepper

# confirmations whose Enter must not cut the show: they default to No
RISKY_CONFIRMATIONS = {"Force end the stream?", "Quit while live?", "Stop streaming in OBS?",
                       "End the stream?"}
SHORTCUTS = (
    ("Ctrl+Enter", "Press the current page's main button"),
    ("Ctrl+1 … Ctrl+5", "Go to a step: Account, Provision, Connect OBS, Go live, Live & end"),
    ("Ctrl+H", "History"),
    ("Ctrl+,", "Settings"),
    ("Ctrl+L", "Log"),
    ("F5", "Ask GetStream for the current state again"),
    ("Ctrl+Shift+E", "Force end (while live)"),
    ("Enter", "In a form: submit it; in a question: the highlighted answer"),
    ("F1", "This list"),
)


class WindowActions(QMainWindow):
    # built by MainWindow.__init__; declared here for the type checker
    controller: Controller
    cards: StageCards
    stack: QStackedWidget
    stepper: Stepper
    history: Any
    history_shown: bool
    history_button: QPushButton
    mark_ended: QCheckBox
    viewed: str
    confirm: Callable[[str, str], bool]

    # -- navigation -----------------------------------------------------------------------------
    def _summary_shown(self) -> bool:
        if not self.cards.is_built("live"):
            return False
        live_card: LiveCard = self.cards["live"]  # type: ignore[assignment]
        return bool(live_card.summary_shown)

    def show_stage(self, stage: str) -> None:
        """Show a card; stages ahead of the flow are not reachable."""
        current = STAGES.index(STAGE_OF_STATE[self.controller.state])
        if STAGES.index(stage) > current and stage != self.viewed:
            return
        if stage != "live" and self.cards.is_built("live"):
            self.cards["live"].summary_shown = False  # type: ignore[attr-defined]
        self.history_shown = False
        self.history_button.setChecked(False)
        self.viewed = stage
        self.stack.setCurrentWidget(self.cards[stage])
        self._render_stepper()

    def _render_stepper(self) -> None:
        summary = self.viewed == "live" and self._summary_shown()
        viewed = "" if self.history_shown else self.viewed  # no step is "here" on the History page
        self.stepper.set_state(STAGE_OF_STATE[self.controller.state], viewed, finished=summary)

    def show_history(self) -> None:
        """The History page (sessions, their charts, CSV export); the stage stays where it was."""
        if self.history is None:
            from streamdesk.ui.history_page import HistoryPage

            self.history = HistoryPage(self.controller.ctx.store, self.stack, ctx=self.controller.ctx,
                                       tasks=self.controller.tasks)  # aftershow: GetStream + background reads
            plain(*self.history.findChildren(QLabel))
            self.stack.addWidget(self.history)
        else:
            self.history.refresh()
        self.history_shown = True
        self.history_button.setChecked(True)
        self.stack.setCurrentWidget(self.history)
        self._render_stepper()

    def toggle_history(self) -> None:
        if self.history_shown:
            self.show_stage(self.viewed)
        else:
            self.show_history()

    def _leave_summary(self) -> None:
        self.cards["live"].summary_shown = False  # type: ignore[attr-defined]
        self.show_stage(STAGE_OF_STATE[self.controller.state])

    def press_primary(self) -> None:
        if self.history_shown:
            return
        card = self.cards[self.viewed]
        target = card.primary()
        if target is not None and target.isEnabled() and target.isVisible():
            target.click()

    # -- dialogs --------------------------------------------------------------------------------
    def show_settings(self) -> None:
        from streamdesk.ui.settings_dialog import SettingsDialog

        SettingsDialog(self.controller, self).exec()

    def show_about(self) -> None:
        from streamdesk.ui.about import AboutDialog

        AboutDialog(self).exec()

    def show_log(self) -> None:
        from streamdesk.ui.log_view import LogView

        view = LogView(self.controller.ctx.paths.log_file, self)
        view.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose, True)
        view.show()

    def show_shortcuts(self) -> None:
        """Help → Keyboard shortcuts."""
        from PySide6.QtWidgets import QMessageBox

        text = "\n".join(f"{keys}\t{what}" for keys, what in SHORTCUTS)
        box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", text,
                          QMessageBox.StandardButton.Close, self)
        box.setObjectName("shortcuts")
        box.exec()

    def _ask(self, title: str, text: str) -> bool:
        """A modal Yes/No in plain text. Enter presses the default button (or the one Tab moved the
        focus to): Yes for what the streamer just asked for, No where a slip would cut the show."""
        return ask_plain(self, title, text, default_no=title in RISKY_CONFIRMATIONS)

    def force_end(self) -> None:
        mark = self.mark_ended.isChecked()
        text = ("For when End does not work or this app is out of step with GetStream: stops live on "
                "GetStream and stops OBS right now, whatever state this app shows, without the usual "
                "checks. End (on the Live page) is the normal way.")
        if mark:
            text += " The call will also be marked ended: you will need to provision again to stream."
        if self.confirm("Force end the stream?", text):
            self.controller.force_end(mark_ended=mark)
