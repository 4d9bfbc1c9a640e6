"""What streamdesk relies on in obsws-python beyond its public API (``core.obs_socket.OBSWS_INTERNALS``):
this fails when a release of the library changes any of it, or when the installed version leaves
the tested range pinned in pyproject.toml."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
import websocket
from obsws_python.baseclient import ObsClient

from streamdesk.core.obs_socket import OBSWS_INTERNALS, OBSWS_TESTED
from streamdesk.sim.obs_server import ObsSimulator

CORE = Path(__file__).resolve().parents[2] / "streamdesk" / "core"


def test_the_installed_version_is_in_the_tested_range_and_the_pin_says_so() -> None:
    version = tuple(int(p) for p in metadata.version("obsws-python").split(".")[:2])
    assert version in OBSWS_TESTED, f"obsws-python {version} is not in the tested range {OBSWS_TESTED}"
    pyproject = (CORE.parents[1] / "pyproject.toml").read_text()
    low, high = OBSWS_TESTED[0], OBSWS_TESTED[-1]
    assert f'"obsws-python>={low[0]}.{low[1]},<{high[0]}.{high[1] + 1}"' in pyproject


def test_the_constructor_leaves_each_internal_we_read(obs_sim: ObsSimulator, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # with host/port/password given it must not read a config.toml from the cwd (it would redirect us)
    (tmp_path / "config.toml").write_text('[connection]\nhost = "10.255.255.1"\nport = 1\npassword = "x"\n')
    monkeypatch.chdir(tmp_path)
    client = ObsClient(host=obs_sim.host, port=obs_sim.port, password=obs_sim.password, subs=0, timeout=3)
    try:
        assert set(OBSWS_INTERNALS) == {"ws", "server_hello"}
        assert isinstance(client.ws, websocket.WebSocket) and client.ws.connected
        assert client.server_hello["op"] == 0
        assert set(client.server_hello["d"]["authentication"]) == {"challenge", "salt"}
    finally:
        client.ws.close()


def test_no_other_module_touches_the_internals() -> None:
    for path in CORE.glob("*.py"):
        if path.name == "obs_socket.py":
            continue
        text = path.read_text()
        assert not re.search(r"\.server_hello\b|\bsock\.ws\b|\._req\.ws\b|\.base_client\b", text), path.name
    own = (CORE / "obs_socket.py").read_text()
    # inside obs_socket.py, only the two accessors (and the teardown paths) read them
    assert len(re.findall(r"self\.ws\b", own)) == 1 and len(re.findall(r"server_hello", own)) == 2
