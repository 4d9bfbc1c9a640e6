"""Settings: Discord notifications (webhook, embed title and link, a test message) and the live
poll interval.

The webhook URL is a secret (anyone holding it can post to the channel): it goes from the
``SecretField`` straight to the keyring (``SecretKind.DISCORD_WEBHOOK``) and is never read back
onto the screen; the field stays empty, and its placeholder says whether one is saved. Title,
link and interval are plain store settings, shared with ``streamdesk discord`` and
``streamdesk watch``. Keyring, store writes and the test message run through the controller's
background tasks; this dialog never waits on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from streamdesk.core.cadence import USER_POLL_RANGE_S
from streamdesk.core.errors import InvalidInput
from streamdesk.ui import style
from streamdesk.ui.stages.base import hint_label, row, secret_field, secret_text
from streamdesk.ui.widgets.banner import Banner

if TYPE_CHECKING:
    from streamdesk.ui.controller import Controller



def check_link(link: str) -> str:
    """The link stripped, or ``InvalidInput`` (same rule as ``streamdesk discord set --link``)."""
    link = link.strip()
    if link and not link.startswith(("https://", "http://")):
        raise InvalidInput("The link must be a web address starting with https://.",
                           hint="Paste the page where viewers watch, or leave it empty.")
    return link


class SettingsDialog(QDialog):
    """Modal: ``SettingsDialog(controller, parent).exec()``. ``notice`` shows what happened."""

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.ctx = controller.ctx
        self.setObjectName("settingsDialog")
        self.setWindowTitle("streamdesk settings")
        self.setMinimumWidth(560)
        self._has_webhook = False
        self._busy = 0

        self.banner = Banner(self)

        discord_box = QGroupBox("Discord notifications", self)
        form = QFormLayout(discord_box)
        form.setHorizontalSpacing(14)
        intro = hint_label(discord_box, "A message in your Discord channel when you go live and when the "
                           "stream ends. Mentions are suppressed: @everyone never pings.")
        form.addRow(intro)
        self.webhook = secret_field(discord_box, "Discord webhook URL")
        self.webhook.setObjectName("discord_webhook")
        self.webhook.edit.setPlaceholderText("https://discord.com/api/webhooks/…")  # type: ignore[attr-defined]
        form.addRow("Webhook URL", self.webhook)
        self.webhook_hint = hint_label(discord_box, "Discord: Server Settings → Integrations → Webhooks → "
                                       "Copy Webhook URL. Kept in your system keyring only.")
        form.addRow("", self.webhook_hint)
        self.title_edit = QLineEdit(discord_box)
        self.title_edit.setObjectName("discord_title")
        self.title_edit.setMaxLength(200)
        self.title_edit.setPlaceholderText("the call id")
        form.addRow("Stream title", self.title_edit)
        self.link_edit = QLineEdit(discord_box)
        self.link_edit.setObjectName("discord_link")
        self.link_edit.setPlaceholderText("https://… where viewers watch (optional)")
        form.addRow("Watch link", self.link_edit)
        self.test_button = QPushButton("Send test", discord_box)
        self.test_button.setObjectName("discord_test")
        self.test_button.setToolTip("Post a test message to the webhook above (or the saved one)")
        self.test_button.clicked.connect(self.send_test)
        self.remove_button = QPushButton("Remove webhook", discord_box)
        self.remove_button.setObjectName("discord_remove")
        self.remove_button.setToolTip("No more Discord notifications")
        self.remove_button.clicked.connect(self.remove_webhook)
        self.remove_button.setEnabled(False)
        form.addRow("", row(self.test_button, self.remove_button))

        live_box = QGroupBox("While live", self)
        live_form = QFormLayout(live_box)
        self.poll = QSpinBox(live_box)
        self.poll.setObjectName("poll_interval")
        self.poll.setRange(*USER_POLL_RANGE_S)
        self.poll.setSuffix(" s")
        self.poll.setValue(round(controller.live_interval_s()))
        self.poll.setToolTip("How often viewers and chat are read from GetStream (also used by "
                             "`streamdesk watch`). Shorter is livelier but costs API calls.")
        live_form.addRow("Refresh numbers every", self.poll)

        look_box = QGroupBox("Appearance", self)
        look_form = QFormLayout(look_box)
        self.theme = QComboBox(look_box)
        self.theme.setObjectName("theme")
        for key, label in style.THEMES.items():
            self.theme.addItem(label, key)
        self._theme_before = self.controller.theme_setting()
        self.theme.setCurrentIndex(max(self.theme.findData(self._theme_before), 0))
        self.theme.setToolTip("System follows your desktop; Light and Dark override it (applied at once)")
        self.theme.currentIndexChanged.connect(lambda _i: self._preview_theme())
        look_form.addRow("Theme", self.theme)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setDefault(True)  # Enter saves

        layout = QVBoxLayout(self)
        # the dialog grows for a message instead of squeezing the rest (the buttons were crushed)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addWidget(self.banner)
        layout.addWidget(discord_box)
        layout.addWidget(live_box)
        layout.addWidget(look_box)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._load()

    # -- loading -------------------------------------------------------------------------------
    def _load(self) -> None:
        """The saved Discord settings, read off the GUI thread (keyring and store)."""
        ctx = self.ctx

        def op() -> tuple[bool, str, str]:
            from streamdesk.core import discord
            from streamdesk.core.secrets import SecretKind

            present = bool(ctx.secrets.get(SecretKind.DISCORD_WEBHOOK, ""))  # only whether: not the value
            return (present, str(ctx.store.get_setting(discord.TITLE_SETTING, "") or ""),
                    str(ctx.store.get_setting(discord.LINK_SETTING, "") or ""))

        self._run(op, self._on_loaded, what="read the Discord settings")

    def _on_loaded(self, loaded: Any) -> None:
        present, title, link = loaded
        if not self.title_edit.text():  # typed meanwhile: keep what the streamer typed
            self.title_edit.setText(title)
        if not self.link_edit.text():
            self.link_edit.setText(link)
        self._on_has_webhook(present)

    def _on_has_webhook(self, present: bool) -> None:
        self._has_webhook = bool(present)
        self.remove_button.setEnabled(self._has_webhook)
        self.webhook.edit.setPlaceholderText(  # type: ignore[attr-defined]
            "saved in your keyring; paste a new URL to replace it" if self._has_webhook
            else "https://discord.com/api/webhooks/…")

    # -- theme ---------------------------------------------------------------------------------
    def theme_choice(self) -> str:
        return str(self.theme.currentData() or "system")

    def _preview_theme(self) -> None:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if isinstance(app, QApplication):
            style.apply_theme(app, self.theme_choice())

    def reject(self) -> None:
        if self.theme_choice() != self._theme_before:
            self.theme.setCurrentIndex(max(self.theme.findData(self._theme_before), 0))
        super().reject()

    # -- actions -------------------------------------------------------------------------------
    def save(self) -> None:
        """Check everything first (nothing is stored if anything is wrong), then store it."""
        url = secret_text(self.webhook).strip()
        title = self.title_edit.text().strip()
        try:
            link = check_link(self.link_edit.text())
        except InvalidInput as e:
            self.banner.show_message("error", e.one_line())
            self.link_edit.setFocus()
            return
        interval = float(self.poll.value())
        theme = self.theme_choice()
        ctx = self.ctx

        def op() -> None:
            from streamdesk.core import discord
            from streamdesk.core.secrets import SecretKind

            checked = discord.validate_webhook_url(url) if url else None  # before anything is saved
            if checked is not None:
                ctx.secrets.set(SecretKind.DISCORD_WEBHOOK, checked, "")
            ctx.store.put_setting(discord.TITLE_SETTING, title)
            ctx.store.put_setting(discord.LINK_SETTING, link)
            ctx.store.put_setting(style.THEME_SETTING, theme)

        def done(_r: Any) -> None:
            self.controller.set_live_interval(interval)
            self.accept()

        def failed(text: str, _e: BaseException) -> None:
            self.banner.show_message("error", text)

        self._run(op, done, failed, what="save the settings")

    def send_test(self) -> None:
        """Post a test message: to the URL in the field if one was typed, else the saved one."""
        url = secret_text(self.webhook).strip()
        ctx = self.ctx
        self.banner.show_message("info", "Sending a test message to Discord…")

        def op() -> str | None:
            import time

            from streamdesk.core import discord

            if url:
                return discord.send(discord.validate_webhook_url(url), discord.test_payload(time.time()))
            return discord.send_test(ctx)

        def done(notice: Any) -> None:
            if notice:
                self.banner.show_message("warning", str(notice))
            else:
                self.banner.show_message("ok", "Test message delivered: check your Discord channel.")

        def failed(text: str, _e: BaseException) -> None:
            self.banner.show_message("error", text)

        self._run(op, done, failed, what="send a Discord test message")

    def remove_webhook(self) -> None:
        ctx = self.ctx

        def op() -> None:
            from streamdesk.core.secrets import SecretKind

            ctx.secrets.delete(SecretKind.DISCORD_WEBHOOK, "")

        def done(_r: Any) -> None:
            self._on_has_webhook(False)
            self.banner.show_message("ok", "Discord webhook removed: no more notifications.")

        self._run(op, done, lambda text, _e: self.banner.show_message("error", text),
                  what="remove the Discord webhook")

    # -- plumbing ------------------------------------------------------------------------------
    def _run(self, op: Any, done: Any, failed: Any = None, *, what: str) -> None:
        """One action at a time: the buttons wait while a keyring write or a test is in flight."""
        self._set_busy(+1)

        def ok(result: Any) -> None:
            self._set_busy(-1)
            done(result)

        def bad(text: str, error: BaseException) -> None:
            self._set_busy(-1)
            if failed is not None:
                failed(text, error)

        self.controller.tasks.run(op, ok, bad, what=what)

    def _set_busy(self, delta: int) -> None:
        self._busy += delta
        idle = self._busy == 0
        self.test_button.setEnabled(idle)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(idle)
        self.remove_button.setEnabled(idle and self._has_webhook)

    @property
    def busy(self) -> bool:
        return self._busy > 0
