"""The OBS controller and obs operations against REAL OBS 29 (headless, under Xvfb).

What OBS did is read back independently: with a plain obsws-python client and from the profile's
``service.json`` / ``basic.ini`` that OBS writes."""

from __future__ import annotations

import configparser
import json
import logging
import time

import obsws_python as obsws
import pytest

from streamdesk.core import obs_ops
from streamdesk.core.context import AppContext
from streamdesk.core.obs import (
    STARTED,
    STARTING,
    STOPPED,
    STOPPING,
    ObsAuthFailed,
    ObsController,
    ObsNotRunning,
    ObsOutputActive,
    ObsStartFailed,
    ObsTarget,
)
from streamdesk.core.secrets import SecretKind
from streamdesk.core.store import ChannelConfig
from tests.plugins.processes import free_port, wait_until

pytestmark = pytest.mark.obs

CALL_ID = "show-1"
KEY = "sk-test-stream-key-0123456789abcdef"  # not JWT-shaped: only registration can hide it


def provisioned(server: str, key: str = KEY) -> AppContext:
    """A context whose channel is provisioned for ``server`` with ``key`` in the (test) keyring."""
    ctx = AppContext()
    now = time.time()
    ctx.store.save_channel(ChannelConfig(api_key="test-key", user_id="host-1", call_id=CALL_ID,
                                         rtmps_url=server, provisioned_at=now, key_expires_at=now + 3600))
    ctx.secrets.set(SecretKind.STREAM_KEY, key, f"livestream:{CALL_ID}")
    return ctx


def raw(target: ObsTarget) -> obsws.ReqClient:
    return obsws.ReqClient(host=target.host, port=target.port, password=target.password, timeout=5)


def profile_param(client: obsws.ReqClient, category: str, name: str) -> str | None:
    return client.send("GetProfileParameter", {"parameterCategory": category, "parameterName": name},
                       raw=True)["parameterValue"]


def basic_ini(real_obs) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(real_obs.profile_dir / "basic.ini", encoding="utf-8-sig")
    return parser


def test_configure_writes_server_and_key_into_obs(real_obs, obs_target):
    server = "rtmp://127.0.0.1:1935/live"
    ctx = provisioned(server)
    result = obs_ops.configure(ctx, output_settings=False, t=obs_target)
    assert result.backup_taken and not result.dry_run

    client = raw(obs_target)
    try:
        s = client.send("GetStreamServiceSettings", raw=True)
    finally:
        client.disconnect()
    assert s["streamServiceType"] == "rtmp_custom"
    assert s["streamServiceSettings"]["server"] == server
    assert s["streamServiceSettings"]["key"] == KEY
    saved = json.loads(real_obs.service_json().read_text())
    assert saved["type"] == "rtmp_custom"
    assert saved["settings"]["server"] == server and saved["settings"]["key"] == KEY
    # the password is now in the keyring for this OBS, and the target is remembered
    assert ctx.secrets.get(SecretKind.OBS_PASSWORD, obs_target.scope) == obs_target.password
    assert obs_ops.target(ctx) == obs_target


def test_output_settings_change_and_restore_brings_everything_back(real_obs, obs_target):
    ctx = provisioned("rtmp://127.0.0.1:1935/live")
    names = ("VBitrate", "Preset", "UseAdvanced", "x264Settings", "StreamEncoder")
    params = [("SimpleOutput", n) for n in names]
    client = raw(obs_target)
    try:
        before = {p: profile_param(client, *p) for p in params}
    finally:
        client.disconnect()
    result = obs_ops.configure(ctx, t=obs_target)
    changed = {c.setting: c for c in result.changes if c.changes}
    # 640x360 at 30 fps in the seeded profile: the 720p bitrate, x264 faster, keyframe every 60 frames
    assert changed["SimpleOutput/VBitrate"].old == "800" and changed["SimpleOutput/VBitrate"].new == "2500"
    assert changed["SimpleOutput/Preset"].new == "faster"
    client = raw(obs_target)
    try:
        assert profile_param(client, "SimpleOutput", "VBitrate") == "2500"
        assert profile_param(client, "SimpleOutput", "Preset") == "faster"
        assert profile_param(client, "SimpleOutput", "UseAdvanced") == "true"
        assert profile_param(client, "SimpleOutput", "x264Settings") == "keyint=60"
        ini = basic_ini(real_obs)
        assert ini["SimpleOutput"]["VBitrate"] == "2500"  # OBS saved it to the profile

        obs_ops.restore(ctx, obs_target)

        s = client.send("GetStreamServiceSettings", raw=True)
        assert s["streamServiceSettings"]["server"] == "rtmp://127.0.0.1/initial"
        assert s["streamServiceSettings"]["key"] == "initial-key"
        # (an unset parameter reads as its default: GetProfileParameter cannot tell the two apart)
        assert {p: profile_param(client, *p) for p in params} == before
        assert before[("SimpleOutput", "VBitrate")] == "800"
    finally:
        client.disconnect()
    assert "initial-key" not in json.dumps(ctx.store.get_setting("obs.backup", {}))
    with pytest.raises(obs_ops.NothingToRestore):
        obs_ops.restore(ctx, obs_target)


