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
