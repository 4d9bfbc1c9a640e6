"""The History page in the main window: ``HistoryView`` (past sessions, their charts, CSV export)
under a title like the stage cards', and the sidebar entry that opens it.

Built the first time it is opened: it draws charts, and pyqtgraph must not load before the
window's first paint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from streamdesk.ui import style

if TYPE_CHECKING:
    from streamdesk.core.store import Store

SHORTCUT = "Ctrl+H"


class HistoryPage(QWidget):
    def __init__(self, store: Store, parent: QWidget | None = None, *, ctx: Any = None,
                 tasks: Any = None) -> None:
        super().__init__(parent)
        from streamdesk.ui.history import HistoryView

        self.setObjectName("HistoryPage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 22)
        layout.setSpacing(10)
        title = QLabel("History", self)
        title.setObjectName("CardTitle")
        subtitle = QLabel("Every show you streamed, with its trend: pick one for its summary, charts, "
                          "recordings and transcripts. Export as CSV, PNG or markdown.", self)
        subtitle.setObjectName("CardSubtitle")
        subtitle.setWordWrap(True)
        self.view = HistoryView(store, self, ctx=ctx, tasks=tasks)
        view_layout = self.view.layout()
        if view_layout is not None:
            view_layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.view, 1)

    def refresh(self) -> None:
        """Reload from the database (local and quick; called when shown and when a show ends)."""
        self.view.refresh()


def nav_button(parent: QWidget) -> QPushButton:
    """The sidebar entry: looks like a checklist step, checked while the page is shown."""
    button = QPushButton("🕘   History", parent)
    button.setObjectName("nav-history")
    button.setCheckable(True)
    button.setFlat(True)
    button.setToolTip(f"Past shows with their charts; export CSV ({SHORTCUT})")
    button.setStyleSheet("QPushButton { text-align: left; padding: 9px 12px; border-radius: 6px; "
                         "border: none; font-size: 13px; }"
                         f"QPushButton:checked {{ background: {style.tint(style.INFO_BLUE, 40)}; "
                         "font-weight: 650; }")
    return button
