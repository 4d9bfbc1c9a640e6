"""What the History page's parts share: its signals, its state and the hooks one part calls on another.

The page (``ui.history.HistoryView``) is assembled from one class per concern: the shows table and
its trend (``history_table``), the selected show's summary (``history_summary``), its recordings
with downloads (``history_recordings``) and the exports (``history_export``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTabWidget,
    QWidget,
)

if TYPE_CHECKING:
    from streamdesk.core import report
    from streamdesk.core.store import Sample, Session, Store
    from streamdesk.ui.history_table import ShowRow, SummaryCache, TrendChart
    from streamdesk.ui.tasks import Tasks
    from streamdesk.ui.widgets.charts import LiveCharts


class HistoryBase(QWidget):
    """``refresh()`` reloads in the background; ``loaded`` fires when the table is filled,
    ``summary_loaded`` when the selected show's summary is shown."""

    #: a one-sentence result for the status bar ("Exported 12 sessions to …")
    notice = Signal(str)
    loaded = Signal()
    summary_loaded = Signal()
    files_loaded = Signal()

    store: Store
    ctx: Any  # None: no GetStream (recordings and call report are offered only with an account)
    tasks: Tasks
    _rows: list[ShowRow]
    _shown: Session | None
    _samples: list[Sample]
    _summary: report.Summary | None
    _files: list[Any]  # CallFile, kept only to show names; links are fetched again per action
    _cancel: threading.Event | None
    _generation: int
    _summaries: SummaryCache

    # widgets every part may touch (built in HistoryView.__init__ and the tab builders)
    date_from: QDateEdit
    date_to: QDateEdit
    filter_on: QCheckBox
    export_button: QPushButton
    table: QTableWidget
    empty: QLabel
    trend: TrendChart
    summary: QLabel  # one line under the table: the selected show, or an export result
    tabs: QTabWidget
    charts: LiveCharts
    summary_table: QTableWidget
    gs_note: QLabel
    export_samples_button: QPushButton
    export_chat_button: QPushButton
    export_png_button: QPushButton
    export_md_button: QPushButton
    files_table: QTableWidget
    files_note: QLabel
    progress: QProgressBar
    cancel_button: QPushButton

    # hooks: each is defined by the part named in the module docstring
    def refresh(self) -> None:
        raise NotImplementedError

    def _show(self, session: Session | None) -> None:
        raise NotImplementedError

    def load_files(self) -> None:
        raise NotImplementedError

    def _export_sessions_clicked(self) -> None:
        raise NotImplementedError

    def _export_samples_clicked(self) -> None:
        raise NotImplementedError

    def _export_chat_clicked(self) -> None:
        raise NotImplementedError

    def _export_png_clicked(self) -> None:
        raise NotImplementedError

    def _export_md_clicked(self) -> None:
        raise NotImplementedError
