"""Fixtures for the window tests: a real MainWindow over a real Controller, simulators on loopback.

``make_window(gs=..., clock=...)`` builds the window (confirmations auto-answered through the
``confirm`` seam, recorded in ``window.asked``), shows it offscreen, and closes it (joining every
background thread) at teardown. ``wizard`` bundles the simulators with helpers that click through
the stages the way a streamer would.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from streamdesk.core.context import AppContext
from streamdesk.core.flow import State
from streamdesk.sim.ingest_link import link
from streamdesk.ui.controller import Controller
from streamdesk.ui.main_window import MainWindow
from streamdesk.ui.stages.base import set_secret_text

WAIT_MS = 15_000


@pytest.fixture(autouse=True)
def app_style(qapp: Any) -> None:
    """The look a streamer gets (``ui/app.py`` applies it before the window): layouts are measured
    with the app's style sheet, never with bare Fusion's smaller margins and fonts."""
    from streamdesk.ui import style

    if qapp.styleSheet() != style.stylesheet():
        style.apply(qapp)


@pytest.fixture
def make_window(qtbot: Any) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(*, clock: Callable[[], float] | None = None, answer: bool = True, start: bool = True,
             **controller_kw: Any) -> MainWindow:
        kw: dict[str, Any] = {"live_interval_ms": 60_000, "health_interval_ms": 60_000, **controller_kw}
        if clock is not None:
            kw["clock"] = clock
        controller = Controller(AppContext(), **kw)
        window = MainWindow(controller)
        window.asked = []  # type: ignore[attr-defined]

        def confirm(title: str, text: str) -> bool:
            window.asked.append(title)  # type: ignore[attr-defined]
            return answer

        window.confirm = confirm
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        if start:
            controller.start()
        windows.append(window)
        return window

    yield make
    for window in windows:
        close(window)


def close(window: MainWindow) -> None:
    """Close like the streamer does (saves geometry, joins every worker)."""
    window.demo = True  # no "quit while live?" question at teardown
    window.close()


class Wizard:
    """Clicks through the stages against the simulators, waiting on conditions, never sleeping."""

    def __init__(self, qtbot: Any, gs: Any, obs: Any) -> None:
        self.qtbot, self.gs, self.obs = qtbot, gs, obs
        link(obs, gs)  # OBS's stream reaches the call only with the provisioned server and key

    def wait_state(self, window: MainWindow, *states: State, timeout: int = WAIT_MS) -> None:
        self.qtbot.waitUntil(lambda: window.controller.state in states, timeout=timeout)

    def idle(self, window: MainWindow) -> None:
        self.qtbot.waitUntil(lambda: not window.controller.busy, timeout=WAIT_MS)

    def account(self, window: MainWindow, *, user: str = "host-1", call: str = "show-1") -> None:
        card = window.cards["account"]
        card.api_key.setText(self.gs.api_key)
        set_secret_text(card.secret, self.gs.api_secret)
        card.user_id.setText(user)
        card.call_id.setText(call)
        card.use_sim.setChecked(True)
        card.base_url.setText(self.gs.url)
        assert card.save.isEnabled(), card.save.toolTip()
        card.save.click()
        self.wait_state(window, State.NEEDS_PROVISION, State.PROVISIONED)
        self.idle(window)

    def provision(self, window: MainWindow) -> None:
        card = window.cards["provision"]
        self.qtbot.waitUntil(card.provision_button.isEnabled, timeout=WAIT_MS)
        card.provision_button.click()
        self.wait_state(window, State.PROVISIONED)
        self.idle(window)

    def connect_obs(self, window: MainWindow) -> None:
        card = window.cards["obs"]
        card.set_target("127.0.0.1", self.obs.port, self.obs.password)
        card.connect_button.click()
        self.qtbot.waitUntil(lambda: window.controller.obs_info is not None, timeout=WAIT_MS)
        self.idle(window)

    def configure_and_stream(self, window: MainWindow) -> None:
        card = window.cards["obs"]
        self.qtbot.waitUntil(card.apply.isEnabled, timeout=WAIT_MS)  # the diff read on connect may be out
        card.apply.click()
        self.wait_state(window, State.OBS_CONFIGURED)
        self.idle(window)
        card.start.click()
        self.wait_state(window, State.READY)
        self.idle(window)
        self.wait_ingest(window)

    def wait_ingest(self, window: MainWindow) -> None:
        """Until the window says GetStream receives the stream (Go live is offered only then)."""
        c = window.controller

        def seen() -> bool:
            c.ingest.poll_now()  # guarded against overlap; the health timer is slow in tests
            return c.ingest.view.gs_receives is True

        self.qtbot.waitUntil(seen, timeout=WAIT_MS)

    def go_live(self, window: MainWindow) -> None:
        self.wait_ingest(window)
        self.qtbot.waitUntil(window.cards["golive"].go.isEnabled, timeout=WAIT_MS)
        window.cards["golive"].go.click()
        self.wait_state(window, State.LIVE)
        self.qtbot.waitUntil(lambda: window.controller.session is not None, timeout=WAIT_MS)

    def demo_to_ready(self, window: MainWindow) -> None:
        """Through the demo's prefilled forms (``demo.prefill``) up to READY: Go live is next."""
        window.cards["account"].save.click()
        self.wait_state(window, State.NEEDS_PROVISION)
        self.provision(window)
        window.cards["obs"].connect_button.click()  # prefilled with the demo OBS
        self.qtbot.waitUntil(lambda: window.controller.obs_info is not None, timeout=WAIT_MS)
        self.configure_and_stream(window)

    def poll_until(self, window: MainWindow, cond: Callable[[], bool]) -> None:
        """Poll live until ``cond()``: the poll that LIVE starts may have read GetStream before the
        test advanced the simulated clock, and ``poll_live_now`` does nothing while one is in flight."""
        c = window.controller

        def polled() -> bool:
            if cond():
                return True
            c.poll_live_now()
            return False

        self.qtbot.waitUntil(polled, timeout=WAIT_MS)

    def to_live(self, window: MainWindow) -> None:
        self.account(window)
        self.provision(window)
        self.connect_obs(window)
        self.configure_and_stream(window)
        self.go_live(window)


@pytest.fixture
def wizard(qtbot: Any, make_gs_sim: Callable[..., Any], make_obs_sim: Callable[..., Any]) -> Wizard:
    # simulated time stands still unless a test advances it: the audience is then deterministic
    frozen = time.time()
    return Wizard(qtbot, make_gs_sim(clock=lambda: frozen), make_obs_sim())