def test_second_configure_keeps_the_first_backup(obs_target):
    ctx = provisioned("rtmp://127.0.0.1:1935/live")
    obs_ops.configure(ctx, t=obs_target)
    ctx.secrets.set(SecretKind.STREAM_KEY, KEY + "-rotated", f"livestream:{CALL_ID}")
    again = obs_ops.configure(ctx, t=obs_target)
    assert not again.backup_taken
    obs_ops.restore(ctx, obs_target)
    client = raw(obs_target)
    try:  # back to the streamer's own settings, not to streamdesk's first configuration
        service = client.send("GetStreamServiceSettings", raw=True)["streamServiceSettings"]
        assert service["key"] == "initial-key"
        assert profile_param(client, "SimpleOutput", "VBitrate") == "800"
    finally:
        client.disconnect()


def test_dry_run_shows_the_diff_and_changes_nothing(real_obs, obs_target):
    ctx = provisioned("rtmp://127.0.0.1:1935/live")
    before_ini = (real_obs.profile_dir / "basic.ini").read_text()
    client = raw(obs_target)
    try:
        before = client.send("GetStreamServiceSettings", raw=True)
        result = obs_ops.configure(ctx, dry_run=True, t=obs_target)
        assert client.send("GetStreamServiceSettings", raw=True) == before
    finally:
        client.disconnect()
    assert (real_obs.profile_dir / "basic.ini").read_text() == before_ini
    assert result.dry_run and ctx.store.get_setting("obs.backup") is None
    rows = {c.setting: c for c in result.changes}
    assert rows["stream server"].old == "rtmp://127.0.0.1/initial"
    assert rows["stream server"].new == "rtmp://127.0.0.1:1935/live"
    assert rows["stream key"].changes and KEY not in rows["stream key"].new


def test_wrong_password_and_closed_port_say_so(obs_target):
    wrong = ObsTarget(obs_target.host, obs_target.port, "not-the-password")
    with pytest.raises(ObsAuthFailed, match="rejected the websocket password"):
        ObsController(wrong).connect()
    with pytest.raises(ObsNotRunning, match="Nothing is listening"):
        ObsController(ObsTarget("127.0.0.1", free_port(), "x")).connect()
    # a wrong password is never kept in the keyring
    ctx = provisioned("rtmp://127.0.0.1:1935/live")
    with pytest.raises(ObsAuthFailed):
        obs_ops.configure(ctx, t=wrong)
    assert ctx.secrets.get(SecretKind.OBS_PASSWORD, wrong.scope) is None


