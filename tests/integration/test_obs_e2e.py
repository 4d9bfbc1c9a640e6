"""End to end through the real CLI: the GetStream simulator hands out an ingest address that points
at nginx-rtmp on loopback; `streamdesk provision` mints the key, `streamdesk obs configure` pushes it
into REAL OBS 29, `streamdesk obs start` streams, nginx receives the bytes, `obs stop` ends it and
`obs restore` puts OBS back. Secrets live in a real Secret Service on a private D-Bus session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET
from tests.plugins.processes import cli, wait_until

pytestmark = [pytest.mark.obs, pytest.mark.nginx, pytest.mark.secretservice]


def test_provision_configure_stream_to_nginx_stop_restore(make_gs_sim, real_obs, obs_target, rtmp_ingest,
                                                         secret_service, isolated_home: Path):
    gs = make_gs_sim(rtmp_address=rtmp_ingest.server_url)
    env = dict(secret_service)
    obs_args = ("--port", str(obs_target.port))

    cli(env, "setup", "--api-key", SIM_API_KEY, "--user-id", "host-1", "--call-id", "show-1",
        "--api-base", gs.url, "--secret-stdin", input=SIM_API_SECRET + "\n")
    assert rtmp_ingest.server_url in cli(env, "provision").stdout
    key = cli(env, "key", "--reveal").stdout.strip()

    dry = cli(env, "obs", "configure", *obs_args, "--password-stdin", "--dry-run",
              input=obs_target.password + "\n").stdout
    assert "nothing was changed" in dry and rtmp_ingest.server_url in dry and key not in dry

    out = cli(env, "obs", "configure", *obs_args, "--password-stdin", input=obs_target.password + "\n")
    assert "Configured OBS" in out.stdout and key not in out.stdout + out.stderr

    # from here on the password comes from the keyring: no stdin, no environment variable
    status = json.loads(cli(env, "obs", "status", "--json").stdout)
    assert status["configured_for_channel"] is True and status["streaming"] is False
    assert status["server"] == rtmp_ingest.server_url and key not in json.dumps(status)

    before = rtmp_ingest.bytes_in()
    assert "OBS is streaming" in cli(env, "obs", "start").stdout
    wait_until(lambda: key in rtmp_ingest.streams(), what="nginx to see OBS publish with the minted key")
    wait_until(lambda: rtmp_ingest.bytes_in() > before + 20_000, what="video bytes arriving at nginx")
    refused = cli(env, "obs", "configure", ok=False)
    assert refused.returncode == 1 and "streaming right now" in refused.stderr

    assert "stopped" in cli(env, "obs", "stop").stdout
    wait_until(lambda: key not in rtmp_ingest.streams(), what="the publish to end")
    assert any(p.stat().st_size > 10_000 for p in rtmp_ingest.recordings())

    cli(env, "obs", "restore")
    status = json.loads(cli(env, "obs", "status", "--json").stdout)
    assert status["server"] == "rtmp://127.0.0.1/initial" and status["configured_for_channel"] is False

    for path in isolated_home.rglob("*"):  # nothing secret on disk under STREAMDESK_HOME
        if path.is_file():
            blob = path.read_bytes()
            assert key.encode() not in blob and obs_target.password.encode() not in blob


def test_wrong_password_and_closed_port_through_the_cli(real_obs, obs_target, secret_service):
    env = dict(secret_service)
    out = cli(env, "obs", "status", "--port", str(obs_target.port), "--password-stdin",
              input="not-the-password\n", ok=False)
    assert out.returncode == 1 and "rejected the websocket password" in out.stderr
    assert "not-the-password" not in out.stderr
    env["STREAMDESK_OBS_PASSWORD"] = "whatever"
    out = cli(env, "obs", "status", "--port", "1", ok=False)
    assert out.returncode == 1 and "Nothing is listening at 127.0.0.1:1" in out.stderr
