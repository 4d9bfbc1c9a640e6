"""Configure, plan and restore against the OBS simulator: one read batch, one halting write batch,
and only what differs is written (OBS saves a file per write)."""

from __future__ import annotations

import pytest

from streamdesk.core.obs import PLAN_PARAMETERS, ObsController, ObsOutputActive, ObsTarget
from streamdesk.sim.obs_server import ObsSimulator

SERVER = "rtmps://ingress.example/live"


def sets(sim: ObsSimulator, since: int) -> list[str]:
    return [r.request_type for r in sim.received[since:] if r.request_type.startswith("Set")]


def test_configure_reads_in_one_batch_writes_in_one_and_skips_what_is_already_so(
        obs_sim: ObsSimulator) -> None:
    with ObsController(ObsTarget("127.0.0.1", obs_sim.port, obs_sim.password), events=False) as obs:
        before = len(obs_sim.batches)
        backup = obs.configure(SERVER, "key-1")
        reads, writes = obs_sim.batches[before:]
        assert len(reads) == 3 + len(PLAN_PARAMETERS) and all(t.startswith("Get") for t in reads)
        assert writes[0] == "SetStreamServiceSettings" and len(writes) == 5
        assert backup.service_type == "rtmp_common"

        mark, before = len(obs_sim.received), len(obs_sim.batches)
        obs.configure(SERVER, "key-1")  # nothing differs: reads only
        assert sets(obs_sim, mark) == [] and len(obs_sim.batches) == before + 1

        mark = len(obs_sim.received)
        obs.configure(SERVER, "key-2")  # a rotated key: the service only
        assert sets(obs_sim, mark) == ["SetStreamServiceSettings"]
        assert obs_sim.stream_service["streamServiceSettings"]["key"] == "key-2"

        mark = len(obs_sim.received)
        obs.restore(backup)
        assert obs_sim.stream_service["streamServiceType"] == "rtmp_common"
        assert obs_sim.profile.get("SimpleOutput", "x264Settings") is None  # deleted again
        assert sets(obs_sim, mark)[0] == "SetStreamServiceSettings"


def test_configure_while_live_changes_nothing(obs_sim: ObsSimulator) -> None:
    with ObsController(ObsTarget("127.0.0.1", obs_sim.port, obs_sim.password), events=False) as obs:
        obs.start_stream(timeout=5)
        mark = len(obs_sim.received)
        with pytest.raises(ObsOutputActive):
            obs.configure(SERVER, "key-1")
        assert sets(obs_sim, mark) == []
        obs.stop_stream(timeout=5)
