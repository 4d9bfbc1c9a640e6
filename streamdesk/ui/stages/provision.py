"""Provision: one button; then the RTMPS card (server with copy, stream key in a SecretField,
key expiry) and the call-type/backstage options in an "advanced" fold."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDateTime
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from streamdesk.core.flow import Event, State
from streamdesk.core.keys import key_expired
from streamdesk.ui import style
from streamdesk.ui.stages.base import (
    StageCard,
    button,
    gate,
    hint_label,
    row,
    secret_field,
    secret_text,
    set_secret_text,
)

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller


def describe_expiry(expires_at: float | None, now: float) -> str:
    if expires_at is None:
        return "The stream key does not expire."
    left = expires_at - now
    when = datetime.fromtimestamp(expires_at).strftime("%Y-%m-%d %H:%M")
    if key_expired(expires_at, now):
        return f"Expired at {when}: rotate the key before streaming."
    hours = left / 3600
    span = f"{hours:.0f} h" if hours >= 2 else f"{left / 60:.0f} min"
    return f"Expires {when} (in {span})."


class ProvisionCard(StageCard):
    stage = "provision"
    title = "Provision the livestream"
    _type_backup = False  # is there a call-type backup to undo (read by a task: has_call_type_backup)
    subtitle = ("Creates your livestream call in backstage, its chat channel, and a stream key for OBS. "
                "Viewers see nothing until you go live.")

    def __init__(self, controller: Controller, parent: QWidget | None = None,
                 confirm: Callable[[str, str], bool] | None = None) -> None:
        super().__init__(controller, parent)
        self.confirm = confirm or (lambda _t, _x: False)
        w = self.widget()
        box = self.panel()
        self.provision_button = button("Provision", w, "primary", self._provision, name="provision")
        self.reason_hint = hint_label(w)
        self.advanced_toggle = QToolButton(w)
        self.advanced_toggle.setText("▸ Advanced")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced_toggle.toggled.connect(self._toggle_advanced)
        box.addLayout(row(self.provision_button, self.advanced_toggle, self.reason_hint))
        self.advanced = QWidget(w)
        adv = QFormLayout(self.advanced)
        adv.setContentsMargins(0, 4, 0, 0)
        # short values (seconds, hours, a date): full-width boxes would only stretch the eye's path
        adv.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        # Backstage and join-ahead go on this call only. The call type is shared by every livestream
        # call of the app: changing it is a separate, explicit choice, shown first and undoable.
        self.call_type = QLabel("Backstage and join-ahead apply to this call only.", self.advanced)
        self.apply_type = QCheckBox("Apply to the whole livestream call type", self.advanced)
        self.apply_type.setObjectName("call_type_opt_in")
        self.apply_type.setToolTip("App-wide: lets hosts join backstage (adds join-backstage to their "
                                   "existing grants, removes nothing) and turns backstage on for every "
                                   "livestream call. You see the change first; Undo restores it.")
        self.undo_type = button("Undo call-type change", self.advanced, slot=self._undo_call_type,
                                name="call_type_undo")
        self.join_ahead = QSpinBox(self.advanced)
        self.join_ahead.setRange(0, 3600)
        self.join_ahead.setSuffix(" s")
        self.join_ahead.setSpecialValueText("off")
        self.join_ahead.setToolTip("Viewers may join this many seconds before the scheduled start.")
        self.use_starts_at = QCheckBox("Scheduled start", self.advanced)
        self.starts_at = QDateTimeEdit(QDateTime.currentDateTime().addSecs(3600), self.advanced)
        self.starts_at.setCalendarPopup(True)
        # unambiguous in every locale (the default short format can read "22 11 2026 02:26")
        self.starts_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.starts_at.setEnabled(False)
        self.use_starts_at.toggled.connect(self.starts_at.setEnabled)
        self.show_length = QDoubleSpinBox(self.advanced)
        self.show_length.setObjectName("show_length")
        self.show_length.setRange(0.5, 48)
        self.show_length.setSingleStep(0.5)
        self.show_length.setDecimals(1)
        self.show_length.setValue(3)
        self.show_length.setSuffix(" h")
        self.show_length.setToolTip("How long the show runs, from the scheduled start (or from now): "
                                    "the stream key field warns when the key expires before it ends.")
        for signal in (self.use_starts_at.toggled, self.starts_at.dateTimeChanged,
                       self.show_length.valueChanged):
            signal.connect(lambda *_: self._update_planned_end())
        self.key_ttl = QSpinBox(self.advanced)
        self.key_ttl.setRange(1, 24 * 30)
        self.key_ttl.setValue(24)
        self.key_ttl.setSuffix(" h")
        self.key_ttl.setToolTip("Long enough for the show plus reconnects: OBS loops forever on an "
                                "expired key.")
        adv.addRow("Call type", self.call_type)
        adv.addRow("", self.apply_type)
        adv.addRow("", row(self.undo_type))
        adv.addRow("Join ahead", self.join_ahead)
        adv.addRow(self.use_starts_at, self.starts_at)
        adv.addRow("Planned show length", self.show_length)
        adv.addRow("Stream key valid for", self.key_ttl)
        self.advanced.hide()
        box.addWidget(self.advanced)

        rtmps = self.panel("RTMPS for OBS")
        form = QFormLayout()
        form.setHorizontalSpacing(14)
        self.server = QLineEdit(w)
        self.server.setObjectName("rtmps_server")
        self.server.setReadOnly(True)
        self.server.setPlaceholderText("appears after provisioning")
        self.copy_server = button("Copy", w, slot=self._copy_server, name="copy_server")
        self.key = secret_field(w, "stream key", read_only=True)
        self.key.setObjectName("stream_key")
        # the key field shows its own expiry (and warns before it); this line covers the time
        # before the key is loaded from the keyring
        self.expiry = hint_label(w)
        self.expiry.setObjectName("key_expiry")
        self.rotate = button("Rotate key", w, slot=controller.rotate_key, name="rotate_key")
        self.rotate.setToolTip("Mint a new stream key (the old one stops working once OBS reconnects).")
        form.addRow("Server", row(self.server, self.copy_server, stretch_last=False))
        form.addRow("Stream key", self.key)
        form.addRow("", self.expiry)
        form.addRow("", row(self.rotate))
        rtmps.addLayout(form)
        self.next_button = button("Continue to Connect OBS", w, "primary", name="provision_next")
        rtmps.addLayout(row(self.next_button))
        controller.channel_changed.connect(self._on_channel)
        self._read_type_backup()
        controller.key_loaded.connect(self._on_key)
        controller.state_changed.connect(self._on_state)
        self._on_channel(controller.channel)

    def _toggle_advanced(self, on: bool) -> None:
        self.advanced.setVisible(on)
        self.advanced_toggle.setText("▾ Advanced" if on else "▸ Advanced")

    def planned_end(self) -> float:
        """Unix seconds the show is planned to end: scheduled start (or now) + its length."""
        start = (self.starts_at.dateTime().toSecsSinceEpoch() if self.use_starts_at.isChecked()
                 else self.controller.clock())
        return start + self.show_length.value() * 3600

    def _update_planned_end(self) -> None:
        self.key.set_planned_end(self.planned_end())

    def _provision(self) -> None:
        if self.apply_type.isChecked():
            self._call_type_then_provision()
        else:
            self._provision_call()

    def _provision_call(self) -> None:
        starts: Any = None
        if self.use_starts_at.isChecked():
            starts = datetime.fromtimestamp(self.starts_at.dateTime().toSecsSinceEpoch(), UTC)
        self.controller.provision(join_ahead=self.join_ahead.value() or None, starts_at=starts,
                                  key_ttl_hours=self.key_ttl.value())

    # -- the opt-in call-type change (core.call_type_settings): read, show the diff, apply, undo --
    def _call_type_then_provision(self) -> None:
        ctx = self.controller.ctx
        join_ahead = self.join_ahead.value() or None

        def op() -> Any:
            from streamdesk.core import call_type_settings, channel_ops

            channel = channel_ops.require_account(ctx)
            with channel_ops.client(ctx) as gs:
                return call_type_settings.plan(gs, channel.call_type, join_ahead=join_ahead)

        def planned(plan: Any) -> None:
            if plan.changes and self.confirm("Change the whole livestream call type?", _diff_text(plan)):
                self._apply_call_type(plan)
            else:
                self._provision_call()

        self.controller.tasks.run(op, planned, self._failed, what="read the livestream call type")

    def _apply_call_type(self, plan: Any) -> None:
        ctx = self.controller.ctx

        def op() -> Any:
            from streamdesk.core import call_type_settings, channel_ops

            with channel_ops.client(ctx) as gs:
                call_type_settings.apply(ctx, gs, plan)
            return call_type_settings.backup(ctx) is not None

        def done(has_backup: bool) -> None:
            self._type_backup = has_backup
            self.banner.show_message("ok", "The livestream call type now lets hosts join backstage. "
                                     "Undo call-type change restores it.")
            self.refresh()
            self._provision_call()

        self.controller.tasks.run(op, done, self._failed, what="change the livestream call type")

    def _undo_call_type(self) -> None:
        ctx = self.controller.ctx

        def op() -> Any:
            from streamdesk.core import call_type_settings, channel_ops

            with channel_ops.client(ctx) as gs:
                return call_type_settings.plan_undo(gs, ctx)

        def planned(plan: Any) -> None:
            text = (_diff_text(plan) if plan.changes
                    else "The call type is already as it was; forget the saved backup?")
            if self.confirm("Undo the call-type change?", text):
                self._run_undo(plan)

        self.controller.tasks.run(op, planned, self._failed, what="read the livestream call type")

    def _run_undo(self, plan: Any) -> None:
        ctx = self.controller.ctx

        def op() -> Any:
            from streamdesk.core import call_type_settings, channel_ops

            with channel_ops.client(ctx) as gs:
                call_type_settings.undo(ctx, gs, plan)
            return call_type_settings.backup(ctx) is not None

        def done(has_backup: bool) -> None:
            self._type_backup = has_backup
            self.banner.show_message("ok", "The livestream call type is back as it was (grants others added "
                                     "since are kept).")
            self.refresh()

        self.controller.tasks.run(op, done, self._failed, what="undo the call-type change")

    def _failed(self, text: str, _error: BaseException) -> None:
        self.banner.show_message("error", text)
        self.refresh()

    def has_call_type_backup(self) -> bool:
        """As last read by a task: ``refresh`` runs on every busy change, and a store read there put
        ~36 database reads per wizard run on the GUI thread (bench/responsiveness.py --audit)."""
        return self._type_backup

    def _read_type_backup(self) -> None:
        ctx = self.controller.ctx

        def op() -> bool:
            from streamdesk.core import call_type_settings

            return call_type_settings.backup(ctx) is not None

        def done(has_backup: bool) -> None:
            self._type_backup = has_backup
            self.refresh()

        self.controller.tasks.run(op, done, lambda _text, _e: None, what="read the call-type backup")

    def _copy_server(self) -> None:
        if self.server.text():
            QGuiApplication.clipboard().setText(self.server.text())
            self.banner.show_message("info", "Server copied.")

    def _on_channel(self, channel: Any) -> None:
        self.server.setText(getattr(channel, "rtmps_url", "") or "")
        self.expiry.setText(describe_expiry(getattr(channel, "key_expires_at", None), time.time())
                            if getattr(channel, "is_provisioned", False) else "")
        self.refresh()

    def _on_key(self, key: str, expires_at: Any) -> None:
        set_secret_text(self.key, key)
        self.key.set_expiry(expires_at)
        self._update_planned_end()
        self.expiry.setVisible(not key)

    def _on_state(self, _old: str, new: str) -> None:
        # revealing the key while OBS sends to the call asks first (it could be on screen)
        self.key.set_live(State(new) in (State.READY, State.GOING_LIVE, State.LIVE, State.ENDING))
        if State(new) not in (State.LIVE, State.ENDING):
            self._update_planned_end()  # "from now" moves on; on air, the show has its end already
        if (State(new) is not State.NEEDS_PROVISION and self.controller.channel.is_provisioned
                and not secret_text_loaded(self.key)):
            self.controller.load_key()

    def refresh(self) -> None:
        busy = {"provision", "rotate_key"} & self.controller.busy
        reason = self.controller.reason(Event.PROVISIONED)
        gate(self.provision_button, reason, busy=bool(busy), hint=self.reason_hint)
        provisioned = bool(self.controller.channel.is_provisioned)
        self.provision_button.setText("Provision again" if provisioned else "Provision")
        role = "" if provisioned else "primary"  # once provisioned, Continue is the way forward
        if self.provision_button.property("role") != role:
            self.provision_button.setProperty("role", role)
            style.repolish(self.provision_button)
        self.copy_server.setEnabled(bool(self.server.text()))
        gate(self.undo_type, None if self.has_call_type_backup() else "No call-type change to undo.",
             busy=bool(busy))
        gate(self.rotate, reason if provisioned else "Provision first.", busy=bool(busy))
        self.next_button.setEnabled(provisioned)

    def primary(self) -> QPushButton | None:
        return self.next_button if self.controller.channel.is_provisioned else self.provision_button


def _diff_text(plan: Any) -> str:
    lines = [f"This changes the {plan.name} call type for every livestream call of your GetStream app:", ""]
    lines += [f"{c.setting}: {c.old}  →  {c.new}" for c in plan.changes]
    lines += ["", "Nothing is removed; Undo call-type change restores the previous settings."]
    return "\n".join(lines)


def secret_text_loaded(field: QWidget) -> bool:
    return bool(secret_text(field))
