"""The demo window, clicked through the wizard by its own buttons as a streamer would.

The benches (``bench/golive_latency.py``, ``bench/responsiveness.py``) and the screenshot scripts
drive the real window this way, so a change to the wizard's buttons is made here once. The tests
have their own ``Wizard`` (tests/ui/conftest.py): it waits through qtbot and asserts as it goes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QCoreApplication, QEventLoop

from streamdesk.core.flow import State
from streamdesk.ui.controller import Controller
from streamdesk.ui.demo import prefill
from streamdesk.ui.main_window import MainWindow

if TYPE_CHECKING:
    from streamdesk.ui.demo import Demo


class Wait(Protocol):
    def __call__(self, cond: Callable[[], object], what: str, timeout: float | None = None) -> None: ...


def waiter(default_timeout: float, slice_ms: int) -> Wait:
    """``wait(cond, what)``: run the event loop in slices of ``slice_ms`` until ``cond()``; a
    ``TimeoutError`` naming ``what`` after ``timeout`` seconds (unless the call gives its own)."""

    def wait(cond: Callable[[], object], what: str, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (default_timeout if timeout is None else timeout)
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, slice_ms)

    return wait


def settle(ms: int = 400, slice_ms: int = 20) -> None:
    """Run the event loop for ``ms`` (layouts, repaints, queued results)."""
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, slice_ms)


def open_window(demo: Demo, *, size: tuple[int, int] | None = None,
                shell_shown: Callable[[MainWindow], None] | None = None,
                **controller_options: Any) -> MainWindow:
    """The demo's main window in start-up's order: the shell shown (then ``shell_shown(window)``),
    the controller attached and started, the forms prefilled. Every confirmation is answered Yes."""
    window = MainWindow(simulator_url=demo.api_url, demo=True)
    window.confirm = lambda _title, _text: True
    if size is not None:
        window.resize(*size)
    window.show()
    if shell_shown is not None:
        shell_shown(window)
    controller = Controller(demo.ctx, **controller_options)
    window.attach(controller)
    controller.start()
    prefill(window, demo)
    return window


def close_window(window: MainWindow, demo: Demo) -> None:
    """Close the window without its "quit while live?" question, then stop the simulators."""
    window.demo = True
    window.close()
    demo.stop()


class Walk:
    """Each step clicks one button and waits for the state it leads to, then for the controller
    to be idle (``settled``: also no queued task, for a bench that must not measure leftovers)."""

    def __init__(self, window: MainWindow, wait: Wait, *, settled: bool = False) -> None:
        self.window, self.wait, self.settled = window, wait, settled
        self.controller = window.controller

    def idle(self) -> None:
        c = self.controller
        self.wait(lambda: not c.busy and (not self.settled or c.tasks.pending == 0), "the app to finish")

    def _to(self, state: State, what: str) -> None:
        self.wait(lambda: self.controller.state is state, what)
        self.idle()

    def account(self) -> None:
        self.window.cards["account"].save.click()  # type: ignore[attr-defined]
        self._to(State.NEEDS_PROVISION, "the account to save")

    def provision(self) -> None:
        self.window.cards["provision"].provision_button.click()  # type: ignore[attr-defined]
        self._to(State.PROVISIONED, "provisioning")

    def connect_obs(self) -> None:
        self.window.show_stage("obs")
        self.window.cards["obs"].connect_button.click()  # type: ignore[attr-defined]
        self.wait(lambda: self.controller.obs_info is not None, "OBS to connect")
        self.idle()

    def configure_obs(self) -> None:
        self.window.cards["obs"].apply.click()  # type: ignore[attr-defined]
        self._to(State.OBS_CONFIGURED, "configure")

    def start_obs(self) -> None:
        self.window.cards["obs"].start.click()  # type: ignore[attr-defined]
        self._to(State.READY, "OBS streaming")

    def to_ready(self) -> None:
        """Account → provision → connect OBS → configure OBS → start streaming: Go live is next."""
        self.account()
        self.provision()
        self.connect_obs()
        self.configure_obs()
        self.start_obs()

    def go_live(self) -> None:
        """Go live once it is offered (GetStream receives the stream), then wait for the session."""
        golive = self.window.cards["golive"]
        self.window.show_stage("golive")

        def offered() -> bool:
            if golive.go.isEnabled():  # type: ignore[attr-defined]
                return True
            self.controller.ingest.poll_now()  # at once, not at the next timer (guarded against overlap)
            return False

        self.wait(offered, "GetStream to receive the stream")
        golive.go.click()  # type: ignore[attr-defined]
        self.wait(lambda: self.controller.state is State.LIVE and self.controller.session is not None,
                  "going live")

    def bitrate_measured(self, poll_ms: int = 250) -> None:
        """OBS's bitrate is Δbytes/Δt over ≥ 2 s of real time (the OBS simulator sends bytes in real
        time, unlike the audience): poll health until a rate is known, as the health timer would."""
        c = self.controller

        def measured() -> bool:
            health = c.last_health
            if health is None or health.measuring or not health.bitrate_kbps:
                c.poll_health_now()
                settle(poll_ms)
                return False
            return True

        self.wait(measured, "a measured OBS bitrate")
