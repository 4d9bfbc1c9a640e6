"""The log, one click away: the tail of STREAMDESK_HOME/logs/streamdesk.log, redacted again on
display (the file is already redacted when written; this is the second line of defence)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget

TAIL_BYTES = 200_000


def read_tail(path: Path, limit: int = TAIL_BYTES) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - limit))
            text = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return "(the log is empty so far)"
    except OSError as e:
        return f"(the log could not be read: {e.strerror})"
    if size > limit:
        text = "…\n" + text.split("\n", 1)[-1]
    from streamdesk.core.secrets import redact  # lazy: keyring is not needed before the log is opened

    return redact(text)


class LogView(QDialog):
    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LogView")
        self.setWindowTitle("streamdesk log")
        self.resize(820, 480)
        self.path = path
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        reload_button = buttons.addButton("Reload", QDialogButtonBox.ButtonRole.ActionRole)
        reload_button.clicked.connect(self.reload)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        self.text.setPlainText(read_tail(self.path))
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.maximum())
