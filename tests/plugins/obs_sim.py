"""pytest fixtures for the obs-websocket simulator (``streamdesk.sim.obs_server``).

- ``obs_sim``: a started simulator on a random loopback port with a password (``obs_sim.password``).
- ``make_obs_sim(**kw)``: a factory for simulators with other settings; every one is stopped at teardown.
- ``obsws_client(sim, password=None, timeout=3.0)``: a real obsws-python ``ReqClient`` on a simulator.
- ``obsws_events(sim, subs=OUTPUTS|GENERAL)``: a real obsws-python ``EventClient`` recording stream
  states and ExitStarted (``ObsEventLog``).
Clients made by the factories are disconnected before the simulators stop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import obsws_python as obsws
import pytest

from streamdesk.sim.obs_server import ObsSimulator
from tests.plugins.processes import wait_until

OBS_SIM_PASSWORD = "sim-obs-password"


class ObsEventLog:
    """An obsws-python EventClient recording what it hears (callbacks run on its thread)."""

    def __init__(self, host: str, port: int, password: str | None,
                 subs: int = obsws.Subs.OUTPUTS | obsws.Subs.GENERAL) -> None:
        self.states: list[str] = []
        self.active: list[bool] = []
        self.exits = 0
        self._lock = threading.Lock()
        self.client = obsws.EventClient(host=host, port=port, password=password or "", subs=subs, timeout=3)
        self.client.callback.register([self.on_stream_state_changed, self.on_exit_started])

    def on_stream_state_changed(self, data: object) -> None:
        with self._lock:
            self.states.append(data.output_state)  # type: ignore[attr-defined]
            self.active.append(data.output_active)  # type: ignore[attr-defined]

    def on_exit_started(self, data: object) -> None:
        self.exits += 1

    def wait_for(self, state: str, timeout: float = 5.0) -> None:
        wait_until(lambda: state in self.states, timeout=timeout, what=f"{state} event (got {self.states})")

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def make_obs_sim() -> Iterator[Callable[..., ObsSimulator]]:
    started: list[ObsSimulator] = []

    def make(**kw: object) -> ObsSimulator:
        kw.setdefault("password", OBS_SIM_PASSWORD)
        sim = ObsSimulator(**kw).start()  # type: ignore[arg-type]
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def obs_sim(make_obs_sim: Callable[..., ObsSimulator]) -> ObsSimulator:
    return make_obs_sim()


@pytest.fixture
def obsws_client(make_obs_sim: Callable[..., ObsSimulator]) -> Iterator[Callable[..., obsws.ReqClient]]:
    # Depends on make_obs_sim so these clients are torn down before the simulators stop.
    made: list[obsws.ReqClient] = []

    def make(sim: ObsSimulator, password: str | None = None, timeout: float = 3.0) -> obsws.ReqClient:
        # host, port and password always given: obsws-python otherwise reads a config.toml from disk.
        client = obsws.ReqClient(host=sim.host, port=sim.port, timeout=timeout,
                                 password=(sim.password or "") if password is None else password)
        made.append(client)
        return client

    yield make
    for client in made:
        client.disconnect()


@pytest.fixture
def obsws_events(make_obs_sim: Callable[..., ObsSimulator]) -> Iterator[Callable[..., ObsEventLog]]:
    made: list[ObsEventLog] = []

    def make(sim: ObsSimulator, subs: int = obsws.Subs.OUTPUTS | obsws.Subs.GENERAL) -> ObsEventLog:
        log = ObsEventLog(sim.host, sim.port, sim.password, subs)
        made.append(log)
        return log

    yield make
    for log in made:
        log.close()
