"""An inline message under a card's title: error, warning, ok or info, one sentence, closable."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from streamdesk.ui import style
from streamdesk.ui.plain import plain

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
        plain(self.label)  # error text carries GetStream/OBS messages: never rich text
        # by name: the first lookup of QtCore.Qt builds its enums, and a banner is on screen at start-up
        self.label.setProperty("textInteractionFlags", "TextSelectableByMouse")
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.clear)
        for at_top in (self.icon, close):  # at their own height, on top (as AlignTop would)
            at_top.setSizePolicy(at_top.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Maximum)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    @property
    def text(self) -> str:
        parent = self.parentWidget()
        return self.label.text() if parent is not None and self.isVisibleTo(parent) else ""

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
