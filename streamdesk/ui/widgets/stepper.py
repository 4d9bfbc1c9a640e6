"""The checklist on the left: Account → Provision → Connect OBS → Go live → Live & end.

Each step is a button showing ✓ when done, ● when current, ○ when still ahead. Done steps can be
clicked to revisit their card; steps ahead stay disabled with the reason as tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from streamdesk.ui import style

STEP_TITLES = {
    "account": "Account",
    "provision": "Provision",
    "obs": "Connect OBS",
    "golive": "Go live",
    "live": "Live && end",  # && : a literal & in a button
}


class Stepper(QWidget):
    step_clicked = Signal(str)

    def __init__(self, stages: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stages = stages
        self.current = stages[0]
        self.viewed = stages[0]
        self.finished = False  # the show's summary is up: every step, Live & end included, is done
        self.buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for i, stage in enumerate(stages):
            button = QPushButton(self)
            button.setObjectName(f"step-{stage}")
            button.setCheckable(True)
            button.setFlat(True)
            button.setStyleSheet("QPushButton { text-align: left; padding: 9px 12px; border-radius: 6px; "
                                 "border: none; font-size: 13px; }"
                                 f"QPushButton:checked {{ background: {style.tint(style.INFO_BLUE, 40)}; "
                                 "font-weight: 650; }")
            button.clicked.connect(lambda _=False, s=stage: self.step_clicked.emit(s))
            button.setProperty("index", i + 1)
            layout.addWidget(button)
            self.buttons[stage] = button
        self.set_state(stages[0], stages[0])

    def status(self, stage: str) -> str:
        """'done', 'current' or 'ahead'."""
        if self.finished:
            return "done"
        i, c = self.stages.index(stage), self.stages.index(self.current)
        return "done" if i < c else "current" if i == c else "ahead"

    def set_state(self, current: str, viewed: str, *, finished: bool = False) -> None:
        """``finished``: the streamer is reading the summary of a show that just ended; the flow
        has moved back (to Connect OBS or Go live) but that is where the *next* show starts."""
        self.current, self.viewed, self.finished = current, viewed, finished
        for i, stage in enumerate(self.stages):
            status = self.status(stage)
            mark = {"done": "✓", "current": "●", "ahead": "○"}[status]
            button = self.buttons[stage]
            button.setText(f"{mark}   {i + 1}. {STEP_TITLES[stage]}")
            button.setEnabled(status != "ahead")
            button.setChecked(stage == viewed)
            button.setProperty("status", status)
            button.setToolTip(f"Show this step (Ctrl+{i + 1})" if status != "ahead"
                              else "Finish the steps above first.")
            button.setAccessibleName(f"{STEP_TITLES[stage]} ({status})")
