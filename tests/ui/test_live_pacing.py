"""The window's live polling follows the recorder's pace: after a 429 it waits for GetStream's
reset time instead of polling into the rate limit every few seconds, and after failed polls it
backs off; a good poll brings the normal cadence back."""

from __future__ import annotations

from typing import Any

from .conftest import WAIT_MS, Wizard


def test_a_429_pushes_the_next_poll_past_the_reset(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now, live_interval_ms=300)
    wizard.to_live(window)
    c = window.controller
    snaps: list[Any] = []
    c.snapshot.connect(snaps.append)
    wizard.gs.faults.rate_limit("GetCall", times=1, reset_in=30)
    qtbot.waitUntil(lambda: any(s.viewers is None for s in snaps), timeout=WAIT_MS)  # the timer's poll
    assert "rate limiting" in snaps[-1].error
    assert c.live_timer.isActive() and c.live_timer.interval() >= 29_000
    assert c.live_timer.remainingTime() > 20_000  # no poll into the limit before it resets

    c.poll_live_now()  # the streamer presses refresh: the limit is over, the cadence comes back
    qtbot.waitUntil(lambda: snaps[-1].viewers is not None, timeout=WAIT_MS)
    assert c.live_timer.interval() == 300


def test_consecutive_failures_back_off(make_window: Any, wizard: Wizard, qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now, live_interval_ms=100)
    c = window.controller
    c.ctx.store.put_setting("poll_interval_s", 0.1)  # the recorder's own cadence, as the timer's
    wizard.to_live(window)
    snaps: list[Any] = []
    c.snapshot.connect(snaps.append)
    wizard.gs.faults.server_error("GetCall", times=None, status=503)
    qtbot.waitUntil(lambda: sum(s.viewers is None for s in snaps) >= 4, timeout=WAIT_MS)
    assert c.live_timer.interval() >= 400  # doubled per failure in a row: 100 → 200 → 400 → 800 ms
    wizard.gs.faults.clear()
    qtbot.waitUntil(lambda: snaps[-1].viewers is not None, timeout=WAIT_MS)
    assert c.live_timer.interval() == 100
