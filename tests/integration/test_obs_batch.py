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


def test_the_undo_is_kept_before_obs_changes_and_an_unkeepable_one_changes_nothing(
        obs_sim: ObsSimulator, obsws_client) -> None:
    """obs_ops.configure keeps the backup before the write batch: an old key too long for the
    keyring (Windows Credential Manager's 2560 bytes) stops it with OBS as it was."""
    import time

    from streamdesk.core import obs_ops
    from streamdesk.core.context import AppContext
    from streamdesk.core.secrets import SecretKind, SecretTooLong
    from streamdesk.core.store import ChannelConfig

    ctx = AppContext()
    now = time.time()
    ctx.store.save_channel(ChannelConfig(api_key="test-key", user_id="host-1", call_id="show-1",
                                         rtmps_url=SERVER, provisioned_at=now, key_expires_at=now + 3600))
    ctx.secrets.set(SecretKind.STREAM_KEY, "new-stream-key-0123456789", "livestream:show-1")
    target = ObsTarget("127.0.0.1", obs_sim.port, obs_sim.password)
    old = {"streamServiceType": "rtmp_custom",
           "streamServiceSettings": {"server": "rtmp://elsewhere.example/app", "key": "o" * 1400}}
    client = obsws_client(obs_sim)
    client.send("SetStreamServiceSettings", old)
    mark = len(obs_sim.received)
    with pytest.raises(SecretTooLong):
        obs_ops.configure(ctx, t=target)
    assert sets(obs_sim, mark) == [] and obs_sim.stream_service == old
    assert ctx.store.get_setting(obs_ops.SETTING_BACKUP) is None

    client.send("SetStreamServiceSettings", {
        "streamServiceType": "rtmp_custom",
        "streamServiceSettings": {"server": "rtmp://elsewhere.example/app", "key": "old"}})
    obs_ops.configure(ctx, t=target)
    assert ctx.store.get_setting(obs_ops.SETTING_BACKUP)["obs"] == target.scope
    obs_ops.restore(ctx, t=target)
    assert obs_sim.stream_service["streamServiceSettings"]["key"] == "old"
