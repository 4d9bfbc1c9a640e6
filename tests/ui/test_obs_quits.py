"""OBS quits (or crashes) in the middle of a live show: the app notices within seconds, says so
once, offers to end the stream or wait, and when OBS is back it reconnects and health resumes.

Real window and controller, GetStream simulator, obs-websocket simulator (real OBS cannot be
made to quit and return on demand); the watchdog under test is ``streamdesk.ui.obs_watchdog``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from streamdesk.core.context import AppContext
from streamdesk.core.flow import State
from streamdesk.ui.main_window import MainWindow
from tests.plugins.processes import free_port

from .conftest import WAIT_MS, Wizard

NOTICE_MS = 3000  # "within seconds": from OBS going away to the streamer seeing it


class Notices:
    """Every message the controller sent to a card, in order (what the streamer was shown)."""

    def __init__(self, window: MainWindow) -> None:
        self.items: list[tuple[str, str, str]] = []
        window.controller.message.connect(lambda stage, level, text: self.items.append((stage, level, text)))

    def with_text(self, needle: str) -> list[tuple[str, str, str]]:
        return [m for m in self.items if needle in m[2]]


def live_window(make_window: Callable[..., MainWindow], wizard: Wizard) -> MainWindow:
    window = make_window(clock=wizard.gs.now, health_interval_ms=200)
    wizard.to_live(window)
    return window


def health_after(window: MainWindow, qtbot: Any) -> None:
    """Health polling runs again: a fresh StreamHealth arrives from OBS."""
    seen: list[object] = []
    window.controller.obs_health.connect(seen.append)
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT_MS)


def test_obs_quits_mid_stream_then_comes_back(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = live_window(make_window, wizard)
    c, dog = window.controller, window.obs_watchdog
    session_id = c.session.id
    notices = Notices(window)

    # OBS quits (ExitStarted, sockets close) and is started again 2.5 s later on the same port
    quit_at = time.monotonic()
    relaunch = threading.Thread(target=wizard.obs.restart, kwargs={"downtime": 2.5})
    relaunch.start()
    try:
        qtbot.waitUntil(lambda: dog.offering, timeout=NOTICE_MS)
        noticed_s = time.monotonic() - quit_at
        assert window.cards["live"].banner.text.startswith("OBS quit.")
        assert "still live on GetStream" in dog.panel.text.text()
        assert dog.panel.isVisibleTo(window.cards["live"]) and dog.panel.end.isEnabled()
        assert c.state is State.LIVE  # GetStream is the truth: the show is still on
        assert window.reach.text().endswith("OBS not connected")
    finally:
        relaunch.join(timeout=15)

    # back: reconnected by itself, offer gone, health polled again
    qtbot.waitUntil(lambda: not dog.offering and c.obs_info is not None, timeout=WAIT_MS)
    health_after(window, qtbot)
    assert notices.with_text("OBS is back and connected.")
    assert c.state is State.LIVE and c.session.id == session_id
    # said once, not once per reconnect attempt or health poll
    assert len(notices.with_text("OBS quit.")) == 1
    assert not notices.with_text("reconnecting…")  # the quit notice covers the drop that follows
    # OBS came back without streaming (a relaunch stops the output): that is said too
    qtbot.waitUntil(lambda: bool(notices.with_text("OBS stopped streaming")), timeout=WAIT_MS)
    print(f"\nOBS quit noticed after {noticed_s * 1000:.0f} ms")


def test_obs_crash_without_exit_shows_the_offer_after_the_grace_period(
    make_window: Any, make_gs_sim: Any, make_obs_sim: Any, qtbot: Any,
) -> None:
    port = free_port()
    frozen = time.time()
    wizard = Wizard(qtbot, make_gs_sim(clock=lambda: frozen), make_obs_sim(port=port))
    window = live_window(make_window, wizard)
    c, dog = window.controller, window.obs_watchdog
    dog.grace.setInterval(800)
    notices = Notices(window)

    wizard.obs.stop()  # no ExitStarted: the process died, sockets just break
    qtbot.waitUntil(lambda: bool(notices.with_text("Lost the connection to OBS; reconnecting…")),
                    timeout=NOTICE_MS)
    qtbot.waitUntil(lambda: dog.offering, timeout=NOTICE_MS)
    assert "OBS is not answering." in dog.panel.text.text()

    dog.panel.wait.click()  # "Wait for OBS": the offer goes, the reconnecting goes on
    assert not dog.offering and not dog.panel.isVisibleTo(window.cards["live"])

    make_obs_sim(port=port, password=wizard.obs.password)  # OBS is started again
    qtbot.waitUntil(lambda: c.obs_info is not None and bool(notices.with_text("OBS is back")),
                    timeout=WAIT_MS)
    health_after(window, qtbot)
    assert len(notices.with_text("reconnecting…")) == 1 and len(notices.with_text("not answering")) == 1
    assert c.state is State.LIVE


def test_end_the_stream_from_the_offer(make_window: Any, make_gs_sim: Any, make_obs_sim: Any,
                                       qtbot: Any) -> None:
    port = free_port()
    frozen = time.time()
    wizard = Wizard(qtbot, make_gs_sim(clock=lambda: frozen), make_obs_sim(port=port))
    window = live_window(make_window, wizard)
    c, dog = window.controller, window.obs_watchdog
    session_id = c.session.id

    wizard.obs.stop(simulate_exit=True)  # the streamer quit OBS, and it stays closed
    qtbot.waitUntil(lambda: dog.offering, timeout=NOTICE_MS)
    dog.panel.end.click()
    assert window.asked[-1] == "End the stream?"
    qtbot.waitUntil(lambda: c.state is not State.LIVE and not c.busy, timeout=WAIT_MS)
    assert wizard.gs.requests("StopLive")
    row = AppContext().store.get_session(session_id)
    assert row is not None and row.ended_at is not None and row.end_reason == "stopped"
    assert not dog.offering


def test_obs_quitting_while_not_live_is_said_without_an_offer(make_window: Any, wizard: Wizard,
                                                              qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    notices = Notices(window)
    relaunch = threading.Thread(target=wizard.obs.restart, kwargs={"downtime": 0.5})
    relaunch.start()
    relaunch.join(timeout=15)
    qtbot.waitUntil(lambda: bool(notices.with_text("OBS is back")), timeout=WAIT_MS)
    dog = window.obs_watchdog
    assert not dog.offering and not dog.panel.isVisibleTo(window.cards["live"])
    quits = notices.with_text("OBS quit.")
    assert len(quits) == 1 and quits[0][0] == "obs"
    qtbot.waitUntil(lambda: window.controller.obs_info is not None, timeout=WAIT_MS)

