"""The whole GetStream flow through the real CLI process, against the simulator, with the secrets
in a real Secret Service (gnome-keyring on a private D-Bus session): setup → provision → key →
golive → status → stop → end, with 429s and 5xx injected along the way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest

from tests.plugins.getstream_sim import SIM_API_KEY, SIM_API_SECRET
from tests.plugins.processes import REPO, cli, free_port, stop_process

pytestmark = pytest.mark.secretservice

@pytest.fixture
def env(secret_service: dict[str, str]) -> dict[str, str]:
    """The private Secret Service's bus and dirs; STREAMDESK_HOME stays this test's own."""
    return dict(secret_service)


def setup(env: dict[str, str], api_base: str, secret: str = SIM_API_SECRET, call_id: str = "show-1"):
    return cli(env, "setup", "--api-key", SIM_API_KEY, "--user-id", "host-1", "--call-id", call_id,
               "--api-base", api_base, "--secret-stdin", input=secret + "\n", ok=False)


def no_secrets_in(home: Path, *texts: str, secrets: tuple[str, ...]) -> None:
    blobs = list(texts) + [p.read_bytes().decode("utf-8", "replace") for p in home.rglob("*") if p.is_file()]
    for secret in secrets:
        for blob in blobs:
            assert secret not in blob


def test_whole_flow_survives_429s_and_5xx(env, gs_sim, isolated_home: Path) -> None:
    faults = gs_sim.faults
    faults.server_error("UpdateUsers", times=1, status=503)
    faults.rate_limit("GetOrCreateCall", times=1, reset_in=1.0)
    faults.server_error("GetOrCreateChannel", times=2, status=502)
    faults.drop("QueryUsers", times=1)
    faults.rate_limit("GoLive", times=1, reset_in=1.0)
    faults.server_error("StopLive", times=1, status=500)
    faults.server_error("EndCall", times=1, status=504)
    outputs = []

    out = setup(env, gs_sim.url)
    assert out.returncode == 0, out.stderr
    assert "livestream:show-1" in out.stdout and "keyring" in out.stdout
    outputs.append(out.stdout)

    out = cli(env, "provision", "--join-ahead", "120", "--key-ttl", "6")
    rtmp = f"rtmps://ingress.stream-io-video.com:443/{SIM_API_KEY}.livestream.show-1"
    assert rtmp in out.stdout and "livestream:show-1" in out.stdout
    assert "expires" in out.stdout
    outputs.append(out.stdout)

    masked = cli(env, "key").stdout
    key = cli(env, "key", "--reveal").stdout.strip()
    claims = jwt.decode(key, SIM_API_SECRET, algorithms=["HS256"])
    assert claims["user_id"] == "host-1"
    assert abs(claims["exp"] - (time.time() + 6 * 3600)) < 120
    assert key[-4:] in masked and key not in masked and key not in "".join(outputs)

    # OBS streams to the call's ingress with the key: GetStream has the broadcaster in the call
    assert gs_sim.rtmp_publish(rtmp, key) == "livestream:show-1"
    assert json.loads(cli(env, "status", "--json").stdout)["ingest"] is True
    out = cli(env, "golive", "--hls")
    assert "LIVE" in out.stdout
    gs_sim.advance(60)  # the simulated audience arrives

    status = json.loads(cli(env, "status", "--json").stdout)
    assert status["state"] == "live" and status["remote"]["live"] is True
    assert status["session_id"] is not None and status["remote"]["viewers"] > 0
    assert status["remote_error"] is None

    out = cli(env, "stop")
    assert "back in backstage" in out.stdout and f"Session {status['session_id']}" in out.stdout

    out = cli(env, "end", "--mark-ended")
    assert "ended for everyone" in out.stdout

    status = json.loads(cli(env, "status", "--json").stdout)
    assert status["state"] == "ended"
    sessions = json.loads(cli(env, "sessions", "--json").stdout)
    assert len(sessions) == 1 and sessions[0]["end_reason"] == "stopped" and sessions[0]["ended_at"]

    # every injected fault fired and was absorbed by a retry
    assert faults.count() == 8
    assert {r.operation for r in gs_sim.received if r.status >= 400} == {
        "UpdateUsers", "GetOrCreateCall", "GetOrCreateChannel", "GoLive", "StopLive", "EndCall"}
    no_secrets_in(isolated_home, *outputs, secrets=(SIM_API_SECRET, key))


def test_wrong_secret_fails_with_one_clear_line(env, gs_sim, isolated_home: Path) -> None:
    wrong = "not-the-secret-0123456789abcdefghijklmnop"
    assert setup(env, gs_sim.url, secret=wrong).returncode == 0
    out = cli(env, "provision", ok=False)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "refused the API key or secret" in lines[0] and "code 43" in lines[0]
    assert "streamdesk setup" in lines[0]
    no_secrets_in(isolated_home, out.stdout, out.stderr, secrets=(wrong,))


def test_status_keeps_working_when_getstream_is_unreachable(env) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    assert setup(env, dead).returncode == 0
    out = cli(env, "status")
    assert "State: needs provision" in out.stdout
    assert "GetStream unreachable: Could not reach GetStream" in out.stdout
    data = json.loads(cli(env, "status", "--json").stdout)
    assert data["remote"] is None and "Could not reach GetStream" in data["remote_error"]


def test_force_end_closes_the_session_even_when_getstream_fails(env, gs_sim) -> None:
    assert setup(env, gs_sim.url).returncode == 0
    cli(env, "provision")
    cli(env, "golive", "--skip-ingest-check")
    gs_sim.faults.server_error("StopLive", times=None, status=503)
    out = cli(env, "end", "--force", ok=False)
    assert out.returncode == 1
    assert len(out.stderr.strip().splitlines()) == 1
    assert "GetStream may still show the call live" in out.stderr
    sessions = json.loads(cli(env, "sessions", "--json").stdout)
    assert sessions[0]["ended_at"] is not None and sessions[0]["end_reason"] == "force_end"
    gs_sim.faults.clear()
    cli(env, "end", "--force")  # and once GetStream answers, the same command just works
    assert json.loads(cli(env, "status", "--json").stdout)["remote"]["backstage"] is True


def test_bad_input_is_refused_before_anything_is_saved(env, gs_sim) -> None:
    out = cli(env, "setup", "--api-key", SIM_API_KEY, "--user-id", "host 1", "--secret-stdin",
              input=SIM_API_SECRET + "\n", ok=False)
    assert out.returncode == 2 and "contains ' '" in out.stderr
    out = cli(env, "setup", "--api-key", "key-without-secret", "--user-id", "host-1", ok=False)
    assert out.returncode == 2 and "STREAMDESK_API_SECRET" in out.stderr
    assert json.loads(cli(env, "status", "--json", "--offline").stdout)["state"] == "needs_account"
    assert setup(env, gs_sim.url).returncode == 0
    out = cli(env, "provision", "--starts-at", "tomorrow-ish", ok=False)
    assert out.returncode == 2 and "not an ISO 8601" in out.stderr
    assert gs_sim.received == []  # nothing reached GetStream


# -- key --copy ---------------------------------------------------------------------------------------
def test_copy_without_a_display_fails_clearly(env, gs_sim) -> None:
    assert setup(env, gs_sim.url).returncode == 0
    cli(env, "provision")
    out = cli(env, "key", "--copy", ok=False)  # the tests run Qt offscreen
    assert out.returncode == 1 and "Cannot copy: there is no display" in out.stderr
    assert "--reveal" in out.stderr


CLIPBOARD = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
app = QGuiApplication([])
if len(sys.argv) == 1:
    print(app.clipboard().text())
else:
    app.clipboard().setText(sys.argv[1])
    QTimer.singleShot(300, app.quit)
    app.exec()
"""


@pytest.mark.xvfb
def test_copy_puts_the_key_on_the_x11_clipboard_until_something_else_is_copied(env, gs_sim, xvfb_display):
    assert setup(env, gs_sim.url).returncode == 0
    cli(env, "provision")
    key = cli(env, "key", "--reveal").stdout.strip()
    x_env = {**os.environ, **env, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb",
             "STREAMDESK_CLIPBOARD_SECONDS": "60"}
    owner = subprocess.Popen([sys.executable, "-m", "streamdesk", "key", "--copy"], env=x_env, cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        printed = []
        while not any("Copied" in line for line in printed):
            line = owner.stdout.readline() if owner.stdout else ""
            assert line, f"key --copy ended early: {owner.communicate()[1]}"
            printed.append(line)
        assert key not in "".join(printed)
        clipboard = subprocess.run([sys.executable, "-c", CLIPBOARD], env=x_env, capture_output=True,
                                   text=True, timeout=30)
        assert clipboard.stdout.strip() == key
        # Copying something else ends the wait: there is nothing left to clear.
        subprocess.run([sys.executable, "-c", CLIPBOARD, "something else"], env=x_env, timeout=30, check=True)
        assert owner.wait(timeout=30) == 0
    finally:
        stop_process(owner)
