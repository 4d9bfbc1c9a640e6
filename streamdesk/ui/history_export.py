"""The History page's exports: the sessions CSV, a show's samples CSV, its chat per minute CSV, a PNG
of its charts, and the markdown summary. Each result is one sentence on the page and in the
status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from streamdesk.core import report, stats
from streamdesk.ui.history_base import HistoryBase


class Exports(HistoryBase):
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

