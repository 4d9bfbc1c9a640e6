"""pytest fixtures for the obs-websocket simulator (``streamdesk.sim.obs_server``).

- ``obs_sim``: a started simulator on a random loopback port with a password (``obs_sim.password``).
- ``make_obs_sim(**kw)``: a factory for simulators with other settings; every one is stopped at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from streamdesk.sim.obs_server import ObsSimulator

OBS_SIM_PASSWORD = "sim-obs-password"


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
