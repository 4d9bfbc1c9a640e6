"""The history page: past sessions in a table; selecting one shows its charts from the stored samples.

Reads only the local database (no network), so it runs on the GUI thread: even a 12-hour session's
43,200 samples load in well under 100 ms.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from streamdesk.core import stats
from streamdesk.core.store import Session, Store
from streamdesk.ui.widgets.charts import LiveCharts

COLUMNS = ("Started", "Ended", "Minutes", "Peak viewers", "Chat messages")


def _when(ts: float | None) -> str:
    """Local time to the minute: one line in the table (the CSV keeps the full ISO time)."""
    return "" if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


class _NumberItem(QTableWidgetItem):
    """Sorts by the number it shows, not alphabetically."""

    def __init__(self, value: float | int | None, text: str | None = None) -> None:
        super().__init__(text if text is not None else ("" if value is None else str(value)))
        self.setData(Qt.ItemDataRole.UserRole, value if value is not None else -1)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return float(self.data(Qt.ItemDataRole.UserRole)) < float(other.data(Qt.ItemDataRole.UserRole))


class HistoryView(QWidget):
    """Sessions table + the selected session's charts + Export CSV. Call ``refresh()`` after a
    session ends (the GUI does it when the flow leaves LIVE)."""

    #: a one-sentence result for the status bar ("Exported 12 sessions to …")
    notice = Signal(str)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._sessions: list[Session] = []

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSortingEnabled(True)
        self.table.itemSelectionChanged.connect(self._on_selection)

        self.empty = QLabel("No sessions yet. They appear here after you go live.", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.summary = QLabel(" ", self)
        self.charts = LiveCharts(self)

        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setToolTip("Save the sessions table as a CSV file")
        self.export_button.clicked.connect(self._export_sessions_clicked)
        self.export_samples_button = QPushButton("Export samples…", self)
        self.export_samples_button.setToolTip("Save the selected session's samples as a CSV file")
        self.export_samples_button.clicked.connect(self._export_samples_clicked)

        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.export_samples_button)
        buttons.addWidget(self.export_button)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table)
        top_layout.addWidget(self.empty)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(top)
        splitter.addWidget(self.charts)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)
        self.refresh()

    # -- data ---------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the sessions (newest first), keeping the selection if that session still exists."""
        selected = self.selected_session()
        self._sessions = self.store.list_sessions()
        now = time.time()
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self._sessions))
        for row, s in enumerate(self._sessions):
            started = QTableWidgetItem(_when(s.started_at))
            started.setData(Qt.ItemDataRole.UserRole, s.id)
            ended_text = "live now" if s.is_open else _when(s.ended_at)
            ended = QTableWidgetItem(ended_text)
            minutes = stats.session_minutes(s, now)
            self.table.setItem(row, 0, started)
            self.table.setItem(row, 1, ended)
            self.table.setItem(row, 2, _NumberItem(minutes))
            self.table.setItem(row, 3, _NumberItem(s.peak_viewers))
            self.table.setItem(row, 4, _NumberItem(s.total_chat))
        self.table.setSortingEnabled(True)
        has_rows = bool(self._sessions)
        self.table.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        self.export_button.setEnabled(has_rows)
        if selected is not None and self.select_session(selected.id):
            return
        if has_rows:
            self.table.selectRow(0)
        else:
            self._show(None)

    def select_session(self, session_id: int) -> bool:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == session_id:
                self.table.selectRow(row)
                return True
        return False

    def selected_session(self) -> Session | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        session_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((s for s in self._sessions if s.id == session_id), None)

    def _on_selection(self) -> None:
        self._show(self.selected_session())

    def _show(self, session: Session | None) -> None:
        self.export_samples_button.setEnabled(session is not None)
        if session is None:
            self.charts.clear()
            self.summary.setText(" ")
            return
        self.charts.load(self.store.samples(session.id))
        until = session.ended_at if session.ended_at is not None else time.time()
        self.summary.setText(
            f"{stats.fmt_duration(until - session.started_at)} live · peak {session.peak_viewers} viewers · "
            f"{session.total_chat} chat messages" + ("" if session.ended_at else " · still live")
        )

    # -- export -------------------------------------------------------------------------------------
    def export_csv(self, path: str | Path) -> int:
        """Write the sessions table (same columns as ``streamdesk sessions --csv``); returns rows written."""
        sessions = self.store.list_sessions()
        with open(path, "w", newline="", encoding="utf-8") as f:
            stats.write_sessions_csv(f, sessions)
        return len(sessions)

    def export_samples_csv(self, path: str | Path, session_id: int | None = None) -> int:
        """Write one session's samples (the selected one by default); returns rows written."""
        if session_id is None:
            selected = self.selected_session()
            if selected is None:
                return 0
            session_id = selected.id
        samples = self.store.samples(session_id)
        with open(path, "w", newline="", encoding="utf-8") as f:
            stats.write_samples_csv(f, samples)
        return len(samples)

    def _export_sessions_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export sessions", "streamdesk-sessions.csv",
                                              "CSV files (*.csv)")
        if path:
            self._report(lambda: f"Exported {self.export_csv(path)} sessions to {path}.", path)

    def _export_samples_clicked(self) -> None:
        session = self.selected_session()
        if session is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export samples", f"streamdesk-session-{session.id}.csv",
                                              "CSV files (*.csv)")
        if path:
            self._report(lambda: f"Exported {self.export_samples_csv(path, session.id)} samples to {path}.",
                         path)

    def _report(self, action: object, path: str) -> None:
        try:
            message = action()  # type: ignore[operator]
        except OSError as e:
            message = f"Could not write {path}: {e.strerror or e}. Check the folder exists and is writable."
        self.summary.setText(message)
        self.notice.emit(message)
