"""The opt-in, app-wide change to the ``livestream`` call type, shown first and undoable.

Provisioning never touches the call type: backstage and join-ahead go on the call itself. But
GetStream refuses the OBS stream in backstage unless the call's hosts hold ``join-backstage``
(docs/getstream.md "Call type"), and that grant lives on the call type, shared by every
livestream call of the app. So this module, used only when the streamer asks for it:

- reads the call type (GetCallType, always allowed) and plans the change as a diff;
- applies it with the host's *existing* grants plus ``join-backstage`` (UpdateCallType replaces a
  role's whole list: sending only the new grant would strip every other host capability);
- keeps a backup of what it replaced in the store (not the keyring: nothing here is secret);
- undoes it: removes only what it added, restores the backstage settings it changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamdesk.core.context import AppContext
from streamdesk.core.errors import StreamdeskError
from streamdesk.core.getstream import CallTypeState, GetStreamClient

JOIN_BACKSTAGE = "join-backstage"
HOST_ROLE = "host"
SETTING_BACKUP = "call_type_backup"

#: what provisioning says when the grant is missing (the CLI and the GUI show the same sentence)
MISSING_GRANT = ("GetStream will refuse the OBS stream in backstage until hosts may join it: the {name} "
                 "call type does not grant join-backstage to hosts.")


class NothingToUndo(StreamdeskError):
    """No call-type change of ours is recorded."""


@dataclass(frozen=True)
class Change:
    setting: str
    old: str
    new: str


@dataclass(frozen=True)
class CallTypePlan:
    name: str
    changes: tuple[Change, ...]
    host_grants: tuple[str, ...]  # the host list to send (existing + join-backstage)
    backstage: dict[str, Any]  # settings.backstage to send ({} when unchanged)
    current: CallTypeState


def host_may_join_backstage(call_type: CallTypeState) -> bool:
    return JOIN_BACKSTAGE in call_type.grants.get(HOST_ROLE, [])


def plan(gs: GetStreamClient, name: str, *, join_ahead: int | None = None) -> CallTypePlan:
    """Read the call type and work out what the opt-in would change (nothing is sent)."""
    current = gs.get_call_type(name)
    hosts = list(current.grants.get(HOST_ROLE, []))
    changes: list[Change] = []
    if JOIN_BACKSTAGE not in hosts:
        changes.append(Change("grants.host", ", ".join(hosts) or "(none)",
                              ", ".join([*hosts, JOIN_BACKSTAGE])))
        hosts.append(JOIN_BACKSTAGE)
    backstage: dict[str, Any] = {}
    if not current.backstage_enabled:
        backstage["enabled"] = True
        changes.append(Change("settings.backstage.enabled", "false", "true"))
    if join_ahead is not None and current.join_ahead_time_seconds != join_ahead:
        backstage["join_ahead_time_seconds"] = join_ahead
        changes.append(Change("settings.backstage.join_ahead_time_seconds",
                              str(current.join_ahead_time_seconds or 0), str(join_ahead)))
    return CallTypePlan(name, tuple(changes), tuple(hosts), backstage, current)


def apply(ctx: AppContext, gs: GetStreamClient, p: CallTypePlan) -> CallTypeState | None:
    """Apply ``p`` (None when it changes nothing). The backup is written first, so a failure
    half way still leaves a way back."""
    if not p.changes:
        return None
    added = [c for c in p.host_grants if c not in p.current.grants.get(HOST_ROLE, [])]
    previous_backstage = {k: p.current.backstage.get(k) for k in p.backstage}
    backup = ctx.store.get_setting(SETTING_BACKUP)
    if not (isinstance(backup, dict) and backup.get("name") == p.name):
        backup = {"name": p.name, "added_host_grants": [], "backstage": {}}
    # merge with an earlier backup: the oldest value of each setting is the one to go back to
    backup["added_host_grants"] = sorted({*backup.get("added_host_grants", []), *added})
    backup["backstage"] = {**previous_backstage, **backup.get("backstage", {})}
    ctx.store.put_setting(SETTING_BACKUP, backup)
    grants = {HOST_ROLE: list(p.host_grants)} if added else None
    return gs.update_call_type(p.name, backstage=p.backstage or None, grants=grants)


def backup(ctx: AppContext) -> dict[str, Any] | None:
    value = ctx.store.get_setting(SETTING_BACKUP)
    return value if isinstance(value, dict) and value.get("name") else None


def plan_undo(gs: GetStreamClient, ctx: AppContext) -> CallTypePlan:
    """What undo would send: the current host list minus only what we added, and the backstage
    settings as they were before (re-read now, so grants added since by someone else stay)."""
    saved = backup(ctx)
    if saved is None:
        raise NothingToUndo("There is no call-type change of streamdesk's to undo.")
    current = gs.get_call_type(str(saved["name"]))
    hosts = current.grants.get(HOST_ROLE, [])
    added = set(saved.get("added_host_grants") or [])
    keep = [c for c in hosts if c not in added]
    changes: list[Change] = []
    if keep != hosts:
        changes.append(Change("grants.host", ", ".join(hosts) or "(none)", ", ".join(keep) or "(none)"))
    restore: dict[str, Any] = {}
    for key, old in (saved.get("backstage") or {}).items():
        if old is None:
            old = False if key == "enabled" else 0
        if current.backstage.get(key) != old:
            restore[key] = old
            changes.append(Change(f"settings.backstage.{key}", str(current.backstage.get(key)), str(old)))
    return CallTypePlan(current.name or str(saved["name"]), tuple(changes), tuple(keep), restore, current)


def undo(ctx: AppContext, gs: GetStreamClient, p: CallTypePlan) -> CallTypeState | None:
    result = None
    if p.changes:
        hosts_changed = list(p.host_grants) != p.current.grants.get(HOST_ROLE, [])
        grants = {HOST_ROLE: list(p.host_grants)} if hosts_changed else None
        if grants is not None and not p.host_grants:
            # GetStream reads an empty list as "remove all": only send it if it was empty before
            grants = {HOST_ROLE: []}
        result = gs.update_call_type(p.name, backstage=p.backstage or None, grants=grants)
    ctx.store.delete_setting(SETTING_BACKUP)
    return result
