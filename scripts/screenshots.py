"""Drive the --demo app through every stage and save a PNG of the screen at each one.

Run under Xvfb (real X, so the window manager-less screen shows exactly the window):

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" \
        .venv/bin/python scripts/screenshots.py [OUT_DIR] [--dark]

Everything runs in-process against the demo's simulators; the stream key stays masked in every shot.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from streamdesk.ui import style  # noqa: E402
from streamdesk.ui.demo import Demo  # noqa: E402
from streamdesk.ui.demo_walk import Walk, close_window, open_window, settle, waiter  # noqa: E402
from streamdesk.ui.main_window import MainWindow  # noqa: E402

wait = waiter(default_timeout=20.0, slice_ms=50)


def dark_palette() -> QPalette:
    """A dark system palette (what a desktop in dark mode hands Qt), to check contrast there too."""
    p = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.WindowText, "#e8eaed"),
        (QPalette.ColorRole.Base, "#2b2c2f"), (QPalette.ColorRole.AlternateBase, "#26272a"),
        (QPalette.ColorRole.Text, "#e8eaed"), (QPalette.ColorRole.Button, "#303134"),
        (QPalette.ColorRole.ButtonText, "#e8eaed"), (QPalette.ColorRole.Mid, "#5f6368"),
        (QPalette.ColorRole.Midlight, "#44464a"), (QPalette.ColorRole.PlaceholderText, "#9aa0a6"),
        (QPalette.ColorRole.Highlight, "#8ab4f8"), (QPalette.ColorRole.HighlightedText, "#202124"),
    ):
        p.setColor(role, QColor(colour))
    # a real dark theme dims disabled text; without this a disabled button reads as enabled
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f7378"))
    return p


def grab_at(window: MainWindow, out: Path, shots: list[Path], name: str, width: int, height: int) -> None:
    """The window alone at one size (its own pixels, so sizes larger than the screen work too)."""
    window.resize(width, height)
    settle(700)
    path = out / f"{len(shots) + 1:02d}-{name}.png"
    window.grab().save(str(path))
    shots.append(path)
    print(path)


def live_cockpit(window: MainWindow, demo: Demo, grab: Callable[[str, int, int], None]) -> None:
    """The live cockpit with the show's chat and a moderation action, at 1024x600, 1920x1080 and a
    narrow 520x900 beside OBS."""
    live = window.cards["live"]
    feed = live.chat_feed  # type: ignore[attr-defined]
    wait(lambda: feed.model.rowCount() > 8, "the chat feed")
    rows = feed.model.rowCount()
    feed.view.setCurrentIndex(feed.model.index(rows - 4, 0))
    feed.delete_selected()
    wait(lambda: feed.model.entry(rows - 4).deleted, "a message deleted")
    feed.view.setCurrentIndex(feed.model.index(rows - 2, 0))
    feed.timeout_selected(10)
    wait(lambda: "timed out" in feed.status.text(), "a time-out")
    feed.view.setFocus()
    grab("live-cockpit-1024x600", 1024, 600)
    grab("live-cockpit-1920x1080", 1920, 1080)
    grab("live-cockpit-narrow-520x900", 520, 900)
    window.resize(1180, 760)
    settle(400)


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--dark"]
    dark = "--dark" in sys.argv[1:]
    out = Path(args[0]) if args else REPO / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    if dark:
        app.setStyle("Fusion")
        style.apply_theme(app, "dark")  # what Settings → Theme → Dark gives
    else:
        style.apply(app)
    demo = Demo.start()
    shots: list[Path] = []

    def shot(name: str) -> None:
        settle()
        path = out / f"{len(shots) + 1:02d}-{name}.png"
        QGuiApplication.primaryScreen().grabWindow(0).save(str(path))
        shots.append(path)
        print(path)

    def shell_shown(window: MainWindow) -> None:
        window.move(50, 20)
        wait(window.isVisible, "the window")
        shot("startup-shell")  # as start-up paints it: the shell, before the controller is attached

    # the demo audience lives in simulated time; the screenshots fast-forward it
    window = open_window(demo, size=(1180, 760), shell_shown=shell_shown, live_interval_ms=60_000,
                         clock=demo.gs.now)
    controller = window.controller
    walk = Walk(window, wait)
    try:
        shot("account")
        walk.account()
        window.cards["provision"].advanced_toggle.setChecked(True)
        walk.provision()
        window.show_stage("provision")
        shot("provision")
        walk.connect_obs()
        window.cards["obs"].review.click()
        wait(lambda: window.cards["obs"].diff.rowCount() > 0, "the OBS diff")
        shot("obs-review")
        walk.configure_obs()
        walk.start_obs()
        walk.bitrate_measured()
        window.show_stage("obs")
        shot("obs-streaming")
        window.show_stage("golive")
        window.cards["golive"].hls.setChecked(True)
        shot("go-live")
        walk.go_live()
        for _ in range(12):  # twelve simulated minutes of audience, one poll each
            demo.gs.advance(60)
            controller.poll_live_now()
            wait(lambda: not controller._polling, "a live poll")
            controller.poll_health_now()
        walk.bitrate_measured()
        settle(800)
        shot("live")
        live_cockpit(window, demo, lambda name, w, h: grab_at(window, out, shots, name, w, h))
        window.cards["live"].end_button.click()
        wait(lambda: window.cards["live"].summary.isVisible(), "the summary")
        walk.idle()
        shot("summary")
        window.show_history()
        window.history.view.table.selectRow(0)
        shot("history")
        window.show_stage("live")

        def modal(name: str, open_it: Callable[[], None], prepare: Callable[[object], None]) -> None:
            """Shoot a modal dialog while its exec() runs, then close it."""

            def grab() -> None:
                dialog = QApplication.activeModalWidget()
                if dialog is None:
                    QTimer.singleShot(50, grab)
                    return
                prepare(dialog)
                shot(name)
                dialog.reject()

            QTimer.singleShot(0, grab)
            open_it()

        def settings(dialog: object) -> None:
            from streamdesk.ui.stages.base import set_secret_text

            set_secret_text(dialog.webhook, "https://discord.com/api/webhooks/1/demo")  # type: ignore[attr-defined]
            dialog.title_edit.setText("Friday speedrun")  # type: ignore[attr-defined]
            dialog.link_edit.setText("https://example.com/watch")  # type: ignore[attr-defined]

        modal("settings", window.show_settings, settings)
        modal("about", window.show_about, lambda _d: None)
    finally:
        close_window(window, demo)
    print(f"{len(shots)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
