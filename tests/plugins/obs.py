"""pytest fixtures: real OBS Studio 29 headless under its own Xvfb.

``real_obs`` (session scoped) starts one OBS with a throwaway config directory: obs-websocket
enabled with a password on a free port, a small 640x360 profile in Simple output mode (x264
ultrafast, 800 kbps: ≈ 16 % of a core). It waits until the websocket accepts connections and at the
end stops OBS with SIGINT, then Xvfb, each by PID. ``obs_target`` hands a test the ``ObsTarget``
and puts the profile back to its seeded state first, so tests sharing the one OBS do not leak
settings into each other.

Hermetic runs: OBS 29's websocket listens on every interface and OBS looks for service updates at
start. Run the suite inside a network namespace with only loopback up to isolate both, e.g.

    unshare -n -- sh -c 'ip link set lo up && exec .venv/bin/pytest -m obs'

Everything the OBS tests start (OBS, nginx, the GetStream simulator, the CLI) then shares that one
namespace. The fixture cannot do this on its own: a namespace belongs to a process (a thread, in
fact), and the test process and its clients must be inside the same one as OBS. ``obs_isolated``
tells whether the current run is isolated; it is reported in the test header.
"""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.plugins.processes import free_port, start_xvfb, stop_process

PROFILE = "streamdesk-test"
PASSWORD = "obs-test-password-7Qx"  # a throwaway OBS in a throwaway config dir

_SEED_PROFILE = {
    "General": {"Name": PROFILE},
    "Video": {
        "BaseCX": "640", "BaseCY": "360", "OutputCX": "640", "OutputCY": "360",
        "FPSType": "0", "FPSCommon": "30",
    },
    "Output": {"Mode": "Simple"},
    "SimpleOutput": {"StreamEncoder": "x264", "Preset": "ultrafast", "VBitrate": "800"},
}

# What tests may change, and the seeded value to put back (None: unset, OBS's default).
_RESET_PARAMETERS = [
    ("Output", "Mode", "Simple"),
    ("SimpleOutput", "StreamEncoder", "x264"),
    ("SimpleOutput", "Preset", "ultrafast"),
    ("SimpleOutput", "VBitrate", "800"),
    ("SimpleOutput", "UseAdvanced", None),
    ("SimpleOutput", "x264Settings", None),
]


@dataclass
class ObsProcess:
    """One running OBS: where its websocket is and where its profile lives."""

    host: str
    port: int
    password: str
    config_dir: Path  # XDG_CONFIG_HOME/obs-studio
    obs: subprocess.Popen
    xvfb: subprocess.Popen
    log_path: Path

    @property
    def profile_dir(self) -> Path:
        return self.config_dir / "basic" / "profiles" / PROFILE

    def service_json(self) -> Path:
        return self.profile_dir / "service.json"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        # SIGINT is OBS's clean shutdown (≈ 0.4 s even while streaming); stop_process escalates.
        stop_process(self.obs, signal.SIGINT, timeout=10)
        stop_process(self.xvfb, signal.SIGTERM)


def missing_tools() -> str | None:
    for tool in ("obs", "Xvfb"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install -y obs-studio xvfb)"
    return None


def network_isolated() -> bool:
    """True when this process sees no network interface but loopback (a private namespace)."""
    try:
        names = os.listdir("/sys/class/net")
    except OSError:
        return False
    return names == ["lo"]


def _write_ini(path: Path, sections: dict[str, dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # OBS keys are case sensitive
    parser.read_dict(sections)
    with path.open("w") as f:
        parser.write(f, space_around_delimiters=False)


def _seed_config(root: Path, port: int, password: str) -> Path:
    config = root / "config" / "obs-studio"
    _write_ini(config / "global.ini", {
        "General": {
            "FirstRun": "true", "LastVersion": "486539266",  # no Auto-Configuration Wizard
            "ConfirmOnExit": "false", "EnableAutoUpdates": "false",
        },
        "Basic": {
            "Profile": PROFILE, "ProfileDir": PROFILE,
            "SceneCollection": PROFILE, "SceneCollectionFile": PROFILE,
        },
        # obs-websocket 5.1 (OBS 29) reads these; --websocket_port alone does not enable the server.
        "OBSWebSocket": {
            "FirstLoad": "false", "ServerEnabled": "true", "ServerPort": str(port),
            "AlertsEnabled": "false", "AuthRequired": "true", "ServerPassword": password,
        },
    })
    _write_ini(config / "basic" / "profiles" / PROFILE / "basic.ini", _SEED_PROFILE)
    return config


def _port_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def start_obs(root: Path, *, password: str = PASSWORD, port: int | None = None, seed: bool = True,
              timeout: float = 30.0) -> ObsProcess:
    """Start Xvfb + OBS under ``root`` and wait for the websocket. The caller stops it.
    ``seed=False`` with the earlier ``port`` relaunches an OBS on the config it left behind."""
    port = port or free_port()
    config = _seed_config(root, port, password) if seed else root / "config" / "obs-studio"
    (root / "home").mkdir(exist_ok=True)
    log_path = root / "obs.log"
    log = log_path.open("ab")
    xvfb, display = start_xvfb("640x360", log)
    env = {
        **os.environ,
        "HOME": str(root / "home"), "XDG_CONFIG_HOME": str(root / "config"),
        "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "LIBGL_ALWAYS_SOFTWARE": "1",
    }
    obs = subprocess.Popen(
        ["obs", "--multi", "--disable-updater", "--disable-shutdown-check", "--minimize-to-tray"],
        env=env, cwd=root, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
    )
    proc = ObsProcess("127.0.0.1", port, password, config, obs, xvfb, log_path)
    deadline = time.monotonic() + timeout
    while not _port_accepts("127.0.0.1", port):
        if obs.poll() is not None or time.monotonic() > deadline:
            tail = proc.log_tail()
            proc.stop()
            raise RuntimeError(f"OBS did not open its websocket on port {port}:\n{tail}")
        time.sleep(0.05)
    return proc


@pytest.fixture(scope="session")
def real_obs() -> Iterator[ObsProcess]:
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="streamdesk-obs-"))
    proc = start_obs(root)
    try:
        yield proc
    finally:
        proc.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def obs_target(real_obs: ObsProcess):
    """The shared real OBS, idle, with its profile put back to the seeded values."""
    import obsws_python as obsws
    import obsws_python.error

    from streamdesk.core.obs import ObsTarget

    client = obsws.ReqClient(host=real_obs.host, port=real_obs.port, password=real_obs.password, timeout=5)
    try:
        if client.send("GetStreamStatus", raw=True)["outputActive"]:
            client.send("StopStream")
            deadline = time.monotonic() + 10
            while client.send("GetStreamStatus", raw=True)["outputActive"] and time.monotonic() < deadline:
                time.sleep(0.05)
        for category, name, value in _RESET_PARAMETERS:
            try:
                client.send("SetProfileParameter",
                            {"parameterCategory": category, "parameterName": name, "parameterValue": value})
            except obsws.error.OBSSDKRequestError as e:
                if not (value is None and e.code == 600):  # 600: deleting one that is not there
                    raise
        client.send("SetStreamServiceSettings", {
            "streamServiceType": "rtmp_custom",
            "streamServiceSettings": {"server": "rtmp://127.0.0.1/initial", "key": "initial-key"},
        })
    finally:
        client.disconnect()
    return ObsTarget(real_obs.host, real_obs.port, real_obs.password)


def pytest_report_header(config) -> str:
    return f"obs: network namespace isolated = {network_isolated()}"
