"""Remote text is text: every label or message box that can show a string from GetStream, OBS
or Discord renders it as plain text.

A QLabel's default ``AutoText`` renders anything that looks like HTML as rich text, so a 400 whose
message was ``<h2 style=color:red>Your app is suspended</h2>`` became a fake red headline in the
banner. ``plain`` switches labels to ``PlainText``; ``ask`` is a question box that does the same.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMessageBox, QWidget


def plain(*labels: QLabel) -> None:
    """Render ``labels`` as plain text (by property name: looking up ``QtCore.Qt`` builds all its
    enums, a cost the start-up path avoids)."""
    for label in labels:
        label.setProperty("textFormat", "PlainText")


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    plain(label)
    return label


def ask(parent: QWidget, title: str, text: str, *, default_no: bool = True) -> bool:
    """A Yes/No question (No by default) whose text is shown as plain text."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setTextFormat(box.textFormat().PlainText)
    box.setDefaultButton(QMessageBox.StandardButton.No if default_no else QMessageBox.StandardButton.Yes)
    return box.exec() == QMessageBox.StandardButton.Yes
