"""SecretField with real Qt widgets (pytest-qt): masking, reveal, live confirmation, clipboard, expiry.

Most tests run offscreen (the in-process clipboard round-trips there). The screenshot and
cross-process clipboard proofs run this module as a script in an Xvfb display.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QMessageBox, QWidget

from streamdesk.ui.widgets.clipboard_guard import PASSWORD_MANAGER_HINT, ClipboardGuard
from streamdesk.ui.widgets.secret_field import SecretField

KEY = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoic3RyZWFtZXIifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
OTHER_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiYW5vdGhlcjEifQ.b3RoZXItc2lnbmF0dXJlLXNpZ2"
assert len(KEY) == len(OTHER_KEY)

NOW = 1_790_000_000.0
# the offscreen platform plugin says so whenever a top-level window is shown
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture(autouse=True)
def fresh_clipboard(qapp):
    """The clipboard guard is app-wide: start every test with nothing copied and no timer running."""
    ClipboardGuard.instance().clear_now()
    QGuiApplication.clipboard().clear()
    yield
    ClipboardGuard.instance().clear_now()


@pytest.fixture
def field(qtbot) -> SecretField:
    w = SecretField(what="stream key", read_only=True, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.set_value(KEY)
    w.show()
    qtbot.waitExposed(w)
    return w


def _every_text(w: SecretField) -> list[str]:
    """Everything the field exposes besides the value itself: tooltips, names, repr, labels."""
    texts = [repr(w), w.toolTip(), w.accessibleName(), w.accessibleDescription()]
    for child in [w, *w.findChildren(QWidget)]:
        texts += [child.toolTip(), child.accessibleName(), child.accessibleDescription(), child.statusTip()]
        if isinstance(child, QLabel):
            texts.append(child.text())
    return texts


def test_masked_by_default_and_nothing_leaks(field: SecretField) -> None:
    assert field.edit.echoMode() == QLineEdit.EchoMode.Password
    assert not field.is_revealed()
    assert KEY not in field.edit.displayText()
    assert set(field.edit.displayText()) <= {"●", "*", "•"}
    assert field.value() == KEY
    assert field.edit.isReadOnly()
    assert all(KEY not in t for t in _every_text(field))


def test_reveal_toggles(field: SecretField, qtbot) -> None:
    with qtbot.waitSignal(field.revealedChanged) as shown:
        qtbot.mouseClick(field.reveal_button, Qt.MouseButton.LeftButton)
    assert shown.args == [True]
    assert field.edit.displayText() == KEY
    assert field.reveal_button.isChecked()
    assert field.reveal_button.accessibleName() == "Hide the stream key"
    assert all(KEY not in t for t in _every_text(field))
    qtbot.mouseClick(field.reveal_button, Qt.MouseButton.LeftButton)
    assert not field.is_revealed() and KEY not in field.edit.displayText()
    assert field.reveal_button.accessibleName() == "Show the stream key"


def test_remasks_when_the_timer_fires(field: SecretField) -> None:
    field.reveal()
    assert field.remask_timer.isActive() and field.remask_timer.interval() == 30_000
    field.remask_timer.timeout.emit()  # drive the 30 s timer instead of waiting for it
    assert not field.is_revealed()
    assert not field.reveal_button.isChecked()


def test_remasks_when_the_window_loses_focus(field: SecretField, qtbot) -> None:
    field.activateWindow()
    qtbot.waitUntil(field.isActiveWindow)
    field.reveal()
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: not field.is_revealed())


def test_remasks_when_the_app_goes_to_the_background(field: SecretField) -> None:
    app = QGuiApplication.instance()
    field.reveal()  # the field listens from its first reveal on (see SecretField._watch_app_state)
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationInactive)
    assert not field.is_revealed()
    field.reveal()
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationHidden)
    assert not field.is_revealed()


def test_remasks_when_hidden_and_when_going_live(field: SecretField) -> None:
    field.reveal()
    field.hide()
    assert not field.is_revealed()
    field.show()
    field.reveal()
    field.set_live(True)
    assert not field.is_revealed()


def _open_confirm(field: SecretField, qtbot) -> QMessageBox:
    field.set_live(True)
    qtbot.mouseClick(field.reveal_button, Qt.MouseButton.LeftButton)
    box = field.confirm_box
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    assert not field.is_revealed() and not field.reveal_button.isChecked()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    assert KEY not in box.text() and KEY not in box.informativeText()
    return box


def test_live_reveal_asks_first_and_no_keeps_it_hidden(field: SecretField, qtbot) -> None:
    box = _open_confirm(field, qtbot)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.No), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: field.confirm_box is None)
    assert not field.is_revealed()


def test_live_reveal_enter_takes_the_default_no(field: SecretField, qtbot) -> None:
    box = _open_confirm(field, qtbot)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: field.confirm_box is None)
    assert not field.is_revealed()


def test_live_reveal_yes_shows_it(field: SecretField, qtbot) -> None:
    box = _open_confirm(field, qtbot)
    with qtbot.waitSignal(field.revealedChanged):
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert field.is_revealed() and field.edit.displayText() == KEY
    assert field.remask_timer.isActive()


def test_copy_puts_the_real_value_and_clears_after_the_timeout(field: SecretField, qtbot) -> None:
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("something else")
    qtbot.mouseClick(field.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard.text() == KEY  # the real value although the field shows the mask
    assert bytes(clipboard.mimeData().data(PASSWORD_MANAGER_HINT)) == b"secret"
    assert field.status.text() == "Copied — clipboard clears in 30 s"
    assert field.clipboard_timer.isActive() and field.clipboard_timer.interval() == 30_000
    field.clipboard_timer.timeout.emit()
    assert clipboard.text() == ""
    assert field.status.text() == "Clipboard cleared"


def test_clipboard_is_left_alone_if_the_user_copied_something_else(field: SecretField) -> None:
    clipboard = QGuiApplication.clipboard()
    field.copy()
    clipboard.setText("the streamer's own text")
    field.clipboard_timer.timeout.emit()
    assert clipboard.text() == "the streamer's own text"
    assert field.status.isHidden()


def test_clipboard_is_cleared_even_after_the_field_is_gone(qtbot) -> None:
    """A page rebuilt or a window closed within the 30 s must not leave the key behind."""
    w = SecretField(what="stream key", read_only=True)
    w.set_value(OTHER_KEY)
    w.copy()
    timer = w.clipboard_timer
    with qtbot.waitSignal(w.destroyed):
        w.deleteLater()
    assert not shiboken6.isValid(w)
    assert QGuiApplication.clipboard().text() == OTHER_KEY and timer.isActive()
    timer.timeout.emit()
    assert QGuiApplication.clipboard().text() == ""


def test_ctrl_c_in_the_field_copies_through_the_clearing_guard(field: SecretField, qtbot) -> None:
    QGuiApplication.clipboard().clear()
    field.reveal()
    field.edit.selectAll()
    qtbot.keyClick(field.edit, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == KEY
    assert field.clipboard_timer.isActive()
    field.clipboard_timer.timeout.emit()
    assert QGuiApplication.clipboard().text() == ""


def test_context_menu_copy_goes_through_the_guard_even_while_masked(field: SecretField) -> None:
    menu = field.context_menu()
    copy = next(a for a in menu.actions() if a.objectName() == "edit-copy")
    assert copy.isEnabled()  # Qt disables it for password fields; ours copies the real value
    copy.trigger()
    assert QGuiApplication.clipboard().text() == KEY and field.clipboard_timer.isActive()
    menu.close()


def test_keyboard_only(field: SecretField, qtbot) -> None:
    field.activateWindow()
    qtbot.waitUntil(field.isActiveWindow)
    field.edit.setFocus()
    qtbot.waitUntil(field.edit.hasFocus)
    qtbot.keyClick(field.edit, Qt.Key.Key_R, CTRL_SHIFT)
    assert field.is_revealed()
    qtbot.keyClick(field.edit, Qt.Key.Key_R, CTRL_SHIFT)
    assert not field.is_revealed()
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(field.edit, Qt.Key.Key_C, CTRL_SHIFT)
    assert QGuiApplication.clipboard().text() == KEY
    field.clear_clipboard()
    # Tab walks edit → reveal → copy, and Space on the focused reveal button toggles it
    assert field.edit.nextInFocusChain() is field.reveal_button
    assert field.reveal_button.nextInFocusChain() is field.copy_button
    field.reveal_button.setFocus()
    qtbot.waitUntil(field.reveal_button.hasFocus)
    qtbot.keyClick(field.reveal_button, Qt.Key.Key_Space)
    assert field.is_revealed()
    for button in (field.reveal_button, field.copy_button):
        assert button.accessibleName() and button.toolTip()
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus


def test_editable_mode_for_secrets_the_user_types(qtbot) -> None:
    w = SecretField(what="API secret")
    qtbot.addWidget(w)
    assert not w.edit.isReadOnly() and not w.copy_button.isEnabled()
    seen: list[str] = []
    w.textChanged.connect(seen.append)
    qtbot.keyClicks(w.edit, "abc123")
    assert seen[-1] == "abc123" and w.value() == "abc123"
    assert w.edit.displayText() != "abc123"
    assert w.copy_button.isEnabled() and w.reveal_button.isEnabled()
    assert "abc123" not in repr(w)


def test_expiry_is_shown_and_warns_before_the_planned_end(qtbot) -> None:
    now = [NOW]
    w = SecretField(what="stream key", read_only=True, clock=lambda: now[0])
    qtbot.addWidget(w)
    assert w.expiry.isHidden()
    w.set_expiry(NOW + 2 * 3600 + 5 * 60)
    assert w.expiry.text().startswith("Expires ") and "(in 2 h 5 min)" in w.expiry.text()
    assert not w.expiry_warning()
    w.set_planned_end(NOW + 3 * 3600)
    assert w.expiry_warning()
    assert "before your show's planned end" in w.expiry.text()
    w.set_planned_end(NOW + 3600)
    assert not w.expiry_warning()
    now[0] = NOW + 3 * 3600  # the clock moves on: the minute timer refreshes the line
    w.expiry_timer.timeout.emit()
    assert w.expiry_warning() and w.expiry.text().startswith("⚠ Expired")
    w.set_expiry(None)
    assert w.expiry.isHidden() and not w.expiry_warning()


# ------------------------------------------------------------------------------------------
# Under Xvfb: a screenshot of the RTMPS card, and the clipboard as another X client sees it.
# ------------------------------------------------------------------------------------------


def _card(key: str) -> QWidget:
    """A small RTMPS-card-like form: server in clear, key in a SecretField (hidden)."""
    card = QWidget()
    card.setWindowTitle("RTMPS for OBS")
    form = QFormLayout(card)
    server = QLineEdit("rtmps://ingress.stream-io-video.com:443/live")
    server.setReadOnly(True)
    form.addRow("Server", server)
    field = SecretField(card, what="stream key", read_only=True, clock=lambda: NOW)  # same pixels per key
    field.set_value(key)
    field.set_expiry(NOW + 6 * 3600)
    form.addRow("Stream key", field)
    card.resize(560, 120)
    return card


def _serve_until_stdin(app) -> None:  # pragma: no cover - runs in the Xvfb subprocess
    import select

    while not select.select([sys.stdin], [], [], 0.01)[0]:
        app.processEvents()
    sys.stdin.readline()


def _shoot(out_dir: str) -> int:  # pragma: no cover - runs in the Xvfb subprocess
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    assert QGuiApplication.platformName() == "xcb", QGuiApplication.platformName()
    images = []
    for name, key in (("a", KEY), ("b", OTHER_KEY)):
        card = _card(key)
        card.show()
        for _ in range(20):
            app.processEvents()
        image = card.grab().toImage()
        image.save(os.path.join(out_dir, f"card-{name}.png"))
        images.append(image)
        if name == "a":
            QGuiApplication.primaryScreen().grabWindow(0).save(os.path.join(out_dir, "screen-a.png"))
            field = card.findChild(SecretField)
            field.copy()
            print("COPIED", flush=True)
            _serve_until_stdin(app)  # the clipboard owner must answer the other X client meanwhile
            field.clipboard_timer.timeout.emit()
            app.processEvents()
            print("CLEARED", flush=True)
            _serve_until_stdin(app)
        card.close()
    print("SAME" if images[0] == images[1] else "DIFFERENT", flush=True)
    return 0


def _read_clipboard() -> int:  # pragma: no cover - runs in the Xvfb subprocess
    from PySide6.QtWidgets import QApplication

    QApplication([])
    print(repr(QGuiApplication.clipboard().text()), flush=True)
    return 0


@pytest.mark.xvfb
def test_card_screenshot_shows_no_part_of_the_key_and_clipboard_clears(xvfb_display: str, tmp_path: Path):
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb"}
    env.pop("WAYLAND_DISPLAY", None)
    module = ["-m", "tests.ui.test_secret_field"]
    repo = Path(__file__).resolve().parents[2]
    shooter = subprocess.Popen(
        [sys.executable, *module, "shoot", str(tmp_path)], env=env, cwd=repo,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )

    def clipboard_now() -> str:
        out = subprocess.run([sys.executable, *module, "clipboard"], env=env, cwd=repo,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr[-1500:]
        return out.stdout.strip()

    try:
        assert shooter.stdout.readline().strip() == "COPIED", shooter.stderr.read()[-1500:]
        assert clipboard_now() == repr(KEY)  # another X client gets the real key
        shooter.stdin.write("\n")
        shooter.stdin.flush()
        assert shooter.stdout.readline().strip() == "CLEARED"
        assert clipboard_now() == repr("")
        shooter.stdin.write("\n")
        shooter.stdin.flush()
        verdict = shooter.stdout.readline().strip()
        assert shooter.wait(timeout=60) == 0, shooter.stderr.read()[-1500:]
    finally:
        from tests.plugins.processes import stop_process

        stop_process(shooter)
    # identical pixels for two different keys of the same length: nothing of the key is rendered
    assert verdict == "SAME"
    assert (tmp_path / "card-a.png").stat().st_size > 1000
    shutil.copy(tmp_path / "card-a.png", "/tmp/streamdesk-secret-card.png")


if __name__ == "__main__":  # pragma: no cover
    command = sys.argv[1]
    sys.exit(_shoot(sys.argv[2]) if command == "shoot" else _read_clipboard())
