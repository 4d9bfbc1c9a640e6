"""Render every icon format from the SVG masters with Qt's own SVG renderer.

    .venv/bin/python scripts/render_icons.py

Writes
- ``streamdesk/resources/icons/hicolor/<N>x<N>/apps/streamdesk.png`` for every size desktop environments
  ask for (Linux; the app's window icon everywhere); the tree mirrors the freedesktop icon theme layout
  so installing is a plain copy;
- ``packaging/streamdesk.ico`` (Windows: the .exe's icon), PNG-compressed entries 16-256 px;
- ``packaging/streamdesk.icns`` (macOS: the .app's icon), PNG entries 16-1024 px (@1x and @2x).
Sizes up to ``SMALL_MAX`` use the small-size master (fewer, heavier strokes), the rest the full mark.

Both container formats are written here from the PNGs (a directory and the PNG bytes; no Pillow, no
iconutil), so any OS can regenerate them. The output is committed: run this again after editing either SVG.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "streamdesk" / "resources"
PACKAGING = ROOT / "packaging"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SMALL_MAX = 32
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest an .ico entry can say it is
# .icns entry type -> pixel size: the PNG types every macOS since 10.7 reads (Pillow, which PyInstaller uses
# to convert icons, writes the same set). @2x types hold twice the pixels: ic11 is 16 pt, ic10 512 pt.
ICNS_TYPES = (("ic11", 32), ("ic12", 64), ("ic07", 128), ("ic13", 256), ("ic08", 256), ("ic14", 512),
              ("ic09", 512), ("ic10", 1024))


def master(size: int) -> Path:
    return RESOURCES / ("streamdesk-small.svg" if size <= SMALL_MAX else "streamdesk.svg")


def render_png(svg: Path, size: int) -> bytes:
    image = _render(svg, size)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise SystemExit(f"render_icons: could not encode {size} px")
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An .ico: ICONDIR, one ICONDIRENTRY per size, then the PNGs (Windows Vista and later read PNG
    entries)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(blobs))
        blobs += png
    return header + entries + blobs


def icns(pngs: dict[str, bytes]) -> bytes:
    """An .icns: 'icns', the total length, then (type, length, PNG) per entry; lengths are big-endian."""
    body = b"".join(kind.encode("ascii") + struct.pack(">I", 8 + len(png)) + png
                    for kind, png in pngs.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write(out: Path, data: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"{out.relative_to(ROOT)}  ({len(data)} bytes)")


def render(svg: Path, size: int, out: Path) -> None:
    image = _render(svg, size)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), "PNG"):
        raise SystemExit(f"render_icons: could not write {out}")


def _render(svg: Path, size: int) -> QImage:
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
    return image


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - keeps Qt's GUI state alive
    for size in SIZES:
        out = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "streamdesk.png"
        render(master(size), size, out)
        print(f"{out.relative_to(ROOT)}  ({out.stat().st_size} bytes)")
    sizes = sorted({*ICO_SIZES, *(size for _, size in ICNS_TYPES)})
    pngs = {size: render_png(master(size), size) for size in sizes}
    write(PACKAGING / "streamdesk.ico", ico({size: pngs[size] for size in ICO_SIZES}))
    write(PACKAGING / "streamdesk.icns", icns({kind: pngs[size] for kind, size in ICNS_TYPES}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
