"""The selected show's summary tab: local figures next to GetStream's call report, and the buttons
that export this show."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from streamdesk.core import report, stats
from streamdesk.core.store import Sample, Session
from streamdesk.ui.history_base import HistoryBase
from streamdesk.ui.history_table import _item

SUMMARY_COLUMNS = ("Figure", "Local (streamdesk's polls)", "GetStream (call report)")


class SummaryTab(HistoryBase):
    """Shows the selected session: its summary, its charts, and (with an account) GetStream's report."""

    def _summary_tab(self) -> QWidget:
        tab = QWidget(self)
        self.summary_table = QTableWidget(0, len(SUMMARY_COLUMNS), tab)
        self.summary_table.setObjectName("summary_table")
        self.summary_table.setHorizontalHeaderLabels(SUMMARY_COLUMNS)
        self.summary_table.verticalHeader().setVisible(False)
        self.summary_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.summary_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.gs_note = QLabel("", tab)
        self.gs_note.setObjectName("getstream_note")
        self.gs_note.setTextFormat(Qt.TextFormat.PlainText)
        self.gs_note.setWordWrap(True)
        self.export_samples_button = QPushButton("Samples CSV…", tab)
        self.export_samples_button.setToolTip("Save the selected show's samples as a CSV file")
        self.export_samples_button.clicked.connect(self._export_samples_clicked)
        self.export_chat_button = QPushButton("Chat per minute CSV…", tab)
        self.export_chat_button.clicked.connect(self._export_chat_clicked)
        self.export_png_button = QPushButton("Charts PNG…", tab)
        self.export_png_button.clicked.connect(self._export_png_clicked)
        self.export_md_button = QPushButton("Summary markdown…", tab)
        self.export_md_button.clicked.connect(self._export_md_clicked)
        row = QHBoxLayout()
        row.addWidget(self.gs_note, 1)
        for b in (self.export_samples_button, self.export_chat_button, self.export_png_button,
                  self.export_md_button):
            row.addWidget(b)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.summary_table, 1)
        layout.addLayout(row)
        return tab

    def _show(self, session: Session | None) -> None:
        self._shown = session
        self._summary = None
        self._samples = []
        self._files = []
        self.files_table.setRowCount(0)
        self.files_note.setText("")
        for b in (self.export_samples_button, self.export_chat_button, self.export_png_button,
                  self.export_md_button):
            b.setEnabled(False)
        if session is None:
            self.charts.clear()
            self.summary.setText(" ")
            self.summary_table.setRowCount(0)
            self.gs_note.setText("")
            return
        until = session.ended_at if session.ended_at is not None else time.time()
        self.summary.setText(
            f"{stats.fmt_duration(until - session.started_at)} live · peak {session.peak_viewers} viewers · "
            f"{session.total_chat} chat messages" + ("" if session.ended_at else " · still live"))
        store, ctx, sid = self.store, self.ctx, session.id

        def read() -> tuple[list[Sample], report.Summary]:
            samples = store.samples(sid)
            row = store.get_session(sid) or session
            return samples, report.summarize(row, samples, store.chat_authors(sid), now=time.time(),
                                             getstream_note="fetching GetStream's call report…"
                                             if ctx is not None else "no GetStream account set up.")

        def shown(result: tuple[list[Sample], report.Summary]) -> None:
            if self._shown is None or self._shown.id != sid:
                return
            self._samples, summary = result
            self.charts.load(self._samples)
            self._set_summary(summary)
            for b in (self.export_samples_button, self.export_chat_button, self.export_png_button,
                      self.export_md_button):
                b.setEnabled(True)
            if ctx is not None:
                self._fetch_call_report(session, summary)
            if self.tabs.currentIndex() == 2:
                self.load_files()

        self.tasks.run(read, shown, lambda text, _e: self.summary.setText(text), what="read a session")

    def _fetch_call_report(self, session: Session, local: report.Summary) -> None:
        from streamdesk.core import after_show

        ctx, sid = self.ctx, session.id

        def done(result: tuple[Any, str | None]) -> None:
            if self._shown is None or self._shown.id != sid:
                return
            gs, note = result
            from dataclasses import replace

            self._set_summary(replace(local, getstream=gs, getstream_note=note))

        self.tasks.run(lambda: after_show.call_report(ctx, session), done, what="GetStream call report")

    def _set_summary(self, summary: report.Summary) -> None:
        self._summary = summary
        rows = report.rows(summary)
        self.summary_table.setRowCount(len(rows))
        for i, (name, local, remote) in enumerate(rows):
            for c, text in enumerate((name, local, remote)):
                self.summary_table.setItem(i, c, _item(text))
        self.gs_note.setText("" if summary.getstream is not None else
                             f"GetStream figures: {summary.getstream_note or 'none.'}")
        self.summary_loaded.emit()
