"""The controller's GetStream side: the account, provisioning and the stream key. Every call runs
through ``Tasks``; the results come back as signals (``channel_changed``, ``call_changed``,
``key_loaded``) and inline messages on the card that asked."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from streamdesk.core.flow import Event
from streamdesk.core.keys import key_expired
from streamdesk.ui.controller_base import ControllerBase

if TYPE_CHECKING:
    from streamdesk.core.channel_ops import ProvisionResult
    from streamdesk.core.store import ChannelConfig


class GetStreamOps(ControllerBase):
    def save_account(self, *, api_key: str, api_secret: str, user_id: str, call_id: str,
                     api_base: str) -> None:
        def op() -> ChannelConfig:
            from streamdesk.core import channel_ops

            return channel_ops.save_account(
                self.ctx, api_key=api_key, api_secret=api_secret or None,
                user_id=user_id, call_id=call_id or None, api_base=api_base or None)

        def done(channel: ChannelConfig) -> None:
            self.channel = channel
            self.channel_changed.emit(channel)
            self._fire(Event.ACCOUNT_SAVED)
            self.message.emit("account", "ok", "Account saved; the API secret is in your keyring.")
            self.refresh()

        self._run("save_account", "account", op, done)

    def provision(self, *, join_ahead: int | None = None, starts_at: datetime | str | None = None,
                  key_ttl_hours: float | None = None) -> None:
        reason = self.reason(Event.PROVISIONED)
        if reason:
            self.message.emit("provision", "warning", reason)
            return

        def op() -> tuple[ProvisionResult, ChannelConfig]:
            from streamdesk.core import channel_ops

            result = channel_ops.provision(self.ctx, join_ahead=join_ahead, starts_at=starts_at,
                                           key_ttl_hours=key_ttl_hours)
            return result, self.ctx.store.channel()

        def done(pair: tuple[ProvisionResult, ChannelConfig]) -> None:
            result, channel = pair
            self.channel = channel
            self.channel_changed.emit(channel)
            self._fire(Event.PROVISIONED)
            notice = getattr(result, "call_type_notice", None)
            if notice:  # the call type is only read by provisioning; the fix is the streamer's choice
                self.message.emit("provision", "warning", f"{notice} To allow it, tick \"Apply to the whole "
                                  "livestream call type\" under Advanced and provision again.")
            else:
                self.message.emit("provision", "ok",
                                  "Provisioned: the RTMPS server and stream key are ready.")
            call = getattr(result, "call", None)
            if call is not None:
                self.call = call
                self.call_changed.emit(call)
            self.load_key()

        self._run("provision", "provision", op, done)

    def rotate_key(self) -> None:
        def op() -> ChannelConfig:
            from streamdesk.core import channel_ops

            channel_ops.rotate_key(self.ctx)
            return self.ctx.store.channel()

        def done(channel: ChannelConfig) -> None:
            self.channel = channel
            self.channel_changed.emit(channel)
            self.message.emit("provision", "ok", "New stream key minted: configure OBS again to use it.")
            self.load_key()

        self._run("rotate_key", "provision", op, done)

    def load_key(self) -> None:
        """Read the stream key from the keyring for the key field (never logged or stored)."""
        if not self.channel.is_provisioned:
            return

        def op() -> str:
            from streamdesk.core import channel_ops

            return channel_ops.stream_key(self.ctx)

        def done(key: str) -> None:
            self.key_loaded.emit(key or "", self.channel.key_expires_at)
            self._check_key_expiry()

        self._run("load_key", "provision", op, done, clear=False)  # keep what provisioning said

    def key_expired(self) -> bool:
        return key_expired(self.channel.key_expires_at, self.clock())

    def _check_key_expiry(self) -> bool:
        if self.key_expired():
            self.message.emit("obs", "error", "The stream key has expired, so GetStream will reject OBS. "
                              "Rotate the key in the Provision step, then configure OBS again.")
            return False
        return True
