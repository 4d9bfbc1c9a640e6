"""The History page's shows: every session with its local summary in a sortable table, the date
filter, and the trend of peak and average viewers per show. The database is read off the GUI
thread (``Tasks``), like every other I/O."""

from __future__ import annotations

import threading
import time
from dataclasses import astuple, dataclass
from datetime import datetime

from PySide6.QtCore import QDate, QEvent, Qt
from PySide6.QtWidgets import QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from streamdesk.core import report, stats
from streamdesk.core.store import Session, Store
from streamdesk.ui.history_base import HistoryBase
from streamdesk.ui.widgets.plot_theme import apply_palette, palette_changed

COLUMNS = ("Started", "Ended", "Minutes", "Peak", "Average", "Viewer-min", "Chat", "Chatters")


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


class SummaryCache:
    """The local summary of each ended show, computed once. An ended show's samples and chat no
    longer change (its row is closed), so a refresh reads them again only for a show still running,
    a new one, or one whose row changed since (a late Discord status): a long history refreshes in
    the time of a few rows, not of every sample ever recorded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # refreshes run as tasks and may overlap
        self._ended: dict[int, tuple[tuple[object, ...], report.Summary]] = {}

    def summary(self, store: Store, session: Session, now: float) -> report.Summary:
        key = astuple(session)
        with self._lock:
            cached = self._ended.get(session.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        samples, authors = store.samples(session.id), store.chat_authors(session.id)
        summary = report.summarize(session, samples, authors, now=now)
        if session.ended_at is not None:
            with self._lock:
                self._ended[session.id] = (key, summary)
        return summary


def load_rows(store: Store, now: float, cache: SummaryCache | None = None) -> list[ShowRow]:
    """Every session with its local summary, newest first (blocking: run it through Tasks)."""
    cache = cache if cache is not None else SummaryCache()
    return [ShowRow(s, cache.summary(store, s, now)) for s in store.list_sessions()]


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



class ShowsTable(HistoryBase):
    """The table of shows: load, filter by date, keep the selection."""

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

        cache = self._summaries
        self.tasks.run(lambda: load_rows(store, time.time(), cache), done, failed, what="read the history")

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
