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

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from streamdesk.core import report, stats
from streamdesk.core.store import Sample, Session, Store
from streamdesk.ui.tasks import Tasks
from streamdesk.ui.widgets.charts import LiveCharts
from streamdesk.ui.widgets.plot_theme import apply_palette, palette_changed

COLUMNS = ("Started", "Ended", "Minutes", "Peak", "Average", "Viewer-min", "Chat", "Chatters")
SUMMARY_COLUMNS = ("Figure", "Local (streamdesk's polls)", "GetStream (call report)")
FILE_COLUMNS = ("Kind", "Started", "File", "")


def _when(ts: float | None) -> str:
    """Local time to the minute: one line in the table (the CSV keeps the full ISO time)."""
    return "" if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)  # a QTableWidgetItem shows plain text: remote names stay text
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


class _NumberItem(QTableWidgetItem):
    """Sorts by the number it shows, not alphabetically."""

    def __init__(self, value: float | int | None, text: str | None = None) -> None:
        super().__init__(text if text is not None else ("" if value is None else str(value)))
        self.setData(Qt.ItemDataRole.UserRole, value if value is not None else -1)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return float(self.data(Qt.ItemDataRole.UserRole)) < float(other.data(Qt.ItemDataRole.UserRole))


@dataclass(frozen=True)
class ShowRow:
    """One session and its local summary (read in the background)."""

    session: Session
    summary: report.Summary


def load_rows(store: Store, now: float) -> list[ShowRow]:
    """Every session with its local summary, newest first (blocking: run it through Tasks)."""
    return [ShowRow(s, report.summarize(s, store.samples(s.id), store.chat_authors(s.id), now=now))
            for s in store.list_sessions()]


class _Progress(QObject):
    """Carries download progress from the worker thread (emits are queued to the GUI thread)."""

    changed = Signal(object, object)  # bytes on disk, total or None


