"""Files the app ships with (icons, .desktop entry, AppStream metadata), found the same way whether
streamdesk is pip-installed, installed editable from a checkout, or frozen by PyInstaller.

No Qt here: the CLI and tests use these paths too.
"""

from __future__ import annotations

import sys
from pathlib import Path

ICON_SIZES: tuple[int, ...] = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path:
    """The directory holding the resources.

    Frozen, PyInstaller unpacks data under ``sys._MEIPASS`` (the spec copies this package's files to
    ``streamdesk/resources`` there); otherwise the files sit next to this module, both for a wheel install
    and an editable one.
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / "streamdesk" / "resources"
    return Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    """Absolute path of the resource ``name`` (a relative path such as ``"streamdesk.svg"``).

    Raises ``FileNotFoundError`` naming the resource when it is missing (a broken install or bundle), and
    ``ValueError`` for names that would leave the resources directory.
    """
    base = resources_dir()
    path = (base / name).resolve()
    if not path.is_relative_to(base.resolve()):
        raise ValueError(f"resource name {name!r} points outside the resources directory")
    if not path.exists():
        raise FileNotFoundError(f"streamdesk resource {name!r} is missing from {base}; reinstall streamdesk")
    return path


def icon_png(size: int) -> Path:
    """The rendered application icon at ``size`` pixels (one of ``ICON_SIZES``)."""
    if size not in ICON_SIZES:
        raise ValueError(f"no {size} px icon; rendered sizes are {', '.join(map(str, ICON_SIZES))}")
    return resource_path(f"icons/hicolor/{size}x{size}/apps/streamdesk.png")
