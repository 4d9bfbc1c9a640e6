"""A long-running app holds many descriptors: a socket numbered above FD_SETSIZE (1024) must work
like any other (``select.select`` raises ValueError there, and the fresh OBS socket looked dead)."""

from __future__ import annotations

import os

from streamdesk.core.obs import ObsController, ObsTarget
from streamdesk.sim.obs_server import ObsSimulator


def test_connects_when_the_socket_number_is_above_fd_setsize(obs_sim: ObsSimulator) -> None:
    held: list[int] = []
    try:
        while not held or held[-1] < 1100:
            held.append(os.open(os.devnull, os.O_RDONLY))
        with ObsController(ObsTarget(obs_sim.host, obs_sim.port, obs_sim.password), events=False) as obs:
            info = obs.connect()
            assert info.obs_version
            assert obs.request("GetVersion")["obsVersion"] == info.obs_version
    finally:
        for fd in held:
            os.close(fd)
