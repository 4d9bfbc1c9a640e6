"""OBS operations at the app level, shared by the CLI and the GUI (blocking: GUI calls them from its
OBS worker thread).

Where things are kept:
- which OBS (host, port): store setting ``obs.target``; its password: keyring ``OBS_PASSWORD``
  scoped ``host:port``, saved the first time a connection with it succeeds (a wrong one is never kept);
- the settings configure replaced: store setting ``obs.backup`` (service type, server, profile
  parameters — nothing secret) and the old stream key in the keyring as ``OBS_BACKUP_KEY``.
  The backup is taken once, by the first configure, and kept through later ones, so ``restore``
  always returns to the streamer's own settings, not to an earlier streamdesk configuration.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from streamdesk.core.context import AppContext
from streamdesk.core.errors import InvalidInput, StreamdeskError
from streamdesk.core.keys import JWT, key_expired
from streamdesk.core.obs import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ConfigChange,
    EventCallback,
    ObsBackup,
    ObsController,
    ObsError,
    ObsInfo,
    ObsTarget,
    mask_key,
)
from streamdesk.core.obs_health import StreamHealth
from streamdesk.core.secrets import SecretKind

log = logging.getLogger(__name__)

SETTING_TARGET = "obs.target"
SETTING_BACKUP = "obs.backup"
SETTING_CONFIGURED = "obs.configured"

# a host name, IPv4 or IPv6 address: what obs-websocket's "Server IP" shows, never a URL
_HOST = re.compile(r"[A-Za-z0-9._-]+|\[?[0-9A-Fa-f:.]+\]?")


class NothingToRestore(StreamdeskError):
    """restore without an earlier configure."""


@dataclass
class ConfigureResult:
    target: ObsTarget
    changes: list[ConfigChange]
    dry_run: bool
    backup_taken: bool = False  # False: an earlier backup was kept (or dry run)

    def as_dict(self) -> dict[str, Any]:
        return {
            "obs": str(self.target), "dry_run": self.dry_run, "backup_taken": self.backup_taken,
            "changes": [{"setting": c.setting, "old": c.old, "new": c.new, "changes": c.changes,
                         "note": c.note} for c in self.changes],
        }


@dataclass
class ObsStatus:
    target: ObsTarget
    info: ObsInfo
    configured_for_channel: bool
    server: str
    key: str  # masked
    health: StreamHealth
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "obs": str(self.target), "obs_version": self.info.obs_version,
            "websocket_version": self.info.websocket_version, "server": self.server, "key": self.key,
            "configured_for_channel": self.configured_for_channel, "streaming": self.health.active,
            "health": self.health.as_dict(), "notes": self.notes,
        }


def target(ctx: AppContext, host: str | None = None, port: int | None = None,
           password: str | None = None) -> ObsTarget:
    """The OBS to talk to: explicit values win, then the saved ones, then 127.0.0.1:4455.
    The password comes from the caller, else the keyring."""
    saved = ctx.store.get_setting(SETTING_TARGET) or {}
    host = validate_host(host if host is not None else saved.get("host") or DEFAULT_HOST)
    port = int(port or saved.get("port") or DEFAULT_PORT)
    if not 0 < port < 65536:
        raise InvalidInput(f"{port} is not a valid OBS websocket port.", hint="OBS uses 4455 by default.")
    if password is None:
        password = ctx.secrets.get(SecretKind.OBS_PASSWORD, f"{host}:{port}")
    return ObsTarget(host, port, password)


def validate_host(value: str) -> str:
    """The OBS host as typed: a name or address only (the port has its own field)."""
    host = value.strip()
    hint = "Enter the computer's name or IP address only, e.g. 127.0.0.1 (the port is separate)."
    if not host:
        raise InvalidInput("The OBS host is empty.", hint=hint)
    if JWT.match(host):  # never echoed: it is a secret
        raise InvalidInput("The OBS host looks like a token (a JWT), which is a secret and never goes in "
                           "this field.", hint=hint)
    if "://" in host:
        raise InvalidInput(f"The OBS host {host[:60]!r} is a URL, not a host name or IP address.", hint=hint)
    if not _HOST.fullmatch(host):
        raise InvalidInput(f"The OBS host {host[:60]!r} is not a host name or IP address.", hint=hint)
    return host


def _remember(ctx: AppContext, t: ObsTarget) -> None:
    """After a successful connection: this is our OBS, and this is its password."""
    ctx.store.put_setting(SETTING_TARGET, {"host": t.host, "port": t.port})
    if not t.password:
        return
    try:
        if ctx.secrets.get(SecretKind.OBS_PASSWORD, t.scope) != t.password:
            ctx.secrets.set(SecretKind.OBS_PASSWORD, t.password, t.scope)
    except StreamdeskError as e:  # the password was handed in, so this command can still work
        log.warning("the OBS password was not saved in the keyring: %s", e.one_line())


def connect(ctx: AppContext, t: ObsTarget | None = None, *, events: bool = False,
            on_event: EventCallback | None = None, timeout: float = 5.0) -> ObsController:
    """A connected controller (the caller closes it). Remembers target and password on success."""
    t = t or target(ctx)
    controller = ObsController(t, timeout=timeout, events=events, on_event=on_event)
    controller.connect()
    _remember(ctx, t)
    return controller


@contextlib.contextmanager
def _session(ctx: AppContext, t: ObsTarget | None, obs: ObsController | None,
             **kwargs: Any) -> Iterator[ObsController]:
    """The caller's connected controller (left open: the GUI's OBS worker owns one), else a new
    connection closed afterwards."""
    if obs is not None:
        yield obs
        return
    with connect(ctx, t, **kwargs) as fresh:
        yield fresh


def _server_and_key(ctx: AppContext) -> tuple[str, str]:
    from streamdesk.core import channel_ops  # lazy: keeps the GetStream client out of OBS-only paths

    channel = channel_ops.require_provisioned(ctx)
    key = channel_ops.stream_key(ctx)
    if key_expired(channel.key_expires_at):
        raise StreamdeskError("The stream key has expired, so the ingest would reject it.",
                              hint="Mint a new one with `streamdesk key --rotate`, then configure OBS again.")
    return channel.rtmps_url, key


def configure(ctx: AppContext, *, dry_run: bool = False, output_settings: bool = True,
              t: ObsTarget | None = None, obs: ObsController | None = None) -> ConfigureResult:
    """Push the channel's RTMPS server and key (and the recommended output settings) into OBS.
    ``obs``: an already connected controller to use (it is left open)."""
    server, key = _server_and_key(ctx)
    with _session(ctx, t, obs) as obs:
        if dry_run:
            changes = obs.plan_configure(server, key, output_settings=output_settings)
            return ConfigureResult(obs.target, changes, dry_run=True)
        had_backup = _load_backup(ctx, obs.target) is not None
        target = obs.target

        def keep_undo(backup: ObsBackup) -> None:
            # before the write batch: a backup that can't be kept (keyring refuses or is too
            # small for the old key) stops the configure with OBS untouched
            if had_backup:
                _extend_backup(ctx, target, backup)
            else:
                _save_backup(ctx, target, backup)

        # one read batch (the plan and the backup come from the same snapshot), one write batch
        _backup, changes = obs.configure_planned(server, key, output_settings=output_settings,
                                                 before_write=keep_undo)
        ctx.store.put_setting(SETTING_CONFIGURED,
                              {"obs": obs.target.scope, "server": server, "at": time.time()})
        return ConfigureResult(obs.target, changes, dry_run=False, backup_taken=not had_backup)


def _save_backup(ctx: AppContext, t: ObsTarget, backup: ObsBackup) -> None:
    # keyring first: if it fails, no half backup (settings without the key) is left behind.
    # The entry holds the old key (and rtmp_custom's auth password, if any) as JSON.
    if backup.secrets:
        ctx.secrets.set(SecretKind.OBS_BACKUP_KEY, json.dumps(backup.secrets), t.scope)
    else:
        ctx.secrets.delete(SecretKind.OBS_BACKUP_KEY, t.scope)
    ctx.store.put_setting(SETTING_BACKUP, {"obs": t.scope, **backup.to_json()})


def _extend_backup(ctx: AppContext, t: ObsTarget, newer: ObsBackup) -> None:
    """A later configure may touch profile parameters the first one did not (e.g. output settings
    the first time were skipped): add their pre-change values, keep everything already saved."""
    data = ctx.store.get_setting(SETTING_BACKUP)
    known = {(c, n) for c, n, _ in data.get("profile", [])}
    extra = [p for p in newer.profile if (p[0], p[1]) not in known]
    if extra:
        data["profile"] = data.get("profile", []) + extra
        ctx.store.put_setting(SETTING_BACKUP, data)


def _load_backup(ctx: AppContext, t: ObsTarget) -> ObsBackup | None:
    data = ctx.store.get_setting(SETTING_BACKUP)
    if not data or data.get("obs") != t.scope:
        return None
    raw = ctx.secrets.get(SecretKind.OBS_BACKUP_KEY, t.scope)
    return ObsBackup.from_json(data, json.loads(raw) if raw else None)


def restore(ctx: AppContext, t: ObsTarget | None = None, *, obs: ObsController | None = None) -> ObsBackup:
    """Put back the OBS settings the first configure replaced, then forget the backup."""
    t = obs.target if obs is not None else (t or target(ctx))
    backup = _load_backup(ctx, t)
    if backup is None:
        raise NothingToRestore(f"There are no saved OBS settings to restore for {t}.",
                               hint="Nothing was changed by `streamdesk obs configure` on this OBS.")
    with _session(ctx, t, obs) as obs:
        obs.restore(backup)
    ctx.store.delete_setting(SETTING_BACKUP)
    ctx.store.delete_setting(SETTING_CONFIGURED)
    ctx.secrets.delete(SecretKind.OBS_BACKUP_KEY, t.scope)
    return backup


def start(ctx: AppContext, *, timeout: float = 15.0, t: ObsTarget | None = None) -> StreamHealth:
    """Start streaming and wait until OBS is connected to the ingest."""
    with connect(ctx, t, events=True) as obs:
        obs.start_stream(timeout=timeout)
        return obs.health(with_stats=False)


def stop(ctx: AppContext, *, timeout: float = 10.0, t: ObsTarget | None = None) -> None:
    with connect(ctx, t, events=True) as obs:
        obs.stop_stream(timeout=timeout)


def status(ctx: AppContext, *, sample_s: float = 0.0, t: ObsTarget | None = None,
           obs: ObsController | None = None) -> ObsStatus:
    """Connection, destination and health. ``sample_s`` > 0 waits that long between two samples so
    the bitrate is measured (OBS's own status bar needs 2 s)."""
    with _session(ctx, t, obs) as obs:
        service_type, settings = obs.stream_service()
        health = obs.health()
        if sample_s > 0 and health.active:
            time.sleep(sample_s)
            health = obs.health()
        server, key = str(settings.get("server") or ""), settings.get("key")
        notes: list[str] = []
        configured = streams_to_channel(ctx, service_type, settings)
        if ctx.store.channel().is_provisioned and not configured:
                notes.append("OBS does not stream to this channel's server and key: "
                             "run `streamdesk obs configure`.")
        if health.active and health.reconnecting:
            notes.append("OBS is reconnecting to the ingest.")
        info = obs.info or ObsInfo("", "", 1)
        return ObsStatus(obs.target, info, configured, server, mask_key(key), health, notes)


def streams_to_channel(ctx: AppContext, service_type: str, settings: dict[str, Any]) -> bool:
    """"OBS is configured for this channel": its stream service (``stream_service()``) sends to
    this channel's RTMPS server with the stream key in the keyring (``core.ingest.target_mismatch``
    is the rule, and words a mismatch). The CLI's status and the window's connect both ask this."""
    from streamdesk.core.ingest import target_mismatch

    channel = ctx.store.channel()
    if not channel.is_provisioned:
        return False
    key = ctx.secrets.get(SecretKind.STREAM_KEY, channel.call_cid)
    return target_mismatch(service_type, settings, channel.rtmps_url, key, streaming=False) is None


def configured_for_channel(ctx: AppContext, obs: ObsController | None) -> bool:
    """``streams_to_channel`` for a connected controller (None: not connected, so no)."""
    return obs is not None and streams_to_channel(ctx, *obs.stream_service())


def stop_quietly(ctx: AppContext) -> str | None:
    """For `end`: stop OBS if it is reachable and streaming. Never raises; returns a note or None."""
    try:
        with connect(ctx, events=True, timeout=3.0) as obs:
            if not obs.is_streaming():
                return None
            obs.stop_stream()
            return "OBS stopped streaming."
    except ObsError as e:
        return f"OBS was not stopped: {e.one_line()}"
    except StreamdeskError as e:  # e.g. the keyring is locked
        return f"OBS was not stopped: {e.one_line()}"
