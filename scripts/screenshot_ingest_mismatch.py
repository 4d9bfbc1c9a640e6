"""Screenshot of the Undo-then-start case (issue 12): OBS streams to Twitch, not to this call.

The --demo app with its two linked simulators: the demo's OBS starts out set to Twitch; the
streamer provisions, presses Configure OBS, then Undo (OBS is back on Twitch), then Start
streaming in OBS, and looks at the Go live page. Run under Xvfb:

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" \\
        .venv/bin/python scripts/screenshot_ingest_mismatch.py [OUT.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

import obsws_python as obsws
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.screenshots import wait  # noqa: E402
from streamdesk.ui import style  # noqa: E402
from streamdesk.ui.demo import Demo  # noqa: E402
from streamdesk.ui.demo_walk import Walk, close_window, open_window, settle  # noqa: E402


def main() -> int:
    default = REPO / "docs" / "screenshots" / "golive-obs-mismatch.png"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    out.parent.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    style.apply(app)
    demo = Demo.start()
    # what the streamer's OBS held before streamdesk: Twitch
    obs = obsws.ReqClient(host=demo.obs_host, port=demo.obs_port, password=demo.obs_password, timeout=5)
    obs.set_stream_service_settings("rtmp_custom", {"server": "rtmp://live.twitch.tv/app", "key": "live_x"})
    obs.disconnect()
    window = open_window(demo, size=(1180, 760), live_interval_ms=60_000, clock=demo.gs.now)
    window.move(50, 20)
    wait(window.isVisible, "the window")
    controller = window.controller
    walk = Walk(window, wait)

    try:
        walk.account()
        walk.provision()
        walk.connect_obs()
        walk.configure_obs()
        card = window.cards["obs"]
        wait(card.undo.isEnabled, "Undo")
        card.undo.click()  # Undo: OBS is back on Twitch
        wait(lambda: "twitch" in demo.obs.stream_service["streamServiceSettings"]["server"], "undo")
        walk.idle()
        wait(card.start.isEnabled, "Start streaming")
        walk.start_obs()
        golive = window.cards["golive"]

        def named() -> bool:
            controller.ingest.poll_now()
            settle(200)
            return "live.twitch.tv" in golive.check_target.text()

        wait(named, "the mismatch sentence")

        walk.bitrate_measured()  # OBS's own bytes, shown apart from what GetStream receives
        window.show_stage("golive")
        settle(600)
        QGuiApplication.primaryScreen().grabWindow(0).save(str(out))
        print(out)
        print(golive.check_obs.text())
        print(golive.check_ingest.text())
        print(golive.check_target.text())
    finally:
        close_window(window, demo)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
