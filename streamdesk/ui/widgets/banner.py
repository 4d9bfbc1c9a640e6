"""An inline message under a card's title: error, warning, ok or info, one sentence, closable."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from streamdesk.ui import style

ICONS = {"error": "⛔", "warning": "⚠", "ok": "✔", "info": "ℹ"}


class Banner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        self.level = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.icon = QLabel(self)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.clear)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisibleTo(self.parentWidget()) else ""

    def show_message(self, level: str, text: str) -> None:
        if level == "clear" or not text:
            self.clear()
            return
        self.level = level
        self.setProperty("level", level)
        self.icon.setText(ICONS.get(level, ""))
        self.label.setText(text)
        style.repolish(self)
        self.show()

    def clear(self) -> None:
        self.level = ""
        self.label.setText("")
        self.hide()
