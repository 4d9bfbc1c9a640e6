"""Faults real OBS will not show on demand, against the obs-websocket SIMULATOR: close codes, a
connection dropped mid-stream, a dead socket that never closes, a request that never answers.

The controller was written from the protocol and real OBS; the simulator by someone else from the
same documents — these tests are where the two readings meet."""

from __future__ import annotations

import threading

import pytest

from streamdesk.core.obs import (
    RECONNECTED,
    RECONNECTING,
    STARTED,
    ObsAuthFailed,
    ObsController,
    ObsEvent,
    ObsKicked,
    ObsNotRunning,
    ObsTarget,
    ObsTimeout,
    ObsUnsupported,
)
from tests.plugins.processes import wait_until

FAST_BACKOFF = (0.02, 0.05, 0.1)


class Events:
    """Collects controller events (they arrive on the controller's thread)."""

    def __init__(self) -> None:
        self.items: list[ObsEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: ObsEvent) -> None:
        with self._lock:
            self.items.append(event)

    def kinds(self) -> list[str]:
        with self._lock:
            return [e.kind for e in self.items]

    def states(self) -> list[str]:
        with self._lock:
            return [e.state for e in self.items if e.kind == "stream_state"]

    def of(self, kind: str) -> list[ObsEvent]:
        with self._lock:
            return [e for e in self.items if e.kind == kind]


def target(sim, password: str | None = "default") -> ObsTarget:
    return ObsTarget(sim.host, sim.port, sim.password if password == "default" else password)


@pytest.mark.parametrize(("code", "error", "words"), [
    (4009, ObsAuthFailed, "rejected the websocket password"),
    (4010, ObsUnsupported, "close code 4010"),
    (4011, ObsKicked, "will not reconnect on its own"),
])
def test_each_close_code_at_identify_has_its_own_message(obs_sim, code, error, words):
    obs_sim.close_next_with(code)
    with pytest.raises(error, match=words) as e:
        ObsController(target(obs_sim)).connect()
    assert obs_sim.password not in e.value.one_line()


def test_wrong_and_missing_password(obs_sim):
    with pytest.raises(ObsAuthFailed, match="rejected"):
        ObsController(target(obs_sim, "wrong")).connect()
    with pytest.raises(ObsAuthFailed, match="has none"):
        ObsController(target(obs_sim, None)).connect()


def test_kicked_session_is_reported_and_never_reconnects(obs_sim):
    events = Events()
    obs = ObsController(target(obs_sim), on_event=events, backoff=FAST_BACKOFF)
    obs.connect()
    try:
        before = {c.remote for c in obs_sim.connections}
        assert obs_sim.kick() >= 1
        wait_until(lambda: events.of("disconnected"), timeout=5, what="the disconnected event")
        gone = events.of("disconnected")[0]
        assert gone.final and "kicked" in gone.detail
        # give a reconnect (which would take 20 ms here) 25 times the time it needs: none may happen
        threading.Event().wait(0.5)
        assert "reconnected" not in events.kinds()
        assert {c.remote for c in obs_sim.connections} <= before  # no new connection was opened
        for _ in range(2):  # the request socket was kicked too: it says so, and stays down
            with pytest.raises(ObsKicked):
                obs.health()
        assert {c.remote for c in obs_sim.connections} <= before
        obs.connect()  # coming back is the caller's explicit decision
        assert obs.health().active is False
    finally:
        obs.close()


def test_drop_mid_stream_reconnects_resubscribes_and_reports_output_reconnecting(obs_sim):
    events = Events()
    obs = ObsController(target(obs_sim), on_event=events, backoff=FAST_BACKOFF, timeout=2)
    obs.connect()
    try:
        obs.start_stream(timeout=5)
        assert obs_sim.streaming and events.states()[-1] == STARTED

        assert obs_sim.drop_connections() == 2  # request socket + event socket, no close frame
        wait_until(lambda: "reconnected" in events.kinds(), timeout=5, what="the event socket to reconnect")
        assert events.kinds().index("disconnected") < events.kinds().index("reconnected")
        assert obs.health().active  # the request socket reconnects on its own too

        # events flow again on the new socket: the subscription was restored at Identify
        obs_sim.simulate_reconnect(0.2)
        wait_until(lambda: RECONNECTED in events.states(), timeout=5, what="RECONNECTED after RECONNECTING")
        states = events.states()
        assert states.index(RECONNECTING) < states.index(RECONNECTED)
        obs.stop_stream(timeout=5)
        assert not obs_sim.streaming
    finally:
        obs.close()


def test_a_request_that_never_answers_times_out_with_a_message(obs_sim):
    obs = ObsController(target(obs_sim), events=False, timeout=0.3)
    obs.connect()
    try:
        obs_sim.hang_requests = {"GetStreamStatus"}
        with pytest.raises(ObsTimeout, match=r"did not answer GetStreamStatus within 0\.3 s"):
            obs.health(with_stats=False)
        obs_sim.hang_requests = False
        assert obs.health(with_stats=False).active is False  # a fresh socket: no stale answer in the way
    finally:
        obs.close()


def test_slow_answers_within_the_timeout_are_fine(obs_sim):
    obs_sim.response_delay = 0.1
    with ObsController(target(obs_sim), events=False, timeout=2) as obs:
        assert obs.is_streaming() is False


def test_liveness_probe_notices_a_socket_that_goes_silent(obs_sim):
    events = Events()
    obs = ObsController(target(obs_sim), on_event=events, probe_interval=0.1, backoff=FAST_BACKOFF)
    obs.connect()
    try:
        obs_sim.hang_requests = True  # the probe (a GetVersion on the event socket) is never answered
        wait_until(lambda: events.of("disconnected"), timeout=5, what="the probe to declare the socket dead")
        assert "stopped answering" in events.of("disconnected")[0].detail
        obs_sim.hang_requests = False
        wait_until(lambda: "reconnected" in events.kinds(), timeout=5, what="reconnect after the probe")
    finally:
        obs.close()


def test_obs_exiting_is_an_event_then_a_disconnect(obs_sim):
    events = Events()
    obs = ObsController(target(obs_sim), on_event=events, backoff=FAST_BACKOFF)
    obs.connect()
    try:
        obs_sim.stop(simulate_exit=True)
        wait_until(lambda: events.of("disconnected"), timeout=5, what="the disconnect after ExitStarted")
        assert events.kinds()[0] == "exit"
        with pytest.raises(ObsNotRunning):
            obs.health()
    finally:
        obs.close()
