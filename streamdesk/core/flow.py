"""The go-live state machine: provision → connect OBS → go live → end, and back.

Pure logic, no I/O and no Qt: the GUI and the CLI feed it events after the real work
succeeded (or failed) and render whatever state it reports. Every (state, event) pair is
either a transition or a refusal with a reason a streamer can act on; ``tests/unit/test_flow.py``
enumerates them all.

GetStream is the source of truth for whether the call is live: ``reconcile`` sets the state
from what ``GetCall`` says, so a crash or restart while live resumes LIVE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class State(StrEnum):
    NEEDS_ACCOUNT = "needs_account"
    NEEDS_PROVISION = "needs_provision"
    PROVISIONED = "provisioned"
    OBS_CONFIGURED = "obs_configured"
    READY = "ready"  # backstage, OBS pushing bytes
    GOING_LIVE = "going_live"
    LIVE = "live"
    ENDING = "ending"
    ENDED = "ended"  # the call was marked ended: provision a new one to stream again

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    State.NEEDS_ACCOUNT: "no GetStream account is set up",
    State.NEEDS_PROVISION: "the livestream is not provisioned yet",
    State.PROVISIONED: "the livestream is provisioned but OBS is not configured",
    State.OBS_CONFIGURED: "OBS is configured but not streaming",
    State.READY: "OBS is streaming to the backstage",
    State.GOING_LIVE: "going live",
    State.LIVE: "live",
    State.ENDING: "ending the stream",
    State.ENDED: "the call has been ended",
}


class Event(StrEnum):
    ACCOUNT_SAVED = "account_saved"
    PROVISIONED = "provisioned"
    OBS_CONFIGURED = "obs_configured"
    OBS_STREAMING = "obs_streaming"  # OBS reports its stream output started / bytes flowing
    OBS_STOPPED = "obs_stopped"  # OBS's stream output stopped (by us, the streamer, or OBS quitting)
    GO_LIVE = "go_live"
    LIVE_CONFIRMED = "live_confirmed"  # GetStream shows backstage false on a call not ended
    GO_LIVE_FAILED = "go_live_failed"
    STOP = "stop"
    STOPPED = "stopped"  # stop_live succeeded: the call is back in backstage
    STOP_FAILED = "stop_failed"
    FORCE_END = "force_end"
    CALL_ENDED = "call_ended"  # mark_ended succeeded

    @property
    def verb(self) -> str:
        return _VERBS[self]


_VERBS = {
    Event.ACCOUNT_SAVED: "change the account",
    Event.PROVISIONED: "provision",
    Event.OBS_CONFIGURED: "configure OBS",
    Event.OBS_STREAMING: "start streaming in OBS",
    Event.OBS_STOPPED: "stop streaming in OBS",
    Event.GO_LIVE: "go live",
    Event.LIVE_CONFIRMED: "confirm going live",
    Event.GO_LIVE_FAILED: "report a failed go-live",
    Event.STOP: "end the stream",
    Event.STOPPED: "finish ending the stream",
    Event.STOP_FAILED: "report a failed stop",
    Event.FORCE_END: "force end",
    Event.CALL_ENDED: "mark the call ended",
}


class Refused(Exception):
    """The event is not allowed in the current state; ``reason`` says what to do instead."""

    def __init__(self, state: State, event: Event, reason: str) -> None:
        super().__init__(reason)
        self.state, self.event, self.reason = state, event, reason


S, E = State, Event
_ANY_LIVE = (S.GOING_LIVE, S.LIVE, S.ENDING)

# Fixed targets. Targets that depend on whether OBS is streaming are resolved in ``_target``.
_TRANSITIONS: dict[tuple[State, Event], State] = {
    **{(s, E.ACCOUNT_SAVED): S.NEEDS_PROVISION for s in State if s not in _ANY_LIVE},
    **{
        (s, E.PROVISIONED): S.PROVISIONED
        for s in (S.NEEDS_PROVISION, S.PROVISIONED, S.OBS_CONFIGURED, S.ENDED)
    },
    (S.PROVISIONED, E.OBS_CONFIGURED): S.OBS_CONFIGURED,
    (S.OBS_CONFIGURED, E.OBS_CONFIGURED): S.OBS_CONFIGURED,
    # Streaming without our configure is fine: the streamer may have pasted server and key by hand.
    (S.PROVISIONED, E.OBS_STREAMING): S.READY,
    (S.OBS_CONFIGURED, E.OBS_STREAMING): S.READY,
    (S.READY, E.OBS_STREAMING): S.READY,
    (S.GOING_LIVE, E.OBS_STREAMING): S.GOING_LIVE,
    (S.LIVE, E.OBS_STREAMING): S.LIVE,
    (S.ENDING, E.OBS_STREAMING): S.ENDING,
    (S.PROVISIONED, E.OBS_STOPPED): S.PROVISIONED,
    (S.OBS_CONFIGURED, E.OBS_STOPPED): S.OBS_CONFIGURED,
    (S.READY, E.OBS_STOPPED): S.OBS_CONFIGURED,
    # While live the call stays live on GetStream even if OBS stops: the server is the truth,
    # and the UI offers to end the session or wait for OBS to come back.
    (S.GOING_LIVE, E.OBS_STOPPED): S.GOING_LIVE,
    (S.LIVE, E.OBS_STOPPED): S.LIVE,
    (S.ENDING, E.OBS_STOPPED): S.ENDING,
    (S.ENDED, E.OBS_STOPPED): S.ENDED,
    (S.READY, E.GO_LIVE): S.GOING_LIVE,
    (S.GOING_LIVE, E.LIVE_CONFIRMED): S.LIVE,
    (S.LIVE, E.LIVE_CONFIRMED): S.LIVE,
    (S.LIVE, E.STOP): S.ENDING,
    (S.ENDING, E.STOP_FAILED): S.LIVE,
    **{(s, E.FORCE_END): S.ENDING for s in (S.READY, S.GOING_LIVE, S.LIVE, S.ENDING)},
    **{(s, E.CALL_ENDED): S.ENDED for s in (S.READY, S.GOING_LIVE, S.LIVE, S.ENDING, S.ENDED)},
}
_OBS_DEPENDENT: set[tuple[State, Event]] = {
    (S.GOING_LIVE, E.GO_LIVE_FAILED),
    (S.ENDING, E.STOPPED),
}

# Refusals that deserve more than the generic sentence.
_REASONS: dict[tuple[State, Event], str] = {
    **{
        (s, E.ACCOUNT_SAVED): "End the stream before changing the account: the live call belongs to it."
        for s in _ANY_LIVE
    },
    **{
        (s, E.PROVISIONED): "The call is live: end it before provisioning again "
        "(a new stream key would cut OBS off mid-show)."
        for s in _ANY_LIVE
    },
    (S.READY, E.PROVISIONED): "OBS is streaming with the current key: stop streaming in OBS before "
    "provisioning again.",
    (S.NEEDS_ACCOUNT, E.PROVISIONED): "Enter your GetStream API key, secret and user id first.",
    (S.NEEDS_ACCOUNT, E.OBS_CONFIGURED): "Set up your GetStream account and provision first: "
    "OBS needs the server and stream key that provisioning creates.",
    (S.NEEDS_PROVISION, E.OBS_CONFIGURED): "Provision first: OBS needs the RTMPS server and "
    "stream key that provisioning creates.",
    (S.ENDED, E.OBS_CONFIGURED): "This call has ended: provision a new one before configuring OBS.",
    **{
        (s, E.OBS_CONFIGURED): "OBS refuses stream settings while it is streaming: stop streaming "
        "in OBS first."
        for s in (S.READY, *_ANY_LIVE)
    },
    (S.NEEDS_ACCOUNT, E.GO_LIVE): "Set up your GetStream account, provision, and start OBS first.",
    (S.NEEDS_PROVISION, E.GO_LIVE): "Provision the livestream and start streaming in OBS first.",
    (S.PROVISIONED, E.GO_LIVE): "Configure OBS and start streaming in it first: viewers would "
    "see nothing.",
    (S.OBS_CONFIGURED, E.GO_LIVE): "Start streaming in OBS first: GetStream has no video to show yet.",
    (S.GOING_LIVE, E.GO_LIVE): "Already going live: wait for GetStream to confirm.",
    (S.LIVE, E.GO_LIVE): "You are already live.",
    (S.ENDING, E.GO_LIVE): "The stream is ending: wait for it to finish, then go live again.",
    (S.ENDED, E.GO_LIVE): "This call has ended: provision a new one to go live again.",
    (S.GOING_LIVE, E.STOP): "Still going live: wait for it to finish, or use Force end.",
    (S.ENDING, E.STOP): "Already ending the stream.",
    (S.ENDED, E.STOP): "The call has already ended.",
    **{
        (s, E.STOP): "You are not live, so there is nothing to end."
        for s in (S.NEEDS_ACCOUNT, S.NEEDS_PROVISION, S.PROVISIONED, S.OBS_CONFIGURED, S.READY)
    },
    **{
        (s, E.FORCE_END): "Nothing to force end: the call is not live or ready."
        for s in (S.NEEDS_ACCOUNT, S.NEEDS_PROVISION, S.PROVISIONED, S.OBS_CONFIGURED)
    },
    (S.ENDED, E.FORCE_END): "The call has already ended.",
}


def _refusal(state: State, event: Event) -> str:
    return _REASONS.get((state, event)) or f"Can't {event.verb} while {state.description}."


def is_allowed(state: State, event: Event) -> bool:
    return (state, event) in _TRANSITIONS or (state, event) in _OBS_DEPENDENT


class ServerCall(Protocol):
    """What ``reconcile`` needs from a GetStream call (``core.getstream.CallState``, a frozen
    dataclass, provides it: read-only, hence properties)."""

    @property
    def backstage(self) -> bool: ...
    @property
    def live_started_at(self) -> Any: ...  # None when the current session never went live
    @property
    def live_ended_at(self) -> Any: ...
    @property
    def ended_at(self) -> Any: ...


@dataclass
class Flow:
    state: State = State.NEEDS_ACCOUNT
    obs_streaming: bool = False
    obs_configured: bool = False
    listeners: list[Callable[[State, State, Event | None], None]] = field(default_factory=list, repr=False)

    def reason(self, event: Event) -> str | None:
        """None when ``event`` is allowed now, else why not."""
        return None if is_allowed(self.state, event) else _refusal(self.state, event)

    def fire(self, event: Event) -> State:
        if not is_allowed(self.state, event):
            raise Refused(self.state, event, _refusal(self.state, event))
        if event is E.OBS_STREAMING:
            self.obs_streaming = True
        elif event is E.OBS_STOPPED:
            self.obs_streaming = False
        elif event is E.OBS_CONFIGURED:
            self.obs_configured = True
        elif event in (E.ACCOUNT_SAVED, E.PROVISIONED):
            # a new call or a new key: whatever OBS holds is stale
            self.obs_configured = False
        self._set(self._target(event), event)
        return self.state

    def _target(self, event: Event) -> State:
        if (self.state, event) in _OBS_DEPENDENT:
            if self.obs_streaming:
                return S.READY
            return S.OBS_CONFIGURED if self.obs_configured else S.PROVISIONED
        return _TRANSITIONS[(self.state, event)]

    def reconcile(
        self,
        call: ServerCall | None,
        *,
        has_account: bool = True,
        provisioned: bool = True,
        obs_configured: bool | None = None,
        obs_streaming: bool | None = None,
    ) -> State:
        """Set the state from what the server and OBS say, whatever we believed before.

        ``call`` is None when there is no call on the server (never provisioned, or deleted).
        """
        if obs_configured is not None:
            self.obs_configured = obs_configured
        if obs_streaming is not None:
            self.obs_streaming = obs_streaming
        if not has_account:
            target = S.NEEDS_ACCOUNT
        elif not provisioned or call is None:
            target = S.NEEDS_PROVISION
        elif call.ended_at:
            target = S.ENDED
        elif not call.backstage:  # live = out of backstage on a call not ended (docs/getstream.md)
            target = S.LIVE
        elif self.obs_streaming:
            target = S.READY
        elif self.obs_configured:
            target = S.OBS_CONFIGURED
        else:
            target = S.PROVISIONED
        self._set(target, None)
        return target

    def _set(self, new: State, event: Event | None) -> None:
        old, self.state = self.state, new
        for listener in list(self.listeners):
            listener(old, new, event)
