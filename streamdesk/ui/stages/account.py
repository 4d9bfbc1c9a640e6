"""Account: API key, API secret (keyring), broadcaster user id, call id, simulator switch.

Validated as typed: every field says what is wrong under it, and Save stays disabled until the
form is complete, so no request is ever sent with an empty secret or a malformed base URL.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from streamdesk.core.errors import InvalidInput
from streamdesk.core.flow import Event
from streamdesk.core.paths import check_api_base
from streamdesk.ui.stages.base import (
    StageCard,
    button,
    gate,
    hint_label,
    row,
    secret_field,
    secret_text,
)

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller

_ID = re.compile(r"^[A-Za-z0-9@_.-]+$")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/.*)?$")
REAL_API = "https://chat.stream-io-api.com"


def validate(api_key: str, secret: str, secret_stored: bool, user_id: str, call_id: str,
             use_sim: bool, base_url: str) -> dict[str, str]:
    """Field name → what to fix (empty dict: the form is complete)."""
    problems: dict[str, str] = {}
    if not api_key:
        problems["api_key"] = "Enter the API key from your GetStream dashboard."
    elif not _ID.match(api_key):
        problems["api_key"] = "An API key has no spaces: copy it again from the dashboard."
    if not secret and not secret_stored:
        problems["secret"] = "Enter the API secret (it goes to your keyring, never to disk)."
    elif secret and secret != secret.strip():
        problems["secret"] = "The secret starts or ends with a space: copy it again."
    if not user_id:
        problems["user_id"] = "Enter the user id you broadcast as (for example your channel name)."
    elif not _ID.match(user_id):
        problems["user_id"] = "Use letters, digits, @ _ . - only."
    if call_id and not _ID.match(call_id):
        problems["call_id"] = "Use letters, digits, @ _ . - only (or leave empty for the default)."
    if use_sim and not _URL.match(base_url):
        problems["base_url"] = "The simulator URL looks like http://127.0.0.1:PORT."
    elif use_sim:
        try:  # the same rule as STREAMDESK_API_BASE and `setup --api-base`: https off loopback
            check_api_base(base_url)
        except InvalidInput as e:
            problems["base_url"] = e.message
    return problems


class AccountCard(StageCard):
    stage = "account"
    title = "Your GetStream account"
    subtitle = ("The API key and secret of your GetStream app. The secret goes straight to your system "
                "keyring; nothing secret is written to disk.")

    def __init__(self, controller: Controller, parent: QWidget | None = None, *,
                 simulator_url: str = "") -> None:
        super().__init__(controller, parent)
        self.simulator_url = simulator_url
        box = self.panel()
        form = QFormLayout()
        form.setVerticalSpacing(4)
        form.setHorizontalSpacing(14)
        w = self.widget()
        self.api_key = QLineEdit(w)
        self.api_key.setObjectName("api_key")
        self.api_key.setPlaceholderText("e.g. mmhfdzb5evj2")
        self.secret = secret_field(w, "API secret")
        self.secret.setObjectName("api_secret")
        self.user_id = QLineEdit(w)
        self.user_id.setObjectName("user_id")
        self.user_id.setPlaceholderText("the id you broadcast as")
        self.call_id = QLineEdit(w)
        self.call_id.setObjectName("call_id")
        self.call_id.setPlaceholderText("default: derived from the user id")
        self.use_sim = QCheckBox("Use the simulator (no GetStream account needed)", w)
        self.use_sim.setObjectName("use_sim")
        self.base_url = QLineEdit(w)
        self.base_url.setObjectName("base_url")
        self.errors: dict[str, QLabel] = {}
        for name, label, field in (
            ("api_key", "API key", self.api_key),
            ("secret", "API secret", self.secret),
            ("user_id", "Broadcaster user id", self.user_id),
            ("call_id", "Call id", self.call_id),
        ):
            form.addRow(label, self._with_error(name, field))
        form.addRow("", self.use_sim)
        form.addRow("Simulator URL", self._with_error("base_url", self.base_url))
        box.addLayout(form)
        self.save = button("Save account", w, "primary", self._save, name="save_account")
        self.stored_hint = hint_label(w)
        box.addLayout(row(self.save, self.stored_hint))
        for field in (self.api_key, self.user_id, self.call_id, self.base_url):
            field.textChanged.connect(self.refresh)
            field.returnPressed.connect(self._submit)  # Enter in a field submits the form
            field.setProperty("own_enter", True)
        secret_edit = getattr(self.secret, "edit", None)
        if secret_edit is not None:
            secret_edit.returnPressed.connect(self._submit)
            secret_edit.setProperty("own_enter", True)
        signal = getattr(self.secret, "textChanged", None) or getattr(self.secret, "changed", None)
        if signal is not None:
            signal.connect(self.refresh)
        self.use_sim.toggled.connect(self._on_sim_toggled)
        self.secret_stored = False
        controller.channel_changed.connect(self.load)
        self.load(controller.channel)

    def _with_error(self, name: str, field: QWidget) -> QVBoxLayout:
        layout = QVBoxLayout()
        layout.setSpacing(2)
        layout.addWidget(field)
        error = hint_label(self.widget(), role="fieldError")
        error.setObjectName(f"error_{name}")
        # the line is always there, empty when all is well: an error appearing must not push the
        # fields below it down under the pointer
        error.setMinimumHeight(error.fontMetrics().height() + 2)
        layout.addWidget(error)
        self.errors[name] = error
        return layout

    def load(self, channel: object) -> None:
        api_key = getattr(channel, "api_key", "")
        if api_key and not self.api_key.text():
            self.api_key.setText(api_key)
            self.user_id.setText(getattr(channel, "user_id", ""))
            self.call_id.setText(getattr(channel, "call_id", ""))
        base = getattr(channel, "api_base", "") or ""
        if base and base != REAL_API:
            self.use_sim.setChecked(True)
            self.base_url.setText(base)
        # a saved account means the secret is in the keyring: leaving the field empty keeps it
        self.secret_stored = bool(getattr(channel, "has_account", False))
        self.stored_hint.setText("The secret is in your keyring; leave it empty to keep it."
                                 if self.secret_stored else "")
        self._on_sim_toggled(self.use_sim.isChecked())

    def _on_sim_toggled(self, on: bool) -> None:
        if on and not self.base_url.text():
            self.base_url.setText(self.simulator_url or "http://127.0.0.1:8100")
        self.base_url.setEnabled(on)
        self.refresh()

    def problems(self) -> dict[str, str]:
        return validate(self.api_key.text().strip(), secret_text(self.secret), self.secret_stored,
                        self.user_id.text().strip(), self.call_id.text().strip(),
                        self.use_sim.isChecked(), self.base_url.text().strip())

    def refresh(self) -> None:
        problems = self.problems()
        touched = {
            "api_key": bool(self.api_key.text()), "secret": bool(secret_text(self.secret)),
            "user_id": bool(self.user_id.text()), "call_id": True, "base_url": True,
        }
        for name, label in self.errors.items():
            # only nag about fields the streamer has started on (or when every field is filled)
            text = problems.get(name, "") if touched.get(name) or self.api_key.text() else ""
            label.setText(text)
        if problems and self.banner.level == "ok":
            self.banner.clear()  # "Account saved" must not stand next to errors in the form
        reason = self.controller.reason(Event.ACCOUNT_SAVED)
        if reason is None and problems:
            reason = next(iter(problems.values()))
        gate(self.save, reason, busy="save_account" in self.controller.busy)

    def _submit(self) -> None:
        if self.save.isEnabled():
            self.save.click()
        else:
            self.refresh()  # the reason shows under the field / on the button

    def _save(self) -> None:
        if self.problems():
            self.refresh()
            return
        self.controller.save_account(
            api_key=self.api_key.text().strip(), api_secret=secret_text(self.secret),
            user_id=self.user_id.text().strip(), call_id=self.call_id.text().strip(),
            api_base=self.base_url.text().strip() if self.use_sim.isChecked() else REAL_API)

    def primary(self) -> QPushButton | None:
        return self.save
