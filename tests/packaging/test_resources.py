"""Resources and desktop integration, checked without building the bundle (fast: runs in every test run)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from configparser import ConfigParser
from importlib import metadata
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel

from streamdesk import resources
from streamdesk.resources import ICON_SIZES, icon_png, resource_path


def test_icons_exist_at_every_size_with_the_mark_visible() -> None:
    for size in ICON_SIZES:
        image = QImage(str(icon_png(size)))
        assert (image.width(), image.height()) == (size, size), size
        assert image.hasAlphaChannel()
        # transparent corner (rounded square), white centre dot, red body between them
        assert image.pixelColor(0, 0).alpha() == 0, size
        centre = image.pixelColor(size // 2, size // 2)
        assert centre.red() > 230 and centre.green() > 230 and centre.blue() > 230, (size, centre.name())
        body = image.pixelColor(size // 2, size - 1 - size // 10)
        assert body.alpha() == 255 and body.red() > 180 and body.green() < 100, (size, body.name())


def test_resource_path_refuses_escapes_and_names_missing_files() -> None:
    assert resource_path("streamdesk.svg").is_file()
    with pytest.raises(ValueError, match="outside"):
        resource_path("../core/paths.py")
    with pytest.raises(FileNotFoundError, match=r"nope\.png"):
        resource_path("nope.png")
    with pytest.raises(ValueError, match="rendered sizes"):
        icon_png(20)


def test_resource_path_under_pyinstaller(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Frozen, resources come from sys._MEIPASS/streamdesk/resources, not from next to the module."""
    target = tmp_path / "streamdesk" / "resources"
    target.mkdir(parents=True)
    (target / "streamdesk.svg").write_text("<svg/>")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_path("streamdesk.svg") == (target / "streamdesk.svg").resolve()


def test_desktop_entry_fields_and_validator() -> None:
    path = resource_path("streamdesk.desktop")
    entry = ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(path, encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Exec"] == "streamdesk" and d["Icon"] == "streamdesk" and d["Terminal"] == "false"
    assert d["StartupWMClass"] == "streamdesk"  # matches QApplication.applicationName() on X11
    assert d["Categories"].startswith("AudioVideo;")
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is missing: apt-get install desktop-file-utils")
    proc = subprocess.run([validator, str(path)], capture_output=True, text=True)
    assert proc.returncode == 0 and "error" not in proc.stdout, proc.stdout


def test_metainfo_validates() -> None:
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.skip("appstreamcli is missing: apt-get install appstream")
    proc = subprocess.run([tool, "validate", "--no-net", str(resource_path("streamdesk.metainfo.xml"))],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _runtime_closure() -> set[str]:
    from packaging.requirements import Requirement

    closure, todo = set(), ["streamdesk"]
    while todo:
        for spec in metadata.requires(todo.pop()) or []:
            req = Requirement(spec)
            if req.marker and not req.marker.evaluate({"extra": ""}):
                continue
            name = metadata.distribution(req.name).metadata["Name"]
            if name not in closure:
                closure.add(name)
                todo.append(name)
    return closure


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def test_about_dialog_credits_every_runtime_dependency(qtbot) -> None:
    """Every distribution streamdesk pulls in at run time has a row with a real licence read from its
    metadata; adding a dependency without crediting it fails here."""
    from streamdesk import __version__
    from streamdesk.ui.about import AboutDialog

    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    rows = {dialog.table.item(r, 0).text(): dialog.table.item(r, 2).text()
            for r in range(dialog.table.rowCount())}
    credited = {_norm(name) for name in rows}
    missing = sorted(n for n in _runtime_closure() if _norm(n) not in credited)
    assert not missing, f"bundled but not credited in the About dialog: {missing}"
    assert rows["obsws-python"].startswith("GPL-3.0")  # its metadata, not the guess in the brief
    assert rows["pyqtgraph"] == "MIT"
    assert "LGPL-3.0" in rows["PySide6_Essentials"]
    assert all(v and v != "see the project" for v in rows.values()), rows
    version = dialog.findChild(QLabel, "aboutVersion")
    assert __version__ in version.text()


def test_about_copy_puts_version_details_on_the_clipboard(qtbot) -> None:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QPushButton

    from streamdesk import __version__
    from streamdesk.ui.about import AboutDialog

    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.findChild(QPushButton, "aboutCopy").click()
    text = QGuiApplication.clipboard().text()
    assert text.startswith(f"streamdesk {__version__}") and "Qt " in text


def test_icon_colours_are_the_masters() -> None:
    """The PNGs were rendered from the current SVG masters (re-run scripts/render_icons.py after edits)."""
    svg = resource_path("streamdesk.svg").read_text()
    top = QColor("#ff4f5f")
    assert top.name() in svg
    image = QImage(str(icon_png(512)))
    near_top = image.pixelColor(256, 40)
    assert abs(near_top.red() - top.red()) < 12 and abs(near_top.green() - top.green()) < 24


def test_install_desktop_entry_script_installs_and_removes(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(["bash", "scripts/install_desktop_entry.sh"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    share = tmp_path / ".local" / "share"
    assert (share / "applications" / "streamdesk.desktop").read_bytes() == \
        resource_path("streamdesk.desktop").read_bytes()
    for size in ICON_SIZES:
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "streamdesk.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "streamdesk.svg").is_file()
    proc = subprocess.run(["bash", "scripts/install_desktop_entry.sh", "--uninstall"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not list(share.rglob("streamdesk*")), list(share.rglob("streamdesk*"))
