"""HistoryView with real Qt widgets over a real store: table, charts from stored samples, CSV export."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from streamdesk.core.store import Sample, Store
from streamdesk.ui.history import HistoryView

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

T0 = 1_767_225_600.0


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "history.sqlite3")
    for k, (start, n, peak_at) in enumerate([(T0, 40, 10), (T0 + 86_400, 120, 100)]):
        s = store.start_session("livestream:show-1", start)
        for i in range(n):
            store.add_sample(s.id, Sample(start + 3 * i, 5 + (30 if i == peak_at else i % 7), chat=k + 1))
        store.end_session(s.id, start + 3 * n, "stopped")
    live = store.start_session("livestream:show-1", time.time() - 100)
    store.add_sample(live.id, Sample(time.time() - 50, 3, 2))
    return store


@pytest.fixture
def view(qtbot, store: Store) -> HistoryView:
    v = HistoryView(store)
    qtbot.addWidget(v)
    v.resize(900, 700)
    v.show()
    qtbot.waitExposed(v)
    qtbot.waitUntil(lambda: v.table.rowCount() == 3 and v._summary is not None)  # read off the GUI thread
    return v


def _cells(view: HistoryView, row: int) -> list[str]:
    return [view.table.item(row, c).text() for c in range(view.table.columnCount())]


def test_table_lists_sessions_newest_first_with_their_numbers(view: HistoryView) -> None:
    assert view.table.rowCount() == 3
    live, second, first = (_cells(view, r) for r in range(3))
    assert live[1] == "live now"
    assert second[2:4] == ["6", "35"] and second[6] == "240"  # 360 s → 6 min; peak 35; 120 × 2 messages
    assert first[2:4] == ["2", "35"] and first[6] == "40"


def test_selecting_a_session_shows_its_stored_samples(qtbot, view: HistoryView, store: Store) -> None:
    view.table.selectRow(1)
    qtbot.waitUntil(lambda: len(view.charts.viewers) == 120)
    session = view.selected_session()
    assert session is not None and session.started_at == T0 + 86_400
    assert len(view.charts.viewers) == 120
    assert list(view.charts.viewers.x) == [s.t for s in store.samples(session.id)]
    assert sum(view.charts.chat.y) == 240 == session.total_chat
    assert "peak 35 viewers" in view.summary.text() and "6:00 live" in view.summary.text()


def test_export_csv_writes_the_sessions_table(view: HistoryView, tmp_path: Path) -> None:
    path = tmp_path / "sessions.csv"
    assert view.export_csv(path) == 3
    rows = list(csv.DictReader(path.open()))
    assert [r["total_chat"] for r in rows] == ["2", "240", "40"]
    assert rows[0]["ended_at"] == "" and rows[1]["total_minutes"] == "6"


def test_export_buttons_go_through_the_file_dialog(qtbot, view: HistoryView, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "picked.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    with qtbot.waitSignal(view.notice) as notice:
        qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    assert notice.args[0] == f"Exported 3 sessions to {target}."
    assert target.read_text().startswith("id,call_cid,started_at")

    view.table.selectRow(2)
    qtbot.waitUntil(lambda: view.export_samples_button.isEnabled() and len(view.charts.viewers) == 40)
    with qtbot.waitSignal(view.notice) as notice:
        qtbot.mouseClick(view.export_samples_button, Qt.MouseButton.LeftButton)
    assert notice.args[0] == f"Exported 40 samples to {target}."
    assert len(target.read_text().splitlines()) == 41


def test_export_to_an_unwritable_place_says_what_to_check(qtbot, view: HistoryView, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "missing-folder" / "x.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    with qtbot.waitSignal(view.notice) as notice:
        qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    assert notice.args[0].startswith(f"Could not write {target}") and "writable" in notice.args[0]


def test_refresh_keeps_the_selection_and_picks_up_new_sessions(qtbot, view: HistoryView,
                                                               store: Store) -> None:
    view.table.selectRow(2)
    kept = view.selected_session()
    store.end_session(store.open_session().id, time.time(), "stopped")
    with qtbot.waitSignal(view.loaded):
        view.refresh()
    assert view.selected_session().id == kept.id
    assert "live now" not in [_cells(view, r)[1] for r in range(3)]


def test_empty_history_says_so(qtbot, tmp_path: Path) -> None:
    v = HistoryView(Store.open(tmp_path / "empty.sqlite3"))
    qtbot.addWidget(v)
    v.show()
    qtbot.waitUntil(lambda: v.empty.isVisible())
    assert v.empty.isVisible() and not v.table.isVisible()
    assert not v.export_button.isEnabled() and not v.export_samples_button.isEnabled()


def test_exports_chat_per_minute_png_and_markdown(qtbot, view: HistoryView, store: Store,
                                                  tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    view.table.selectRow(1)
    qtbot.waitUntil(lambda: view.export_png_button.isEnabled() and len(view.charts.viewers) == 120)
    session = view.selected_session()
    chat = tmp_path / "chat.csv"
    view.export_chat_csv(chat)
    rows = list(csv.DictReader(chat.open()))
    assert sum(int(r["messages"]) for r in rows) == session.total_chat == 240
    assert [int(r["unix_minute"]) % 60 for r in rows] == [0] * len(rows)
    png = tmp_path / "charts.png"
    assert view.export_png(png)
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 100
    md = tmp_path / "summary.md"
    view.export_markdown(md)
    text = md.read_text()
    assert "| Peak viewers | 35 | — |" in text and "| Chat messages | 240 | — |" in text


def test_trend_chart_and_date_filter(qtbot, view: HistoryView) -> None:
    from PySide6.QtCore import QDate

    xs, peaks, avgs = view.trend.data()
    ordered = sorted(view._rows, key=lambda r: r.session.started_at)
    assert xs == [r.session.started_at for r in ordered]
    assert peaks == [r.session.peak_viewers for r in ordered]
    assert avgs == pytest.approx([r.summary.average_viewers for r in ordered])
    view.table.sortItems(3)  # by peak: numbers, not text
    peaks_in_table = [int(view.table.item(r, 3).text()) for r in range(view.table.rowCount())]
    assert peaks_in_table == sorted(peaks_in_table)
    first_day = QDate(2026, 1, 1)  # T0 is 2026-01-01 00:00 UTC; the other show a day later
    view.date_from.setDate(first_day.addDays(-1))
    view.date_to.setDate(first_day.addDays(1) if time.localtime(T0).tm_mday == 1 else first_day)
    view.filter_on.setChecked(True)
    assert 1 <= view.table.rowCount() < 3
    assert len(view.trend.data()[0]) == view.table.rowCount()
    view.filter_on.setChecked(False)
    assert view.table.rowCount() == 3
