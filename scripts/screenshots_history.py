"""Screenshots of the after-show views: the live stage with REC and the HLS link, History with a
show's summary (local figures next to GetStream's call report), and its recordings mid-download.

Three demo shows a day apart (simulated time) give the trend chart something to compare. Run under
Xvfb, light and dark:

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" \\
        .venv/bin/python scripts/screenshots_history.py docs/screenshots [--dark]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.screenshots import dark_palette, wait  # noqa: E402
from streamdesk.core.flow import State  # noqa: E402
from streamdesk.ui import style  # noqa: E402
from streamdesk.ui.demo import Demo  # noqa: E402
from streamdesk.ui.demo_walk import Walk, close_window, open_window, settle  # noqa: E402


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--dark"]
    dark = "--dark" in sys.argv[1:]
    theme = "dark" if dark else "light"
    out = Path(args[0]) if args else REPO / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    if dark:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    style.apply(app)
    demo = Demo.start(seed=11)
    window = open_window(demo, size=(1180, 800), live_interval_ms=60_000, clock=demo.gs.now)
    window.move(40, 0)
    wait(window.isVisible, "the window")
    controller = window.controller
    walk = Walk(window, wait)

    def shot(name: str) -> None:
        settle(600)
        path = out / f"{name}-{theme}.png"
        QGuiApplication.primaryScreen().grabWindow(0).save(str(path))
        print(path)

    try:
        walk.to_ready()
        for show, minutes in enumerate((25, 40, 30)):
            window.show_stage("golive")
            golive = window.cards["golive"]
            golive.recording.setChecked(True)
            golive.transcription.setChecked(True)
            golive.hls.setChecked(show == 2)
            walk.go_live()
            walk.bitrate_measured()  # OBS's rate needs 2 s of real time; the simulated show is faster
            for _ in range(minutes):
                demo.gs.advance(60)
                controller.poll_live_now()
                wait(lambda: not controller._polling, "a live poll")
            if show == 2:
                controller.refresh()
                extras = window.cards["live"].extras
                wait(lambda e=extras: e.hls_url.text() != "" and e.rec.isVisible(), "HLS and REC")
                shot("live-rec-hls")
            live = window.cards["live"]
            live.stop_obs.setChecked(False)
            live.end_button.click()
            wait(lambda: controller.state is not State.LIVE and controller.session is None, "the end")
            walk.idle()
            demo.gs.advance(86_400 - minutes * 60)  # the next show, a day later
            if show < 2:
                live.again.click()
                walk.idle()
                wait(lambda: controller.state is State.READY, "ready again")
        window.show_history()
        view = window.history.view
        wait(lambda: view.table.rowCount() == 3, "the history")
        view.table.sortItems(0)  # oldest first, then pick the latest show
        view.select_session(max(r.session.id for r in view._rows))
        wait(lambda: view._summary is not None and view._summary.getstream is not None, "the call report")
        view.tabs.setCurrentIndex(0)
        shot("history-summary")
        view.tabs.setCurrentIndex(2)
        wait(lambda: view.files_table.rowCount() == 2, "the recordings")
        sim_file = demo.gs.after_show.files[-2]
        demo.gs.after_show.rate_bps = sim_file.size / 6
        folder = Path(tempfile.mkdtemp(prefix="streamdesk-shots-"))
        view.download(sim_file.filename, folder)
        wait(lambda: view.progress.isVisible() and view.progress.value() > 250, "the download under way")
        shot("history-recordings")
        wait(lambda: not view.progress.isVisible(), "the download", timeout=30)
    finally:
        close_window(window, demo)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
