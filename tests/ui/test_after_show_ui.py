"""After the show in the real window: the live stage's REC indicator and HLS link with Start/Stop
HLS (driven by GetStream's call state), and in --demo a recorded show that ends and whose
recording downloads from History with a visible progress bar, then matches the simulator's bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication

from streamdesk.core.flow import State
from streamdesk.ui.controller import Controller
from streamdesk.ui.demo import Demo, prefill
from streamdesk.ui.main_window import MainWindow
from tests.ui.conftest import WAIT_MS, Wizard

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def test_live_stage_shows_rec_and_hls_and_starts_and_stops_hls(make_window: Any, wizard: Wizard,
                                                               qtbot: Any) -> None:
    window = make_window(clock=wizard.gs.now)
    wizard.account(window)
    wizard.provision(window)
    wizard.connect_obs(window)
    wizard.configure_and_stream(window)
    window.cards["golive"].recording.setChecked(True)
    wizard.go_live(window)
    extras = window.cards["live"].extras
    window.controller.refresh()
    qtbot.waitUntil(lambda: extras.rec.isVisibleTo(window) and extras.toggle.isEnabled(), timeout=WAIT_MS)
    assert not extras.hls_url.isVisibleTo(window) and extras.toggle.text() == "Start HLS"

    extras.toggle.click()  # StartHLSBroadcasting, then the call GetStream returns is what shows
    qtbot.waitUntil(lambda: extras.hls_url.text().endswith(".m3u8"), timeout=WAIT_MS)
    assert extras.hls_url.text() == window.controller.call.hls_playlist_url
    assert wizard.gs.requests("StartHLSBroadcasting")
    extras.copy.click()
    assert QGuiApplication.clipboard().text() == extras.hls_url.text()

    qtbot.waitUntil(lambda: extras.toggle.isEnabled() and extras.toggle.text() == "Stop HLS", timeout=WAIT_MS)
    extras.toggle.click()
    qtbot.waitUntil(lambda: not extras.hls_url.isVisibleTo(window), timeout=WAIT_MS)
    assert wizard.gs.requests("StopHLSBroadcasting") and window.controller.call.hls_playlist_url is None


def test_demo_recorded_show_downloads_with_a_visible_progress_bar(qtbot: Any, tmp_path: Path) -> None:
    demo = Demo.start()
    try:
        controller = Controller(demo.ctx, live_interval_ms=60_000, health_interval_ms=60_000,
                                clock=demo.gs.now)
        window = MainWindow(controller, simulator_url=demo.api_url, demo=True)
        window.confirm = lambda _t, _x: True
        qtbot.addWidget(window)
        window.resize(1180, 760)
        window.show()
        controller.start()
        prefill(window, demo)
        wizard = Wizard(qtbot, demo.gs, demo.obs)
        wizard.demo_to_ready(window)
        window.cards["golive"].recording.setChecked(True)
        window.cards["golive"].transcription.setChecked(True)
        wizard.go_live(window)
        for _ in range(6):
            demo.gs.advance(60)
            controller.poll_live_now()
            qtbot.waitUntil(lambda: not controller._polling, timeout=WAIT_MS)
        window.cards["live"].end_button.click()
        qtbot.waitUntil(lambda: controller.state is not State.LIVE and controller.session is None,
                        timeout=WAIT_MS)

        window.show_history()
        view = window.history.view
        qtbot.waitUntil(lambda: view.table.rowCount() == 1 and view._summary is not None, timeout=WAIT_MS)
        view.tabs.setCurrentIndex(2)  # Recordings: listed fresh from GetStream
        qtbot.waitUntil(lambda: view.files_table.rowCount() == 2, timeout=WAIT_MS)
        kinds = [view.files_table.item(r, 0).text() for r in range(2)]
        assert kinds == ["recording (composite)", "transcription"]
        sim_file = demo.gs.after_show.files[0]
        demo.gs.after_show.rate_bps = sim_file.size / 3  # about three seconds: the bar is seen moving
        view.download(sim_file.filename, tmp_path)
        qtbot.waitUntil(lambda: view.progress.isVisible() and 0 < view.progress.value() < 1000,
                        timeout=WAIT_MS)
        assert view.cancel_button.isVisible()
        shot = tmp_path / "download-progress.png"
        assert window.grab().save(str(shot)) and shot.stat().st_size > 0
        qtbot.waitUntil(lambda: not view.progress.isVisible(), timeout=WAIT_MS)
        assert "Saved" in view.files_note.text()
        assert (tmp_path / sim_file.filename).read_bytes() == demo.gs.after_show.content(sim_file)
        window.demo = True
        window.close()
    finally:
        demo.stop()


def test_cancel_keeps_the_partial_file_and_the_next_download_resumes(qtbot: Any, tmp_path: Path) -> None:
    demo = Demo.start()
    try:
        from streamdesk.core import channel_ops as ops
        from streamdesk.ui.history import HistoryView

        ctx = demo.ctx
        ops.save_account(ctx, api_key=demo.gs.api_key, api_secret=demo.api_secret, user_id="host-1",
                         call_id="show-1", api_base=demo.api_url)
        ops.provision(ctx, join_ahead=60, key_ttl_hours=2)
        ops.go_live(ctx, ops.GoLiveOptions(recording=True))
        demo.gs.advance(600)
        ops.end(ctx, stop_obs=False)
        view = HistoryView(ctx.store, ctx=ctx)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitUntil(lambda: view.table.rowCount() == 1 and view._summary is not None, timeout=WAIT_MS)
        view.tabs.setCurrentIndex(2)
        qtbot.waitUntil(lambda: view.files_table.rowCount() == 1, timeout=WAIT_MS)
        sim_file = demo.gs.after_show.files[0]
        demo.gs.after_show.rate_bps = sim_file.size / 4
        view.download(sim_file.filename, tmp_path)
        qtbot.waitUntil(lambda: view.progress.value() > 100, timeout=WAIT_MS)
        view.cancel_button.click()
        qtbot.waitUntil(lambda: not view.progress.isVisible(), timeout=WAIT_MS)
        assert "cancelled" in view.files_note.text()
        partial = (tmp_path / f"{sim_file.filename}.part").stat().st_size
        assert 0 < partial < sim_file.size
        demo.gs.after_show.rate_bps = None
        view.download(sim_file.filename, tmp_path)
        qtbot.waitUntil(lambda: "Saved" in view.files_note.text(), timeout=WAIT_MS)
        assert "resumed" in view.files_note.text()
        assert (tmp_path / sim_file.filename).read_bytes() == demo.gs.after_show.content(sim_file)
    finally:
        demo.stop()
