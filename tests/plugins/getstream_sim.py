"""pytest fixtures: the GetStream simulator on a random loopback port.

``gs_sim`` is a started ``GetStreamSimulator`` (API key ``test-key``, a fresh secret, seed 1),
stopped after the test. ``make_gs_sim(**kwargs)`` builds more (any constructor keyword: ``seed``,
``audience``, ``rtmp_address``, ``clock``, ``time_scale``, …), all stopped after the test.
``gs_env`` is the environment a CLI subprocess needs to talk to ``gs_sim``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from streamdesk.sim.getstream_server import GetStreamSimulator

SIM_API_KEY = "test-key"
SIM_API_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def make_gs_sim() -> Iterator[Callable[..., GetStreamSimulator]]:
    started: list[GetStreamSimulator] = []

    def make(**kwargs: object) -> GetStreamSimulator:
        kwargs.setdefault("api_key", SIM_API_KEY)
        kwargs.setdefault("api_secret", SIM_API_SECRET)
        sim = GetStreamSimulator(**kwargs).start()  # type: ignore[arg-type]
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def gs_sim(make_gs_sim: Callable[..., GetStreamSimulator]) -> GetStreamSimulator:
    return make_gs_sim()


@pytest.fixture
def gs_env(gs_sim: GetStreamSimulator) -> dict[str, str]:
    """Environment for ``run_cli``: the simulator's base URL and its secret."""
    return {"STREAMDESK_API_BASE": gs_sim.url, "STREAMDESK_API_SECRET": gs_sim.api_secret}
