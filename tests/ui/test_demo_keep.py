"""``--demo --keep``: a demo that is live when the app closes is live again when it reopens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamdesk.core.context import AppContext
from streamdesk.core.flow import State
from streamdesk.ui.controller import Controller
from streamdesk.ui.demo import Demo
from streamdesk.ui.demo_keep import DEMO_SERVICE, STATE_FILE, demo_home
from streamdesk.ui.demo_walk import open_window
from streamdesk.ui.main_window import MainWindow

from .conftest import WAIT_MS, Wizard


def _open(qtbot: Any, demo: Demo) -> tuple[Controller, MainWindow]:
    window = open_window(demo, live_interval_ms=60_000, health_interval_ms=60_000, clock=demo.gs.now)
    qtbot.addWidget(window)
    return window.controller, window


def test_demo_keep_resumes_live_after_a_restart(qtbot: Any, isolated_home: Path, memory_keyring: Any,
                                                tmp_path: Path, monkeypatch: Any) -> None:
    # memory_keyring stands in for the system keyring: it outlives the app, like the real one
    monkeypatch.setenv("STREAMDESK_DEMO_HOME", str(tmp_path / "demo"))
    demo = Demo.start(keep=True)
    try:
        assert demo.home == demo_home() and not demo.resumed
        controller, window = _open(qtbot, demo)
        wizard = Wizard(qtbot, demo.gs, demo.obs)
        wizard.demo_to_ready(window)
        wizard.go_live(window)
        cid = controller.call.cid
        window.close()  # demo=True: no "quit while live?" question
    finally:
        demo.stop()
    api_secret = demo.api_secret

    # kept: the home and the simulators' state; every secret in the keyring, under the demo's service
    assert (demo.home / STATE_FILE).is_file()
    assert {service for service, _ in memory_keyring.entries} == {DEMO_SERVICE}
    for f in demo.home.rglob("*"):
        if f.is_file():
            assert api_secret.encode() not in f.read_bytes(), f
    assert not AppContext().store.channel().has_account  # the user's own home saw nothing

    again = Demo.start(keep=True)
    try:
        assert again.resumed and again.home == demo.home and again.api_secret == api_secret
        controller, window = _open(qtbot, again)
        qtbot.waitUntil(lambda: controller.state is State.LIVE, timeout=WAIT_MS)
        assert controller.call is not None and controller.call.cid == cid
        window.close()
    finally:
        again.stop()


def test_keep_without_demo_is_a_usage_error() -> None:
    from tests.plugins.processes import run_cli

    result = run_cli("--keep")
    assert result.returncode == 2 and "use it with --demo" in result.stderr
    assert "Traceback" not in result.stderr
