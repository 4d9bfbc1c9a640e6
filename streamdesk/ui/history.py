"""The history page: every show in a sortable table with a trend of peak and average viewers, date
filters, and for the selected show its summary (local figures next to GetStream's call report),
its charts, and its recordings and transcriptions (Open, Copy link, Download with progress and
Cancel). Exports: the sessions CSV, a show's samples CSV, its chat per minute CSV, a PNG of its
charts, and the markdown summary.

The database is read off the GUI thread (``Tasks``), like every other I/O; so is GetStream. The
recordings' links are signed and expire: each action fetches the list again first and keeps
nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from streamdesk.core.store import Store
from streamdesk.ui.history_export import Exports
from streamdesk.ui.history_recordings import FILE_COLUMNS, RecordingsTab
from streamdesk.ui.history_summary import SUMMARY_COLUMNS, SummaryTab
from streamdesk.ui.history_table import COLUMNS, ShowRow, ShowsTable, SummaryCache, TrendChart, load_rows
from streamdesk.ui.tasks import Tasks
from streamdesk.ui.widgets.charts import LiveCharts

__all__ = ["COLUMNS", "FILE_COLUMNS", "SUMMARY_COLUMNS", "HistoryView", "ShowRow", "TrendChart", "load_rows"]


class HistoryView(Exports, RecordingsTab, SummaryTab, ShowsTable):
    """See the module docstring and ``history_base`` (signals, shared state)."""

    def __init__(self, store: Store, parent: QWidget | None = None, *, ctx: Any = None,
                 tasks: Tasks | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.ctx = ctx  # None: no GetStream (recordings and call report are offered only with an account)
        self.tasks = tasks if tasks is not None else Tasks(self)
        self._rows = []
        self._shown = None
        self._samples = []
        self._summary = None
        self._files = []
        self._cancel = None
        self._generation = 0
        self._summaries = SummaryCache()

        # -- filters and actions
        self.date_from = QDateEdit(self)
        self.date_to = QDateEdit(self)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self._apply_filter)
        self.filter_on = QCheckBox("Only shows from", self)
        self.filter_on.setObjectName("history_filter")
        self.filter_on.toggled.connect(self._apply_filter)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setToolTip("Save the sessions table as a CSV file")
        self.export_button.clicked.connect(self._export_sessions_clicked)
        bar = QHBoxLayout()
        bar.addWidget(self.filter_on)
        bar.addWidget(self.date_from)
        bar.addWidget(QLabel("to", self))
        bar.addWidget(self.date_to)
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.export_button)

        # -- the shows and their trend
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for column, tip in ((4, "Average viewers, weighted by time"), (5, "Viewer-minutes: minutes watched"),
                            (7, "Unique chatters")):
            header_item = self.table.horizontalHeaderItem(column)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # all columns fit: no sideways scroll
        for column in (0, 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSortingEnabled(True)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.empty = QLabel("No sessions yet. They appear here after you go live.", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()  # until the first read says there is nothing
        self.trend = TrendChart(self)
        top = QSplitter(Qt.Orientation.Horizontal, self)
        table_box = QWidget(top)
        tl = QVBoxLayout(table_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.table)
        tl.addWidget(self.empty)
        top.addWidget(table_box)
        top.addWidget(self.trend)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        top.setSizes([740, 260])

        # -- the selected show
        self.summary = QLabel(" ", self)  # one line under the table: the selected show, or an export result
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._summary_tab(), "Summary")
        self.charts = LiveCharts(self)
        charts_tab = QWidget(self)
        cl = QVBoxLayout(charts_tab)
        cl.setContentsMargins(0, 4, 0, 0)
        cl.addWidget(self.charts)
        self.tabs.addTab(charts_tab, "Charts")
        self.tabs.addTab(self._files_tab(), "Recordings")
        self.tabs.currentChanged.connect(self._on_tab)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(top)
        bottom = QWidget(splitter)
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.summary)
        bl.addWidget(self.tabs, 1)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        today = QDate.currentDate()
        self.date_from.setDate(today.addMonths(-1))
        self.date_to.setDate(today)
        self.refresh()