def test_stream_to_nginx_then_refuse_configure_while_live(obs_target, rtmp_ingest):
    events = []
    ctx = provisioned(rtmp_ingest.server_url)
    obs_ops.configure(ctx, t=obs_target)
    with ObsController(obs_target, on_event=events.append) as obs:
        obs.start_stream()
        wait_until(lambda: KEY in rtmp_ingest.streams(), what="nginx to see the publish")
        before = rtmp_ingest.bytes_in()
        wait_until(lambda: rtmp_ingest.bytes_in() > before, what="bytes arriving at nginx")
        with pytest.raises(ObsOutputActive, match="streaming right now"):
            obs_ops.configure(ctx, t=obs_target)
        with pytest.raises(ObsOutputActive):
            obs_ops.restore(ctx, obs_target)
        assert obs_ops.status(ctx, obs=obs).health.active  # the caller's connection, left open
        with pytest.raises(ObsOutputActive):
            obs_ops.configure(ctx, obs=obs)
        assert obs.is_streaming()
        obs.stop_stream()
        assert not obs.is_streaming()
    assert [e.state for e in events if e.kind == "stream_state"] == [STARTING, STARTED, STOPPING, STOPPED]
    obs_ops.restore(ctx, obs_target)  # allowed again once stopped


def test_a_start_that_cannot_connect_is_reported_with_causes(obs_target):
    ctx = provisioned(f"rtmp://127.0.0.1:{free_port()}/live")  # nothing listens there
    obs_ops.configure(ctx, output_settings=False, t=obs_target)
    with pytest.raises(ObsStartFailed, match="stopped while connecting") as e:
        obs_ops.start(ctx, t=obs_target, timeout=15)
    assert "wrong server" in e.value.one_line() and KEY not in e.value.one_line()


def test_configure_at_debug_logging_leaks_neither_password_nor_key(obs_target, caplog):
    from streamdesk.core.secrets import setup_logging

    ctx = provisioned("rtmp://127.0.0.1:1935/live")
    handler = setup_logging(ctx.paths.log_file, level=logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        obs_ops.configure(ctx, t=obs_target)
        obs_ops.status(ctx, t=obs_target)
        with pytest.raises(ObsAuthFailed) as e:
            obs_ops.configure(ctx, t=ObsTarget(obs_target.host, obs_target.port, "wrong-password-123"))
        obs_ops.restore(ctx, obs_target)
    finally:
        handler.flush()
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert caplog.records, "expected some log records at DEBUG"
    log_text = ctx.paths.log_file.read_text()
    assert "configured OBS" in log_text
    for secret in (obs_target.password, KEY, "initial-key", "wrong-password-123"):
        assert secret not in log_text
        for record in caplog.records:
            assert secret not in record.getMessage()
    assert "wrong-password-123" not in str(e.value)
    assert obs_target.password not in repr(obs_target)


def test_controller_rides_out_an_obs_restart_and_resubscribes(tmp_path):
    """A second, private OBS (the shared one must not go away): quit it, start it again on the
    same port, and the controller's event socket reconnects on its own with its subscriptions."""
    from tests.plugins.obs import missing_tools, start_obs

    if missing_tools():
        pytest.skip(missing_tools())
    proc = start_obs(tmp_path)
    events = []
    target = ObsTarget(proc.host, proc.port, proc.password)
    obs = ObsController(target, on_event=events.append, backoff=(0.1, 0.2, 0.4))
    try:
        obs.connect()
        proc.stop()  # SIGINT: OBS says ExitStarted, then closes
        wait_until(lambda: any(e.kind == "disconnected" for e in events), what="the disconnect")
        kinds = [e.kind for e in events]
        # OBS normally announces ExitStarted first; one still starting up may just close
        assert kinds[:2] == ["exit", "disconnected"] or kinds[:1] == ["disconnected"]
        assert not events[kinds.index("disconnected")].final  # OBS quitting is no reason to give up

        proc = start_obs(tmp_path, port=proc.port, seed=False)
        wait_until(lambda: any(e.kind == "reconnected" for e in events), timeout=20, what="the reconnect")
        obs.request("SetStreamServiceSettings", {  # nothing listens there: STARTING then STOPPED
            "streamServiceType": "rtmp_custom",
            "streamServiceSettings": {"server": f"rtmp://127.0.0.1:{free_port()}/live", "key": "k"}})
        with pytest.raises(ObsStartFailed):
            obs.start_stream(timeout=15)
        after = [e.state for e in events[[e.kind for e in events].index("reconnected"):] if e.state]
        assert after[-2:] == [STARTING, STOPPED]  # events flow on the new socket: re-subscribed
    finally:
        obs.close()
        proc.stop()
