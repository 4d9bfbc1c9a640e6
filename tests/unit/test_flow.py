"""The go-live state machine: every (state, event) pair is a transition or a clear refusal."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from streamdesk.core.flow import Event, Flow, Refused, State

S, E = State, Event

# The specification, written out independently of the implementation's tables.
# Targets for STOPPED / GO_LIVE_FAILED depend on OBS: (streaming, configured) → target.
EXPECTED: dict[State, dict[Event, State]] = {
    S.NEEDS_ACCOUNT: {E.ACCOUNT_SAVED: S.NEEDS_PROVISION},
    S.NEEDS_PROVISION: {E.ACCOUNT_SAVED: S.NEEDS_PROVISION, E.PROVISIONED: S.PROVISIONED},
    S.PROVISIONED: {
        E.ACCOUNT_SAVED: S.NEEDS_PROVISION, E.PROVISIONED: S.PROVISIONED,
        E.OBS_CONFIGURED: S.OBS_CONFIGURED, E.OBS_STREAMING: S.READY, E.OBS_STOPPED: S.PROVISIONED,
    },
    S.OBS_CONFIGURED: {
        E.ACCOUNT_SAVED: S.NEEDS_PROVISION, E.PROVISIONED: S.PROVISIONED,
        E.OBS_CONFIGURED: S.OBS_CONFIGURED, E.OBS_STREAMING: S.READY, E.OBS_STOPPED: S.OBS_CONFIGURED,
    },
    S.READY: {
        E.ACCOUNT_SAVED: S.NEEDS_PROVISION, E.OBS_STREAMING: S.READY, E.OBS_STOPPED: S.OBS_CONFIGURED,
        E.GO_LIVE: S.GOING_LIVE, E.FORCE_END: S.ENDING, E.CALL_ENDED: S.ENDED,
    },
    S.GOING_LIVE: {
        E.OBS_STREAMING: S.GOING_LIVE, E.OBS_STOPPED: S.GOING_LIVE, E.LIVE_CONFIRMED: S.LIVE,
        E.GO_LIVE_FAILED: S.READY, E.FORCE_END: S.ENDING, E.CALL_ENDED: S.ENDED,
    },
    S.LIVE: {
        E.OBS_STREAMING: S.LIVE, E.OBS_STOPPED: S.LIVE, E.LIVE_CONFIRMED: S.LIVE, E.STOP: S.ENDING,
        E.FORCE_END: S.ENDING, E.CALL_ENDED: S.ENDED,
    },
    S.ENDING: {
        E.OBS_STREAMING: S.ENDING, E.OBS_STOPPED: S.ENDING, E.STOPPED: S.READY, E.STOP_FAILED: S.LIVE,
        E.FORCE_END: S.ENDING, E.CALL_ENDED: S.ENDED,
    },
    S.ENDED: {
        E.ACCOUNT_SAVED: S.NEEDS_PROVISION, E.PROVISIONED: S.PROVISIONED, E.OBS_STOPPED: S.ENDED,
        E.CALL_ENDED: S.ENDED,
    },
}


def flow_in(state: State, *, obs_streaming: bool = True, obs_configured: bool = True) -> Flow:
    return Flow(state=state, obs_streaming=obs_streaming, obs_configured=obs_configured)


@pytest.mark.parametrize(("state", "event"), list(itertools.product(State, Event)))
def test_every_pair_is_a_transition_or_a_clear_refusal(state: State, event: Event) -> None:
    flow = flow_in(state)
    expected = EXPECTED[state].get(event)
    if expected is not None:
        assert flow.reason(event) is None
        assert flow.fire(event) is expected
        return
    reason = flow.reason(event)
    assert reason, f"{state}/{event} refused without a reason"
    with pytest.raises(Refused) as info:
        flow.fire(event)
    assert info.value.reason == reason
    assert flow.state is state, "a refused event must not change the state"
    # specific: either names the state or tells the streamer what to do
    assert len(reason) > 20 and reason.endswith((".", "!")), reason
    assert "None" not in reason and "_" not in reason, reason


def test_full_show_and_going_live_again() -> None:
    flow = Flow()
    seen: list[tuple[State, State]] = []
    flow.listeners.append(lambda old, new, ev: seen.append((old, new)))
    for event in (E.ACCOUNT_SAVED, E.PROVISIONED, E.OBS_CONFIGURED, E.OBS_STREAMING, E.GO_LIVE,
                  E.LIVE_CONFIRMED, E.STOP, E.STOPPED):
        flow.fire(event)
    assert flow.state is S.READY  # OBS still streaming: back in backstage, ready again
    flow.fire(E.GO_LIVE)
    flow.fire(E.LIVE_CONFIRMED)
    assert flow.state is S.LIVE
    assert seen[0] == (S.NEEDS_ACCOUNT, S.NEEDS_PROVISION)


@pytest.mark.parametrize(("streaming", "configured", "target"), [
    (True, True, S.READY), (False, True, S.OBS_CONFIGURED), (False, False, S.PROVISIONED),
])
def test_stop_and_failed_go_live_land_where_obs_is(streaming: bool, configured: bool, target: State) -> None:
    flow = flow_in(S.ENDING, obs_streaming=streaming, obs_configured=configured)
    assert flow.fire(E.STOPPED) is target
    flow = flow_in(S.GOING_LIVE, obs_streaming=streaming, obs_configured=configured)
    assert flow.fire(E.GO_LIVE_FAILED) is target


def test_obs_stopping_mid_show_does_not_end_the_live_state() -> None:
    flow = flow_in(S.LIVE)
    flow.fire(E.OBS_STOPPED)
    assert flow.state is S.LIVE and not flow.obs_streaming
    flow.fire(E.STOP)
    assert flow.fire(E.STOPPED) is S.OBS_CONFIGURED


@pytest.mark.parametrize("start", [S.READY, S.GOING_LIVE, S.LIVE, S.ENDING])
def test_force_end_from_every_active_state(start: State) -> None:
    flow = flow_in(start)
    assert flow.fire(E.FORCE_END) is S.ENDING
    assert flow.fire(E.CALL_ENDED) is S.ENDED
    assert flow.fire(E.PROVISIONED) is S.PROVISIONED  # a new call for the next show


def test_new_key_makes_obs_configuration_stale() -> None:
    flow = flow_in(S.OBS_CONFIGURED, obs_streaming=False)
    flow.fire(E.PROVISIONED)
    assert flow.state is S.PROVISIONED and not flow.obs_configured


def call(backstage: bool = True, live_started_at: object = None, ended_at: object = None) -> SimpleNamespace:
    return SimpleNamespace(backstage=backstage, live_started_at=live_started_at, live_ended_at=None,
                           ended_at=ended_at)


@pytest.mark.parametrize(("kwargs", "server", "believed", "expected"), [
    ({"has_account": False}, None, S.LIVE, S.NEEDS_ACCOUNT),
    ({"provisioned": False}, None, S.READY, S.NEEDS_PROVISION),
    ({}, None, S.READY, S.NEEDS_PROVISION),  # the call is gone on the server
    ({}, call(backstage=False, live_started_at=1), S.PROVISIONED, S.LIVE),  # crash while live → LIVE
    ({}, call(backstage=True, live_started_at=1), S.LIVE, S.PROVISIONED),  # stopped elsewhere
    ({"obs_streaming": True}, call(), S.LIVE, S.READY),
    ({"obs_configured": True, "obs_streaming": False}, call(), S.NEEDS_ACCOUNT, S.OBS_CONFIGURED),
    ({}, call(ended_at=5), S.LIVE, S.ENDED),
    ({}, call(backstage=False, live_started_at=1, ended_at=5), S.LIVE, S.ENDED),
])
def test_reconcile_follows_the_server(kwargs: dict, server: object, believed: State, expected: State) -> None:
    flow = flow_in(believed, obs_streaming=False, obs_configured=False)
    assert flow.reconcile(server, **kwargs) is expected
    assert flow.state is expected
