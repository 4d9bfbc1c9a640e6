"""The Windows (.ico) and macOS (.icns) icons scripts/render_icons.py writes, checked without a build: their
structure byte by byte, and every entry read back by Qt's own ico/icns readers with the mark visible."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from PySide6.QtGui import QImage, QImageReader

from tests.plugins.processes import REPO

ICO = REPO / "packaging" / "streamdesk.ico"
ICNS = REPO / "packaging" / "streamdesk.icns"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_mark(image: QImage, size: int) -> None:
    """The app icon at ``size``: transparent corner, white centre, red body (as test_resources checks)."""
    assert (image.width(), image.height()) == (size, size)
    assert image.pixelColor(0, 0).alpha() == 0, size
    centre = image.pixelColor(size // 2, size // 2)
    assert min(centre.red(), centre.green(), centre.blue()) > 230, (size, centre.name())
    body = image.pixelColor(size // 2, size - 1 - size // 10)
    assert body.alpha() == 255 and body.red() > 180 and body.green() < 100, (size, body.name())


def test_ico_directory_and_png_entries() -> None:
    data = ICO.read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1) and count == 7
    sizes = []
    for i in range(count):
        w, h, colours, _, planes, bits, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        size = w or 256
        assert (w, colours, planes, bits) == (h, 0, 1, 32)
        png = data[offset:offset + length]
        assert png.startswith(PNG_MAGIC) and offset + length <= len(data)
        assert_mark(QImage.fromData(png, "PNG"), size)
        sizes.append(size)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_icns_entries() -> None:
    data = ICNS.read_bytes()
    assert data[:4] == b"icns" and struct.unpack_from(">I", data, 4)[0] == len(data)
    entries, pos = {}, 8
    while pos < len(data):
        kind, length = data[pos:pos + 4].decode("ascii"), struct.unpack_from(">I", data, pos + 4)[0]
        entries[kind] = data[pos + 8:pos + length]
        pos += length
    assert pos == len(data)
    expected = {"ic11": 32, "ic12": 64, "ic07": 128, "ic13": 256, "ic08": 256, "ic14": 512, "ic09": 512,
                "ic10": 1024}
    assert {k: QImage.fromData(v, "PNG").width() for k, v in entries.items()} == expected
    for kind, png in entries.items():
        assert png.startswith(PNG_MAGIC), kind
        assert_mark(QImage.fromData(png, "PNG"), expected[kind])


@pytest.mark.parametrize(("path", "fmt", "sizes"), [
    (ICO, b"ico", [16, 24, 32, 48, 64, 128, 256]),
    (ICNS, b"icns", [32, 64, 128, 256, 256, 512, 512, 1024]),
], ids=["ico", "icns"])
def test_qt_reads_every_entry(path: Path, fmt: bytes, sizes: list[int]) -> None:
    """An independent reader (Qt's qico/qicns plugins) agrees with the structure above."""
    reader = QImageReader(str(path), fmt)
    assert reader.imageCount() == len(sizes)
    read = []
    for i in range(len(sizes)):
        assert reader.jumpToImage(i)
        image = reader.read()
        assert not image.isNull(), reader.errorString()
        read.append(image.width())
    assert read == sizes
