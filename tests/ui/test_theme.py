"""Theme (System/Light/Dark from Settings), visible card borders and focus ring in both, a Settings
dialog that grows for a message instead of squashing its buttons, and validation lines that keep
their space (nothing moves under the pointer)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from streamdesk.ui import style
from streamdesk.ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
WAIT_MS = 15_000


@pytest.fixture(autouse=True)
def back_to_system(qapp: QApplication):
    yield
    style.apply_theme(qapp, "system")


def _contrast(a: str | QColor, b: str | QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.red()) + 0.7152 * ch(c.green()) + 0.0722 * ch(c.blue())
    la, lb = sorted((lum(QColor(a)), lum(QColor(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_borders_and_the_focus_ring_are_visible_in_both_themes(qapp, theme) -> None:
    style.apply_theme(qapp, theme)
    pal = qapp.palette()
    assert style.is_dark(pal) is (theme == "dark")
    window = pal.color(QPalette.ColorRole.Window)
    base = pal.color(QPalette.ColorRole.Base)
    border = style.border_colour(pal)
    assert _contrast(border, window) >= 1.8 and _contrast(border, base) >= 1.8
    assert _contrast(style.focus_colour(pal), window) >= 3.0  # WCAG non-text contrast
    sheet = qapp.styleSheet()
    assert "QPushButton:focus" in sheet and "QLineEdit:focus" in sheet and border in sheet


def _dialog(window: Any, qtbot: Any) -> SettingsDialog:
    dialog = SettingsDialog(window.controller, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    return dialog


def test_settings_offers_system_light_dark_applies_at_once_and_saves(make_window, qtbot, qapp) -> None:
    window = make_window()
    dialog = _dialog(window, qtbot)
    assert [dialog.theme.itemText(i) for i in range(dialog.theme.count())] == ["System", "Light", "Dark"]
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    assert style.is_dark(qapp.palette())
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert window.controller.ctx.store.get_setting(style.THEME_SETTING) == "dark"

    again = _dialog(window, qtbot)
    assert again.theme_choice() == "dark"
    again.theme.setCurrentIndex(again.theme.findData("light"))
    assert not style.is_dark(qapp.palette())
    again.reject()  # Cancel goes back to what was saved
    assert style.is_dark(qapp.palette())


def test_an_error_in_settings_does_not_squash_the_buttons(make_window, qtbot) -> None:
    window = make_window()
    dialog = _dialog(window, qtbot)
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    before = save.height()
    dialog.link_edit.setText("example.com/watch")
    save.click()
    assert dialog.banner.text
    qtbot.waitUntil(lambda: dialog.height() >= dialog.minimumSizeHint().height(), timeout=2000)
    assert save.height() == before
    assert dialog.banner.height() > 0
    assert save.mapTo(dialog, save.rect().topLeft()).y() >= dialog.banner.geometry().bottom()
    dialog.reject()


def test_validation_messages_keep_their_space(make_window, qtbot) -> None:
    window = make_window()
    card = window.cards["account"]
    window.show_stage("account")
    qtbot.waitUntil(card.user_id.isVisible, timeout=WAIT_MS)
    below = card.call_id.mapTo(window, card.call_id.rect().topLeft()).y()
    card.api_key.setText("k")
    card.user_id.setText("bad user id with spaces!")
    qtbot.waitUntil(lambda: bool(card.errors["user_id"].text()), timeout=WAIT_MS)
    qtbot.wait(10)
    assert card.call_id.mapTo(window, card.call_id.rect().topLeft()).y() == below


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_an_unchecked_check_box_shows_its_box_in_both_themes(qapp, qtbot, theme) -> None:
    """Drawn by the real style and read back as pixels: Fusion outlines the box in the window
    colour darkened, which vanished on the dark theme's window."""
    from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

    style.apply_theme(qapp, theme)
    host = QWidget()
    qtbot.addWidget(host)
    box = QCheckBox("Record the stream", host)
    QVBoxLayout(host).addWidget(box)
    host.resize(240, 60)
    host.show()
    qtbot.waitExposed(host)
    image = host.grab().toImage()
    window = qapp.palette().color(QPalette.ColorRole.Window)
    top = box.geometry().top()
    # the indicator sits at the box's left, before its text: the strongest edge there is its outline
    edge = max(_contrast(image.pixelColor(x, y), window)
               for x in range(box.geometry().left(), box.geometry().left() + 20)
               for y in range(top, top + box.height()))
    assert edge >= 3.0, f"{theme}: the box's outline is {edge:.2f}:1 against the window"  # WCAG non-text