class TrendChart(QWidget):
    """Peak and average viewers per show, oldest to newest (pyqtgraph, loaded with the page)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        from streamdesk.ui.style import INFO_BLUE, OK_GREEN

        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.addLegend(offset=(10, -10))  # bottom left: the lines run near the top
        self.peak = self.plot.plot([], [], pen=pg.mkPen(INFO_BLUE, width=1), symbol="o", symbolSize=6,
                                   symbolBrush=INFO_BLUE, name="peak")
        self.avg = self.plot.plot([], [], pen=pg.mkPen(OK_GREEN, width=1), symbol="s", symbolSize=6,
                                  symbolBrush=OK_GREEN, name="average")
        self.title = QLabel("Peak and average viewers per show", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.plot)
        self._apply_palette()

    def changeEvent(self, event: QEvent) -> None:
        if palette_changed(event):
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        """Follow light/dark like the live charts (``plot_theme``)."""
        fg = apply_palette(self.plot, self.palette())
        legend = self.plot.getPlotItem().legend
        if legend is not None:
            legend.setLabelTextColor(fg)

    def show_rows(self, rows: list[ShowRow]) -> None:
        ordered = sorted(rows, key=lambda r: r.session.started_at)
        xs = [r.session.started_at for r in ordered]
        self.peak.setData(xs, [float(r.summary.peak_viewers) for r in ordered])
        self.avg.setData(xs, [r.summary.average_viewers for r in ordered])
        if xs:
            pad = max(3600.0, (xs[-1] - xs[0]) * 0.05)
            self.plot.setXRange(xs[0] - pad, xs[-1] + pad, padding=0)
            top = max(5.0, max(r.summary.peak_viewers for r in ordered) * 1.15)
            self.plot.setYRange(0, top, padding=0)

    def data(self) -> tuple[list[float], list[float], list[float]]:
        x, peak = self.peak.getData()
        _, avg = self.avg.getData()
        return ([] if x is None else list(x), [] if peak is None else list(peak),
                [] if avg is None else list(avg))


class HistoryView(QWidget):
    """See the module docstring. ``refresh()`` reloads in the background; ``loaded`` fires when the
    table is filled, ``summary_loaded`` when the selected show's summary is shown."""

    #: a one-sentence result for the status bar ("Exported 12 sessions to …")
    notice = Signal(str)
    loaded = Signal()
    summary_loaded = Signal()
    files_loaded = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None, *, ctx: Any = None,
                 tasks: Tasks | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.ctx = ctx  # None: no GetStream (recordings and call report are offered only with an account)
        self.tasks = tasks if tasks is not None else Tasks(self)
        self._rows: list[ShowRow] = []
        self._shown: Session | None = None
        self._samples: list[Sample] = []
        self._summary: report.Summary | None = None
        self._files: list[Any] = []  # CallFile, kept only to show names; links are fetched again per action
        self._cancel: threading.Event | None = None
        self._generation = 0

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

    # -- building blocks ------------------------------------------------------------------------
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

    def _files_tab(self) -> QWidget:
        tab = QWidget(self)
        self.files_table = QTableWidget(0, len(FILE_COLUMNS), tab)
        self.files_table.setObjectName("files_table")
        self.files_table.setHorizontalHeaderLabels(FILE_COLUMNS)
        self.files_table.verticalHeader().setVisible(False)
        self.files_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.files_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.files_note = QLabel("", tab)
        self.files_note.setObjectName("files_note")
        self.files_note.setTextFormat(Qt.TextFormat.PlainText)
        self.files_note.setWordWrap(True)
        self.files_refresh = QPushButton("Refresh list", tab)
        self.files_refresh.clicked.connect(self.load_files)
        self.progress = QProgressBar(tab)
        self.progress.setObjectName("download_progress")
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel", tab)
        self.cancel_button.setObjectName("cancel_download")
        self.cancel_button.clicked.connect(self.cancel_download)
        self.cancel_button.hide()
        self._progress = _Progress(self)
        self._progress.changed.connect(self._on_progress)
        top = QHBoxLayout()
        top.addWidget(self.files_note, 1)
        top.addWidget(self.files_refresh)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.files_table, 1)
        layout.addLayout(bottom)
        return tab

    # -- data ---------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the sessions (newest first) in the background, keeping the selection."""
        store = self.store
        self._generation += 1
        generation = self._generation

        def done(rows: list[ShowRow]) -> None:
            if generation == self._generation:
                self._fill(rows)

        def failed(text: str, _e: BaseException) -> None:
            self.summary.setText(f"Could not read the history: {text}")

        self.tasks.run(lambda: load_rows(store, time.time()), done, failed, what="read the history")

    def _fill(self, rows: list[ShowRow]) -> None:
        selected = self.selected_session()
        self._rows = rows
        self._shown = None  # re-read the selected show too: it may have ended since
        if rows and not self.filter_on.isChecked():  # offer the range the shows span
            days = sorted(datetime.fromtimestamp(r.session.started_at).date() for r in rows)
            for edit, day in ((self.date_from, days[0]), (self.date_to, days[-1])):
                edit.blockSignals(True)
                edit.setDate(QDate(day.year, day.month, day.day))
                edit.blockSignals(False)
        self._apply_filter(keep=selected.id if selected else None)
        self.loaded.emit()

    def visible_rows(self) -> list[ShowRow]:
        if not self.filter_on.isChecked():
            return list(self._rows)
        start = self.date_from.date()
        end = self.date_to.date()
        out = []
        for r in self._rows:
            d = datetime.fromtimestamp(r.session.started_at)
            day = QDate(d.year, d.month, d.day)
            if start <= day <= end:
                out.append(r)
        return out

    def _apply_filter(self, *_args: object, keep: int | None = None) -> None:
        if keep is None:
            selected = self.selected_session()
            keep = selected.id if selected else None
        rows = self.visible_rows()
        now = time.time()
        self.table.setSortingEnabled(False)
        self.table.clearContents()
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            s, m = r.session, r.summary
            started = QTableWidgetItem(_when(s.started_at))
            started.setData(Qt.ItemDataRole.UserRole, s.id)
            self.table.setItem(i, 0, started)
            ended = "live now" if s.is_open else _when(s.ended_at)
            if not s.is_open and ended[:10] == _when(s.started_at)[:10]:
                ended = ended[11:]  # the same day: the time says it
            self.table.setItem(i, 1, QTableWidgetItem(ended))
            self.table.setItem(i, 2, _NumberItem(stats.session_minutes(s, now)))
            self.table.setItem(i, 3, _NumberItem(s.peak_viewers))
            self.table.setItem(i, 4, _NumberItem(round(m.average_viewers, 1), f"{m.average_viewers:.1f}"))
            self.table.setItem(i, 5, _NumberItem(round(m.viewer_minutes), f"{m.viewer_minutes:.0f}"))
            self.table.setItem(i, 6, _NumberItem(s.total_chat))
            self.table.setItem(i, 7, _NumberItem(m.unique_chatters))
        self.table.setSortingEnabled(True)
        self.trend.show_rows(rows)
        has_rows = bool(self._rows)
        self.table.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        self.export_button.setEnabled(has_rows)
        if keep is not None and self.select_session(keep):
            return
        if rows:
            self.table.selectRow(0)
        else:
            self._show(None)

    def select_session(self, session_id: int) -> bool:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == session_id:
                self.table.selectRow(row)
                if self._shown is None or self._shown.id != session_id:
                    self._on_selection()
                return True
        return False

    def selected_session(self) -> Session | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        session_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((r.session for r in self._rows if r.session.id == session_id), None)

    def _on_selection(self) -> None:
        session = self.selected_session()
        if session is not None and self._shown is not None and session.id == self._shown.id:
            return
        self._show(session)

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

    # -- recordings ---------------------------------------------------------------------------------
    def _on_tab(self, index: int) -> None:
        if index == 2 and not self._files and self._shown is not None:
            self.load_files()

    def load_files(self) -> None:
        """Fetch the selected show's recordings and transcriptions (fresh signed links)."""
        session = self._shown
        if session is None:
            return
        if self.ctx is None:
            self.files_note.setText("Recordings need a GetStream account (set one up first).")
            return
        from streamdesk.core import after_show

        ctx, sid = self.ctx, session.id
        self.files_note.setText("Asking GetStream for this show's recordings…")

        def done(files: list[Any]) -> None:
            if self._shown is None or self._shown.id != sid:
                return
            self._files = files
            self._fill_files()
            self.files_loaded.emit()

        def failed(text: str, _e: BaseException) -> None:
            self.files_note.setText(f"Could not list the recordings: {text}")
            self.files_loaded.emit()

        self.tasks.run(lambda: after_show.session_files(ctx, session), done, failed, what="list recordings")

    def _fill_files(self) -> None:
        files = self._files
        self.files_table.setRowCount(len(files))
        for i, f in enumerate(files):
            kind = f.kind + (f" ({f.recording_type})" if f.recording_type else "")
            self.files_table.setItem(i, 0, _item(kind))
            self.files_table.setItem(i, 1, _item(f.start_time.astimezone().strftime("%Y-%m-%d %H:%M")
                                                 if f.start_time else ""))
            self.files_table.setItem(i, 2, _item(f.filename))
            cell = QWidget(self.files_table)
            row = QHBoxLayout(cell)
            row.setContentsMargins(2, 0, 2, 0)
            for label, action in (("Open", self.open_file), ("Copy link", self.copy_link),
                                  ("Download…", self.download_clicked)):
                b = QPushButton(label, cell)
                b.setObjectName(f"{label.rstrip('…').lower().replace(' ', '_')}_{i}")
                b.clicked.connect(lambda _=False, name=f.filename, act=action: act(name))
                row.addWidget(b)
            self.files_table.setCellWidget(i, 3, cell)
        self.files_table.resizeRowsToContents()
        self.files_note.setText(
            f"{len(files)} file(s). Links are signed and expire; each action fetches a fresh one."
            if files else "No recordings or transcriptions for this show. Go live with recording or "
            "transcription on; GetStream lists the files once the recording stops.")

    def _with_fresh_link(self, filename: str, then: Any, what: str) -> None:
        """Fetch the list again (links expire), find ``filename`` and hand its CallFile to ``then``."""
        from streamdesk.core import after_show

        session, ctx = self._shown, self.ctx
        if session is None or ctx is None:
            return

        def op() -> Any:
            for f in after_show.session_files(ctx, session):
                if f.filename == filename:
                    return f
            return None

        def done(f: Any) -> None:
            if f is None:
                self.files_note.setText(f"{filename} is no longer listed by GetStream.")
                return
            then(f)

        self.tasks.run(op, done, lambda text, _e: self.files_note.setText(text), what=what)

    def open_file(self, filename: str) -> None:
        self._with_fresh_link(filename, lambda f: QDesktopServices.openUrl(QUrl(f.url)), "open a recording")

    def copy_link(self, filename: str) -> None:
        def copy(f: Any) -> None:
            QGuiApplication.clipboard().setText(f.url)
            self.files_note.setText(f"Copied the link to {filename}; it expires, so use it soon.")

        self._with_fresh_link(filename, copy, "copy a recording link")

    def download_clicked(self, filename: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Download to folder")
        if folder:
            self.download(filename, Path(folder))

    def download(self, filename: str, folder: Path) -> None:
        """Download ``filename`` into ``folder`` with the progress bar and Cancel (resumes a partial file)."""
        if self._cancel is not None:
            self.files_note.setText("A download is already running; cancel it or wait for it.")
            return
        from streamdesk.core import recordings

        cancel = threading.Event()
        self._cancel = cancel
        progress = self._progress
        self.progress.setRange(0, 0)
        self.progress.setValue(0)
        self.progress.setFormat(f"{filename}: %p%")
        self.progress.show()
        self.cancel_button.show()
        self.files_note.setText(f"Downloading {filename}…")

        def start(f: Any) -> None:
            def op() -> Any:
                return recordings.download(f.url, folder, f.filename, cancel=cancel,
                                           progress=lambda done, total: progress.changed.emit(done, total))

            self.tasks.run(op, finished, failed, what="download a recording")

        def finished(result: Any) -> None:
            self._download_over()
            self.files_note.setText(f"Saved {result.path} ({result.size / 1e6:.1f} MB)"
                                    + (" — resumed." if result.resumed_from else "."))
            self.notice.emit(f"Saved {result.path}.")

        def failed(text: str, _e: BaseException) -> None:
            self._download_over()
            self.files_note.setText(text)

        self._with_fresh_link(filename, start, "download a recording")

    def cancel_download(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.files_note.setText("Cancelling… the partial file stays, and the next download resumes it.")

    def _download_over(self) -> None:
        self._cancel = None
        self.progress.hide()
        self.cancel_button.hide()

    def _on_progress(self, done: Any, total: Any) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
        else:
            self.progress.setRange(0, 0)  # size unknown: a busy bar

    # -- export -------------------------------------------------------------------------------------
    def export_csv(self, path: str | Path) -> int:
        """Write the sessions table (same columns as ``streamdesk sessions --csv``); returns rows written."""
        sessions = [r.session for r in self._rows]
        with open(path, "w", newline="", encoding="utf-8") as f:
            stats.write_sessions_csv(f, sessions)
        return len(sessions)

    def export_samples_csv(self, path: str | Path, session_id: int | None = None) -> int:
        """Write one session's samples (the shown one by default); returns rows written."""
        samples = self._samples if session_id is None else self.store.samples(session_id)
        with open(path, "w", newline="", encoding="utf-8") as f:
            stats.write_samples_csv(f, samples)
        return len(samples)

    def export_chat_csv(self, path: str | Path) -> int:
        with open(path, "w", newline="", encoding="utf-8") as f:
            report.write_chat_minutes_csv(f, self._samples)
        return len(stats.chat_buckets(self._samples))

    def export_png(self, path: str | Path) -> bool:
        """Save the charts as shown in the Charts tab (switched to, so they have their real size)."""
        self.tabs.setCurrentIndex(1)
        self.charts.flush()
        return bool(self.charts.grab().save(str(path), "PNG"))

    def export_markdown(self, path: str | Path) -> None:
        if self._summary is None:
            raise OSError("no summary yet")
        Path(path).write_text(report.markdown(self._summary), encoding="utf-8")

    def _ask(self, title: str, name: str, kind: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, title, name, kind)
        return path

    def _sid(self) -> int:
        return self._shown.id if self._shown is not None else 0

    def _export_sessions_clicked(self) -> None:
        path = self._ask("Export sessions", "streamdesk-sessions.csv", "CSV files (*.csv)")
        if path:
            self._report(lambda: f"Exported {self.export_csv(path)} sessions to {path}.", path)

    def _export_samples_clicked(self) -> None:
        path = self._ask("Export samples", f"streamdesk-session-{self._sid()}.csv", "CSV files (*.csv)")
        if path:
            self._report(lambda: f"Exported {self.export_samples_csv(path)} samples to {path}.", path)

    def _export_chat_clicked(self) -> None:
        path = self._ask("Export chat per minute", f"streamdesk-session-{self._sid()}-chat.csv",
                         "CSV files (*.csv)")
        if path:
            self._report(lambda: f"Exported {self.export_chat_csv(path)} minutes of chat to {path}.", path)

    def _export_png_clicked(self) -> None:
        path = self._ask("Export charts", f"streamdesk-session-{self._sid()}.png", "PNG images (*.png)")
        if path:
            self._report(lambda: f"Saved the charts to {path}." if self.export_png(path)
                         else f"Could not save {path}.", path)

    def _export_md_clicked(self) -> None:
        path = self._ask("Export summary", f"streamdesk-session-{self._sid()}.md", "Markdown (*.md)")
        if path:
            def save() -> str:
                self.export_markdown(path)
                return f"Saved the summary to {path}."

            self._report(save, path)

    def _report(self, action: object, path: str) -> None:
        try:
            message = action()  # type: ignore[operator]
        except OSError as e:
            message = f"Could not write {path}: {e.strerror or e}. Check the folder exists and is writable."
        self.summary.setText(message)
        self.notice.emit(message)
