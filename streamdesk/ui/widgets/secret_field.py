"""One field for every secret on screen: the stream key, the API secret, the OBS password.

Treated the way a password manager treats a password, because the stream key is the
streamer's live identity and the screen is often *on* the stream:

- masked by default; 👁 reveals it, and it hides itself again after 30 s, when the window
  loses focus, when the field is hidden, and the moment the stream goes live;
- while live, revealing asks first (default answer: No);
- 📋 copies the real value (never the mask), marked as a secret for clipboard managers, and
  clears the clipboard after 30 s (or when the app quits) if it still holds the value;
- the key's expiry is shown, with a warning when it runs out before the planned show end.

The value only ever lives in the QLineEdit: never in ``repr``, tooltips, accessible names or logs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6 import QtCore
from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QHideEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from streamdesk.ui.style import WARN_AMBER, text_colour
from streamdesk.ui.widgets.clipboard_guard import ClipboardGuard
from streamdesk.ui.widgets.key_expiry import Timestamp, expires_too_soon, expiry_text, to_unix

REVEAL_TIMEOUT_MS = 30_000
CLIPBOARD_TIMEOUT_MS = 30_000
REVEAL_SHORTCUT = "Ctrl+Shift+R"
COPY_SHORTCUT = "Ctrl+Shift+C"


class SecretField(QWidget):
    """A masked secret with reveal, copy, and (for the stream key) its expiry.

    ``what`` names the secret in labels and messages ("stream key", "API secret"); the stream
    key is shown ``read_only``, the others are inputs. ``clock`` returns Unix seconds (tests
    inject one). The two timers are public so the window or a test can drive them."""

    #: editable mode: the user changed the text (connect it to validation; never log the value)
    textChanged = Signal(str)
    #: the value is now shown (True) or masked (False)
    revealedChanged = Signal(bool)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        what: str = "secret",
        read_only: bool = False,
        reveal_timeout_ms: int = REVEAL_TIMEOUT_MS,
        clipboard_timeout_ms: int = CLIPBOARD_TIMEOUT_MS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._what = what
        self._clock = clock
        self._live = False
        self._expires_at: float | None = None
        self._planned_end: float | None = None
        self._copy_token = 0  # our latest copy, to know whether the guard's news concerns us
        self._clipboard_timeout_ms = clipboard_timeout_ms
        self._confirm: QMessageBox | None = None

        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.edit.textChanged.connect(self._on_text_changed)
        self.edit.installEventFilter(self)  # Ctrl+C goes through copy(), so it is cleared too
        self.edit.setProperty("contextMenuPolicy", "CustomContextMenu")  # by name: see _tool_button
        self.edit.customContextMenuRequested.connect(
            lambda pos: self.context_menu().popup(self.edit.mapToGlobal(pos))
        )

        self.reveal_button = self._tool_button("👁", checkable=True)
        self.reveal_button.toggled.connect(self._on_reveal_toggled)
        self.copy_button = self._tool_button("📋")
        self.copy_button.clicked.connect(self.copy)

        self.status = QLabel(self)
        self.status.setObjectName("SecretFieldStatus")
        self.status.setProperty("role", "hint")
        self.status.setAccessibleName(f"{what} status")
        self.status.hide()
        self.expiry = QLabel(self)
        self.expiry.setObjectName("SecretFieldExpiry")
        self.expiry.setWordWrap(True)
        self.expiry.hide()

        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.setSpacing(4)
        line.addWidget(self.edit, 1)
        line.addWidget(self.reveal_button)
        line.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(line)
        layout.addWidget(self.status)
        layout.addWidget(self.expiry)
        self.setFocusProxy(self.edit)
        QWidget.setTabOrder(self.edit, self.reveal_button)
        QWidget.setTabOrder(self.reveal_button, self.copy_button)

        for keys, slot in ((REVEAL_SHORTCUT, self.reveal_button.toggle), (COPY_SHORTCUT, self.copy)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setProperty("context", "WidgetWithChildrenShortcut")
            shortcut.activated.connect(slot)

        self.remask_timer = self._timer(reveal_timeout_ms, self.mask)
        self._guard = ClipboardGuard.instance()
        self._guard.cleared.connect(self._on_clipboard_cleared)
        self.clipboard_timer = self._guard.timer  # shared by every field: tests and windows may drive it
        # relative expiry ("in 2 h 5 min") and the warning move with the clock
        self.expiry_timer = self._timer(60_000, self._update_expiry, single_shot=False)

        self._watching_app_state = False  # see _watch_app_state

        self.set_read_only(read_only)
        self._update_buttons()

    # ------------------------------------------------------------------ construction helpers

    def _tool_button(self, icon: str, *, checkable: bool = False) -> QToolButton:
        button = QToolButton(self)
        button.setText(icon)
        button.setCheckable(checkable)
        button.setAutoRaise(True)
        # reachable with Tab, not just the mouse. Set by name, as are the edit's context menu policy
        # and the shortcuts' context: the first lookup of QtCore.Qt builds its ~90 enums, and the
        # account card's secret field is on screen at start-up (bench/startup.py)
        button.setProperty("focusPolicy", "StrongFocus")
        return button

    def _timer(self, interval_ms: int, slot: Callable[[], object], *, single_shot: bool = True) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(single_shot)
        timer.setInterval(interval_ms)
        timer.timeout.connect(slot)
        return timer

    # ------------------------------------------------------------------ value

    def value(self) -> str:
        return self.edit.text()

    text = value  # the GUI's generic helpers look for value() or text()

    def set_value(self, value: str) -> None:
        """Show a new secret (masked). A copy of the old one on the clipboard is still cleared."""
        self.mask()
        self.edit.setText(value or "")
        self.edit.setCursorPosition(0)  # a long key shows from its start, not scrolled to the end
        self._update_buttons()

    def clear(self) -> None:
        self.set_value("")

    def is_empty(self) -> bool:
        return not self.edit.text()

    def set_read_only(self, read_only: bool) -> None:
        """Read-only for the stream key (minted, never typed); editable for secrets the user enters."""
        self.edit.setReadOnly(read_only)
        what = self._what
        self.edit.setAccessibleName(what[:1].upper() + what[1:])
        self.edit.setPlaceholderText(
            f"The {what} appears here once it exists" if read_only else f"Paste or type the {what}"
        )
        self._update_texts()

    def __repr__(self) -> str:
        shown = "shown" if self.is_revealed() else "masked"
        return f"<SecretField {self._what!r} {shown} {'empty' if self.is_empty() else 'set'}>"

    # ------------------------------------------------------------------ reveal / mask

    def is_revealed(self) -> bool:
        return self.edit.echoMode() == QLineEdit.EchoMode.Normal

    def is_live(self) -> bool:
        return self._live

    def set_live(self, live: bool) -> None:
        """The window says whether the stream is on air. Going live hides the value at once."""
        self._live = bool(live)
        if self._live:
            self.mask()
            self.clear_clipboard()
        self._update_texts()

    @property
    def confirm_box(self) -> QMessageBox | None:
        """The open "show it while live?" question, if any (tests answer it)."""
        return self._confirm

    def reveal(self) -> None:
        """Show the value: at once, or after a Yes to the question when live."""
        if self.is_revealed() or self.is_empty():
            self._set_checked(self.is_revealed())
            return
        if self._live:
            self._set_checked(False)
            self._ask_before_reveal()
            return
        self._show()

    def mask(self) -> None:  # type: ignore[override]  # masks the value; QWidget.mask (a region) is unused here
        self.remask_timer.stop()
        if self._confirm is not None:
            self._confirm.reject()
        was = self.is_revealed()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self._set_checked(False)
        self._update_texts()
        if was:
            self.revealedChanged.emit(False)

    def _show(self) -> None:
        self._watch_app_state()
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal)
        self._set_checked(True)
        self.remask_timer.start()
        self._update_texts()
        self.revealedChanged.emit(True)

    def _on_reveal_toggled(self, checked: bool) -> None:
        if checked:
            self.reveal()
        else:
            self.mask()

    def _set_checked(self, checked: bool) -> None:
        blocked = self.reveal_button.blockSignals(True)
        self.reveal_button.setChecked(checked)
        self.reveal_button.blockSignals(blocked)

    def _ask_before_reveal(self) -> None:
        if self._confirm is not None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            f"Show the {self._what} while live?",
            f"You are live: your screen may be on the stream. Show the {self._what} anyway?\n\n"
            f"Anyone who sees it can stream as you until it is rotated.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setEscapeButton(QMessageBox.StandardButton.No)
        box.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        box.button(QMessageBox.StandardButton.Yes).setText(f"Show the {self._what}")
        box.button(QMessageBox.StandardButton.No).setText("Keep it hidden")
        box.finished.connect(self._on_confirm_finished)
        self._confirm = box
        box.open()  # not exec(): no nested event loop, the GUI keeps running behind it

    def _on_confirm_finished(self, _result: int) -> None:
        box, self._confirm = self._confirm, None
        if box is None:
            return
        yes = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
        box.deleteLater()
        if yes and self.isVisible():
            self._show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The platform's Copy/Cut keys in the line edit copy through the guard: a secret never
        lands on the clipboard without its clearing timer (and Qt ignores them while masked)."""
        copy_keys = (QKeySequence.StandardKey.Copy, QKeySequence.StandardKey.Cut)
        if (watched is self.edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and any(event.matches(k) for k in copy_keys)):
            self.copy()
            return True
        return super().eventFilter(watched, event)

    def context_menu(self) -> QMenu:
        """The line edit's usual menu, except that Copy and Cut copy the whole secret through the
        clearing guard (and work while masked, where Qt's own would be disabled)."""
        menu = self.edit.createStandardContextMenu()
        menu.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in menu.actions():
            if action.objectName() in ("edit-copy", "edit-cut"):
                action.triggered.disconnect()
                action.triggered.connect(self.copy)
                action.setEnabled(not self.is_empty())
        return menu

    # Hide again when the streamer looks away: another window, another app, another page.
    def changeEvent(self, event: QEvent) -> None:
        # (the live question itself takes the focus away: that must not cancel it)
        deactivated = event.type() == QEvent.Type.ActivationChange and not self.isActiveWindow()
        if deactivated and self._confirm is None:
            self.mask()
        super().changeEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.mask()
        super().hideEvent(event)

    def _watch_app_state(self) -> None:
        """Mask when the app goes to the background: connected at the first reveal, the only state
        where it matters. Not when built: the field is on screen before the first paint, where
        nothing looks ``QtCore.Qt`` up (its enums are slow to build, bench/startup.py), and until
        something does, PySide6 cannot hand a ``Qt`` enum from C++ to a Python slot (the signal
        fails with a TypeError). Looking it up here registers the converter the signal needs."""
        app = QGuiApplication.instance()
        if self._watching_app_state or not isinstance(app, QGuiApplication):
            return
        QtCore.Qt  # noqa: B018 - the lookup is the point (docstring)
        app.applicationStateChanged.connect(self._on_app_state)
        self._watching_app_state = True

    def _on_app_state(self, state: QtCore.Qt.ApplicationState) -> None:
        if state != QtCore.Qt.ApplicationState.ApplicationActive and self._confirm is None:
            self.mask()

    # ------------------------------------------------------------------ clipboard

    def copy(self) -> None:
        """Put the real value on the clipboard, flagged as a secret, and clear it in 30 s."""
        value = self.edit.text()
        if not value:
            return
        self._copy_token = self._guard.hold(value, self._clipboard_timeout_ms)
        self._set_status(f"Copied — clipboard clears in {self._seconds(self.clipboard_timer)} s")

    def clear_clipboard(self) -> None:
        """Clear the clipboard now if it still holds the copied secret."""
        self._guard.clear_now()

    def _on_clipboard_cleared(self, token: int, ours: bool) -> None:
        if token == self._copy_token:
            self._set_status("Clipboard cleared" if ours else "")

    @staticmethod
    def _seconds(timer: QTimer) -> int:
        return max(1, round(timer.interval() / 1000))

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    # ------------------------------------------------------------------ expiry

    def set_expiry(self, expires_at: Timestamp) -> None:
        """When the key stops working (Unix seconds or an aware datetime; None hides the line)."""
        self._expires_at = to_unix(expires_at)
        self._update_expiry()

    def set_planned_end(self, planned_end: Timestamp) -> None:
        """When the show is planned to end: warn if the key expires before that."""
        self._planned_end = to_unix(planned_end)
        self._update_expiry()

    def expiry_warning(self) -> bool:
        """True when the key has expired or will expire before the planned end."""
        return expires_too_soon(self._expires_at, self._planned_end, self._clock())

    def _update_expiry(self) -> None:
        expires = self._expires_at
        if expires is None:
            self.expiry.hide()
            self.expiry_timer.stop()
            return
        text = expiry_text(expires, self._planned_end, self._clock())
        warn = self.expiry_warning()
        self.expiry.setText(text)
        self.expiry.setProperty("level", "warning" if warn else "")
        self.expiry.setStyleSheet(f"color: {text_colour(WARN_AMBER)};" if warn else "")
        self.expiry.setAccessibleName(text)
        self.expiry.show()
        if not self.expiry_timer.isActive():
            self.expiry_timer.start()

    # ------------------------------------------------------------------ texts

    def _on_text_changed(self, text: str) -> None:
        self._update_buttons()
        if not text:
            self.mask()
        self.textChanged.emit(text)

    def _update_buttons(self) -> None:
        has_value = bool(self.edit.text())
        self.copy_button.setEnabled(has_value)
        self.reveal_button.setEnabled(has_value)

    def _update_texts(self) -> None:
        """Tooltips and accessible names say what a control does, never what the secret is."""
        what = self._what
        shown = self.is_revealed()
        self.edit.setAccessibleDescription(f"{what}, {'shown' if shown else 'hidden'}")
        verb = "Hide" if shown else "Show"
        reveal_tip = f"{verb} the {what} ({REVEAL_SHORTCUT})"
        if not shown:
            seconds = self._seconds(self.remask_timer)
            reveal_tip += f"; it hides again after {seconds} s or when you switch windows"
            if self._live:
                reveal_tip += ". You are live: you will be asked first"
        self.reveal_button.setToolTip(reveal_tip)
        self.reveal_button.setAccessibleName(f"{verb} the {what}")
        seconds = max(1, round(self._clipboard_timeout_ms / 1000))
        self.copy_button.setToolTip(
            f"Copy the {what} ({COPY_SHORTCUT}); the clipboard is cleared after {seconds} s"
        )
        self.copy_button.setAccessibleName(f"Copy the {what}")
