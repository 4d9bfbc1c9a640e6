"""`streamdesk sim` as a real process: prints where it listens and what it accepts; stops on SIGTERM
(on Windows, where no process can send another SIGTERM, on Ctrl-Break to its process group)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import jwt
import pytest

from tests.plugins.processes import REPO, free_port, run_cli, stop_process, wait_until


class SimProcess:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamdesk", "sim", *args], cwd=REPO, text=True,
            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            # Windows: its own process group, so Ctrl-Break reaches it alone
            creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self) -> dict[str, str]:
        wait_until(lambda: any("Press Ctrl-C" in line for line in self.lines) or self.proc.poll() is not None,
                   timeout=30, what="`streamdesk sim` to start")
        assert self.proc.poll() is None, "\n".join(self.lines)
        text = "\n".join(self.lines)
        found = {"url": re.search(r"GetStream simulator\s+(http://\S+)", text),
                 "api_key": re.search(r"api key\s+(\S+)", text),
                 "api_secret": re.search(r"api secret\s+(\S+)", text),
                 "obs": re.search(r"OBS simulator\s+(\S+)", text)}
        return {k: m.group(1) for k, m in found.items() if m}

    def stop(self) -> int:
        if sys.platform == "win32" and self.proc.poll() is None:
            self.proc.send_signal(signal.CTRL_BREAK_EVENT)
            with contextlib.suppress(subprocess.TimeoutExpired):  # else stop_process ends it
                self.proc.wait(timeout=10)
        stop_process(self.proc)
        self._reader.join(timeout=5)
        return self.proc.returncode


@pytest.fixture
def sim_process() -> Iterator[list[SimProcess]]:
    started: list[SimProcess] = []
    yield started
    for p in started:
        p.stop()


def _get_call_type(url: str, api_key: str, secret: str) -> httpx.Response:
    token = jwt.encode({}, secret, algorithm="HS256")
    return httpx.get(f"{url}/api/v2/video/calltypes/livestream", params={"api_key": api_key},
                     headers={"Authorization": token, "stream-auth-type": "jwt"}, timeout=10)


def test_it_prints_a_demo_pair_that_works_and_stops_cleanly(sim_process: list[SimProcess]) -> None:
    port = free_port()
    p = SimProcess("--port", str(port), "--seed", "4", "--api-key", "my-demo")
    sim_process.append(p)
    info = p.wait_ready()
    assert info["url"] == f"http://127.0.0.1:{port}" and info["api_key"] == "my-demo"
    assert _get_call_type(info["url"], "my-demo", info["api_secret"]).status_code == 200
    assert _get_call_type(info["url"], "my-demo", "a-guess-" * 4).status_code == 401
    assert "OBS simulator" in "\n".join(p.lines)
    assert p.stop() == 0
    assert p.lines[-1] == "simulators stopped"
    assert not any("Traceback" in line for line in p.lines)


def test_a_secret_from_the_environment_is_used_and_not_printed(sim_process: list[SimProcess]) -> None:
    secret = "env-secret-0123456789-0123456789-abcdef"
    p = SimProcess("--no-obs", env={"STREAMDESK_API_SECRET": secret})
    sim_process.append(p)
    info = p.wait_ready()
    assert info["api_key"].startswith("demo-")
    assert secret not in "\n".join(p.lines)
    assert _get_call_type(info["url"], info["api_key"], secret).status_code == 200
    assert "OBS simulator" not in "\n".join(p.lines)


def test_a_port_in_use_is_one_clear_line(sim_process: list[SimProcess]) -> None:
    first = SimProcess("--no-obs")
    sim_process.append(first)
    port = first.wait_ready()["url"].rsplit(":", 1)[1]
    result = run_cli("sim", "--port", port, "--no-obs", timeout=30)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and f"port {port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_out_of_range_is_a_usage_error() -> None:
    result = run_cli("sim", "--port", "70000", timeout=30)
    assert result.returncode == 2 and "--port" in result.stderr


def test_an_rtmp_address_with_an_unknown_placeholder_is_a_usage_error() -> None:
    result = run_cli("sim", "--rtmp-address", "rtmp://127.0.0.1/{stream}", "--no-obs", timeout=30)
    assert result.returncode == 2 and "{call_id}" in result.stderr and "Traceback" not in result.stderr
