"""Helpers for tests that start real processes: free ports, waiting, stopping by PID."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02,
               what: str = "condition") -> object:
    """Poll ``predicate`` until truthy; fail the test with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 5.0) -> None:
    """Stop one process by PID (never by name), escalating to SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``python -m streamdesk ARGS`` as a real process with the test's environment."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "streamdesk", *args],
        env=full_env, input=input, capture_output=True, text=True, timeout=timeout, cwd=REPO,
    )


def cli(env: dict[str, str], *args: str, input: str | None = None,
        ok: bool = True) -> subprocess.CompletedProcess:
    """``run_cli`` that fails the test on a traceback and, unless ``ok=False``, on a non-zero exit."""
    out = run_cli(*args, env=env, input=input)
    assert "Traceback" not in out.stderr, out.stderr
    if ok:
        assert out.returncode == 0, f"streamdesk {' '.join(args)} failed: {out.stderr}"
    return out


def start_xvfb(size: str = "1280x800", log: object = subprocess.DEVNULL) -> tuple[subprocess.Popen, str]:
    """Xvfb on a free display number (it reports the number itself); the caller stops it by PID."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=log, stderr=log,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as r:
        display = r.readline().strip()
    if not display:
        stop_process(proc)
        raise RuntimeError("Xvfb did not report a display")
    return proc, f":{display}"


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    """An X display for clipboard and screenshot tests (skips when Xvfb is not installed)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    proc, display = start_xvfb()
    try:
        yield display
    finally:
        stop_process(proc)
