"""`streamdesk watch`'s OBS reader: one health reading per poll, never a stale one."""

from __future__ import annotations

import pytest

from streamdesk.cli.history import ObsReading
from streamdesk.core.obs import ObsController, ObsTarget
from streamdesk.core.obs_errors import ObsError
from tests.plugins.processes import wait_until


def test_a_failed_health_read_leaves_no_stale_frame_counters(obs_sim):
    controller = ObsController(ObsTarget(obs_sim.host, obs_sim.port, obs_sim.password), timeout=2.0)
    controller.connect()
    reading = ObsReading(controller)
    try:
        controller.start_stream()
        wait_until(lambda: reading.bitrate() is not None and reading.frames() is not None,
                   what="a measured bitrate")
        assert reading.frames() is not None  # this poll's counters
        obs_sim.stop()  # OBS goes away between two polls
        with pytest.raises(ObsError):
            reading.bitrate()
        assert reading.frames() is None  # not the previous poll's counters
    finally:
        reading.close()
