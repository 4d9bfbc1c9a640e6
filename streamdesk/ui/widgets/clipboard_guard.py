"""``ClipboardGuard``: a copied secret leaves the clipboard after a delay, whoever copied it."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication

# KDE's Klipper (and clipboard managers that follow it) do not keep entries carrying this hint
PASSWORD_MANAGER_HINT = "x-kde-passwordManagerHint"


class ClipboardGuard(QObject):
    """Clears a copied secret from the clipboard after a delay, even if the field that copied it
    is gone by then: it belongs to the application, not to a widget (a page rebuilt or a window
    closed must not leave the key on the clipboard for good). One per application: a new copy
    replaces the clipboard, so only the latest value needs watching."""

    #: (token of the copy, True if the clipboard still held it and was cleared)
    cleared = Signal(int, bool)

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self._value: str | None = None
        self._token = 0
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.clear_now)
        app.aboutToQuit.connect(self.clear_now)

    @classmethod
    def instance(cls) -> ClipboardGuard:
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("ClipboardGuard needs a QApplication")
        # kept on the application object: a first findChild() costs ~13 ms of start-up
        guard = getattr(app, "_streamdesk_clipboard_guard", None)
        if guard is None:
            guard = cls(app)
            app._streamdesk_clipboard_guard = guard  # type: ignore[attr-defined]
        return guard

    def hold(self, value: str, timeout_ms: int) -> int:
        """Put ``value`` on the clipboard (flagged as a secret); returns this copy's token."""
        mime = QMimeData()
        mime.setText(value)
        mime.setData(PASSWORD_MANAGER_HINT, b"secret")
        QGuiApplication.clipboard().setMimeData(mime)
        self._value = value
        self._token += 1
        self.timer.start(timeout_ms)
        return self._token

    def holding(self) -> bool:
        return self._value is not None

    def clear_now(self) -> None:
        """Clear the clipboard if it still holds the copied secret (never someone else's text)."""
        self.timer.stop()
        if self._value is None:
            return
        clipboard = QGuiApplication.clipboard()
        ours = clipboard.text() == self._value
        self._value = None
        if ours:
            clipboard.clear()
        self.cleared.emit(self._token, ours)
