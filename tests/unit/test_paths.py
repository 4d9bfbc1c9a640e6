"""core.paths finds the data directory platformdirs would, on Linux without importing it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# each case: the environment's XDG_DATA_HOME and HOME (None: unset)
CASES = [
    ("/data/xdg", "/home/streamer"),
    ("", "/home/streamer"),
    (None, "/home/streamer"),
    ("relative/xdg", "/home/streamer"),
    (None, None),
    (None, "relative-home"),
    ("/data/xdg", "relative-home"),
]

COMPARE = ("import platformdirs; from streamdesk.core import paths; "
           "print(paths.default_root()); print(platformdirs.user_data_dir('streamdesk', appauthor=False))")


@pytest.mark.skipif(sys.platform != "linux", reason="the platformdirs shortcut is for Linux only")
@pytest.mark.parametrize(("xdg", "home"), CASES)
def test_default_root_is_platformdirs_answer(xdg: str | None, home: str | None, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_DATA_HOME", "HOME", "STREAMDESK_HOME")}
    if xdg is not None:
        env["XDG_DATA_HOME"] = xdg
    if home is not None:
        env["HOME"] = home
    out = subprocess.run([sys.executable, "-c", COMPARE], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, check=True)
    ours, theirs = out.stdout.splitlines()
    assert ours == theirs


def test_the_gui_path_does_not_import_platformdirs_on_linux(tmp_path: Path) -> None:
    code = ("import sys; from streamdesk.core import paths; paths.default_root(); "
            "print('platformdirs' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "STREAMDESK_HOME"}
    env["XDG_DATA_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                         check=True)
    from streamdesk.core import paths

    assert out.stdout.strip() == str(paths._linux_data_dir() is None)  # True off Linux: platformdirs answers
