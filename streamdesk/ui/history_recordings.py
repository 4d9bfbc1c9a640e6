"""The selected show's recordings and transcriptions: Open, Copy link, Download with progress and
Cancel. The links are signed and expire: each action fetches the list again first and keeps
nothing."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from streamdesk.ui.history_base import HistoryBase
from streamdesk.ui.history_table import _item

FILE_COLUMNS = ("Kind", "Started", "File", "")


class _Progress(QObject):
    """Carries download progress from the worker thread (emits are queued to the GUI thread)."""

    changed = Signal(object, object)  # bytes on disk, total or None


class RecordingsTab(HistoryBase):
    """The Recordings tab (index 2): listed when first shown, downloads one at a time."""

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
