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

from scripts.screenshots import settle, wait  # noqa: E402
from streamdesk.core.flow import State  # noqa: E402
from streamdesk.ui import style  # noqa: E402
from streamdesk.ui.controller import Controller  # noqa: E402
from streamdesk.ui.demo import Demo, prefill  # noqa: E402
from streamdesk.ui.main_window import MainWindow  # noqa: E402


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
    controller = Controller(demo.ctx, live_interval_ms=60_000, clock=demo.gs.now)
    window = MainWindow(controller, simulator_url=demo.api_url, demo=True)
    window.confirm = lambda _title, _text: True
    window.resize(1180, 760)
    window.move(50, 20)
    window.show()
    wait(window.isVisible, "the window")
    controller.start()
    prefill(window, demo)

    def idle() -> None:
        wait(lambda: not controller.busy, "the app to finish")

    try:
        window.cards["account"].save.click()
        wait(lambda: controller.state is State.NEEDS_PROVISION, "the account to save")
        idle()
        window.cards["provision"].provision_button.click()
        wait(lambda: controller.state is State.PROVISIONED, "provisioning")
        idle()
        window.show_stage("obs")
        card = window.cards["obs"]
        card.connect_button.click()
        wait(lambda: controller.obs_info is not None, "OBS to connect")
        idle()
        card.apply.click()  # Configure OBS
        wait(lambda: controller.state is State.OBS_CONFIGURED, "configure")
        idle()
        wait(card.undo.isEnabled, "Undo")
        card.undo.click()  # Undo: OBS is back on Twitch
        wait(lambda: "twitch" in demo.obs.stream_service["streamServiceSettings"]["server"], "undo")
        idle()
        wait(card.start.isEnabled, "Start streaming")
        card.start.click()
        wait(lambda: controller.state is State.READY, "OBS streaming")
        golive = window.cards["golive"]

        def named() -> bool:
            controller.ingest.poll_now()
            settle(200)
            return "live.twitch.tv" in golive.check_target.text()

        wait(named, "the mismatch sentence")

        def measured() -> bool:  # OBS's own bytes, shown apart from what GetStream receives
            health = controller.last_health
            if health is None or health.measuring or not health.bitrate_kbps:
                controller.poll_health_now()
                settle(250)
                return False
            return True

        wait(measured, "a measured OBS bitrate")
        window.show_stage("golive")
        settle(600)
        QGuiApplication.primaryScreen().grabWindow(0).save(str(out))
        print(out)
        print(golive.check_obs.text())
        print(golive.check_ingest.text())
        print(golive.check_target.text())
    finally:
        window.demo = True
        window.close()
        demo.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
