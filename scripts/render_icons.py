"""Render the application icon PNGs from the SVG masters with Qt's own SVG renderer.

    .venv/bin/python scripts/render_icons.py

Writes ``streamdesk/resources/icons/hicolor/<N>x<N>/apps/streamdesk.png`` for every size desktop environments
ask for; the tree mirrors the freedesktop icon theme layout so installing is a plain copy. Sizes up to
``SMALL_MAX`` use the small-size master (fewer, heavier strokes), the rest the full mark. The output is
committed: run this again after editing either SVG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

RESOURCES = Path(__file__).resolve().parents[1] / "streamdesk" / "resources"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SMALL_MAX = 32


def render(svg: Path, size: int, out: Path) -> None:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), "PNG"):
        raise SystemExit(f"render_icons: could not write {out}")


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - keeps Qt's GUI state alive
    for size in SIZES:
        master = RESOURCES / ("streamdesk-small.svg" if size <= SMALL_MAX else "streamdesk.svg")
        out = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "streamdesk.png"
        render(master, size, out)
        print(f"{out.relative_to(RESOURCES.parent.parent)}  ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
