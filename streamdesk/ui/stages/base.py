"""What every stage card shares: a title, a one-line explanation, an inline banner, a body."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from streamdesk.ui.plain import plain
from streamdesk.ui.widgets.banner import Banner

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller
    from streamdesk.ui.widgets.secret_field import SecretField


SHORTCUT_TIP = "(Ctrl+Enter)"


class StageCard(QScrollArea):
    stage = ""
    title = ""
    subtitle = ""
    enter_presses_primary = True  # the Live card's main button ends the show: not on a stray Enter

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget(self)
        self.setWidget(inner)
        self._inner = inner
        outer = QVBoxLayout(inner)
        outer.setContentsMargins(28, 22, 28, 22)
        outer.setSpacing(10)
        self.title_label = QLabel(self.title, inner)
        self.title_label.setObjectName("CardTitle")
        self.subtitle_label = QLabel(self.subtitle, inner)
        self.subtitle_label.setObjectName("CardSubtitle")
        self.subtitle_label.setWordWrap(True)
        self.banner = Banner(inner)
        outer.addWidget(self.title_label)
        outer.addWidget(self.subtitle_label)
        outer.addWidget(self.banner)
        self.body = QVBoxLayout()
        self.body.setSpacing(12)
        outer.addLayout(self.body)
        outer.addStretch(1)
        controller.message.connect(self._on_message)
        controller.state_changed.connect(lambda *_: self._on_state_for_notice())
        controller.state_changed.connect(lambda *_: self.refresh())
        reach = getattr(controller, "reachability", None)
        if reach is not None:
            reach.connect(self._on_reach_for_notice)
        controller.busy_changed.connect(lambda *_: self.refresh())

    def widget(self) -> QWidget:
        """The card's content widget (always set: the scroll area never holds another)."""
        return self._inner

    def _on_message(self, stage: str, level: str, text: str) -> None:
        if stage == self.stage:
            self.banner.show_message(level, gui_text(text))
            self._notice_state = self.controller.state  # the notice belongs to this state

    def _on_state_for_notice(self) -> None:
        """A notice belongs to the state it was shown in: when the state changes, it goes."""
        if self.banner.text and getattr(self, "_notice_state", None) not in (None, self.controller.state):
            self.banner.clear()

    def _on_reach_for_notice(self, what: str, ok: bool) -> None:
        """"Could not reach GetStream/OBS" goes as soon as it answers again."""
        if ok and self.banner.level == "error" and f"reach {'GetStream' if what == 'getstream' else 'OBS'}" \
                in self.banner.text:
            self.banner.clear()

    def __init_subclass__(cls, **kw: object) -> None:
        """Every card's ``refresh`` ends by naming the shortcut on the button Ctrl+Enter presses."""
        super().__init_subclass__(**kw)
        own = cls.__dict__.get("refresh")
        if own is not None and not getattr(own, "_tips_primary", False):
            def refresh(self: StageCard) -> None:
                own(self)
                self._tip_primary()

            refresh._tips_primary = True  # type: ignore[attr-defined]
            cls.refresh = refresh  # type: ignore[method-assign]

    def _tip_primary(self) -> None:
        """"Go live (Ctrl+Enter)": the main button's tooltip names its shortcut (and only its)."""
        target = self.primary()
        for b in self.findChildren(QPushButton):
            tip = b.toolTip()
            if tip.endswith(SHORTCUT_TIP):
                b.setToolTip(tip[: -len(SHORTCUT_TIP)].rstrip())
        if target is not None and target.isEnabled():
            tip = target.toolTip() or target.text().replace("&&", "&")
            target.setToolTip(f"{tip} {SHORTCUT_TIP}")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter on a stage (a field, a focused button) presses its main button; a field that
        handles Enter itself (the chat input, the account form) says so with ``own_enter``."""
        from PySide6.QtCore import Qt

        focus = QApplication.focusWidget()
        if (self.enter_presses_primary and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not (focus and focus.property("own_enter"))):
            target = self.primary()
            if target is not None and target.isEnabled() and target.isVisible():
                target.click()
                return
        super().keyPressEvent(event)

    def refresh(self) -> None:
        """Enable/disable actions from the flow; subclasses override."""

    def primary(self) -> QPushButton | None:
        """The button Ctrl+Return presses on this card."""
        return None

    # helpers ----------------------------------------------------------------------------------
    def panel(self, title: str = "") -> QVBoxLayout:
        frame = QFrame(self.widget())
        frame.setObjectName("Panel")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(16, 12, 16, 14)
        layout.setSpacing(8)
        if title:
            label = QLabel(title, frame)
            label.setObjectName("SectionTitle")
            layout.addWidget(label)
        self.body.addWidget(frame)
        return layout


def frame_of(panel: QVBoxLayout) -> QWidget:
    """The frame a ``StageCard.panel`` layout sits in (to show or hide the whole panel)."""
    frame = panel.parentWidget()
    assert frame is not None, "a panel's layout always has its frame"
    return frame


# command-line advice inside a notice: "(`streamdesk obs status`)", "Run: streamdesk provision",
# "; run `streamdesk obs undo` to retry"
_CLI_ADVICE = (
    re.compile(r"\s*\(\s*`?streamdesk [^)]*\)"),
    re.compile(r"(?:^|(?<=[.!?])\s+)Run:? `?streamdesk [^.]*\.?", re.IGNORECASE),
    re.compile(r"[;,]\s*run `streamdesk [^`]*`[^.;]*", re.IGNORECASE),
)


def gui_text(text: str) -> str:
    """A notice in GUI terms: no "run `streamdesk …`" advice (it is for the command line), and no
    repeated lead ("Could not reach GetStream: Could not reach GetStream …" said once)."""
    cleaned = text
    for pattern in _CLI_ADVICE:
        cleaned = pattern.sub("", cleaned)
    cleaned = cleaned.strip() or text
    if cleaned[-1:].isalnum():
        cleaned += "."
    head, sep, tail = cleaned.partition(": ")
    if sep and tail.lower().startswith(head.lower()):
        cleaned = tail
    return cleaned


def button(text: str, parent: QWidget, role: str = "", slot: Callable[[], None] | None = None,
           name: str = "") -> QPushButton:
    b = QPushButton(text, parent)
    if role:
        b.setProperty("role", role)
    if name:
        b.setObjectName(name)
    if slot is not None:
        b.clicked.connect(lambda _=False: slot())
    return b


def gate(widget: QPushButton, reason: str | None, *, busy: bool = False, hint: QLabel | None = None) -> None:
    """Enable ``widget`` when the flow allows it; otherwise its tooltip (and ``hint``) say why."""
    widget.setEnabled(reason is None and not busy)
    widget.setToolTip(reason or "")
    if hint is not None:
        hint.setText(reason or "")
        hint.setVisible(bool(reason))


def hint_label(parent: QWidget, text: str = "", role: str = "hint") -> QLabel:
    label = QLabel(text, parent)
    plain(label)  # hints and reasons may quote GetStream or OBS
    label.setProperty("role", role)
    label.setWordWrap(True)
    return label


def row(*widgets: QWidget, stretch_last: bool = True) -> QHBoxLayout:
    layout = QHBoxLayout()
    layout.setSpacing(8)
    for w in widgets:
        layout.addWidget(w)
    if stretch_last:
        layout.addStretch(1)
    return layout


def secret_field(parent: QWidget, what: str, *, read_only: bool = False) -> SecretField:
    """The Secrets area's ``SecretField`` (masked, reveal-with-confirm while live, copy with
    clipboard clearing, expiry warning)."""
    from streamdesk.ui.widgets.secret_field import SecretField

    return SecretField(parent, what=what, read_only=read_only)


def secret_text(field: QWidget) -> str:
    for name in ("value", "text", "secret"):
        getter = getattr(field, name, None)
        if callable(getter):
            value = getter()
            if isinstance(value, str):
                return value
    return ""


def set_secret_text(field: QWidget, value: str) -> None:
    for name in ("set_value", "setValue", "set_secret", "setText"):
        setter = getattr(field, name, None)
        if callable(setter):
            setter(value)
            return
