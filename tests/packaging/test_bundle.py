"""The PyInstaller bundle, built from streamdesk.spec and run frozen.

The build is session-scoped and reused while it is newer than every source file that goes into it, so a
second run of this module costs seconds. What is checked is what breaks in frozen apps and nowhere else:
the keyring backends (a bundle silently falls back to keyring's fail backend when they or their entry-point
metadata are missing), Qt plugins (offscreen and xcb must survive the exclusions), data files
(resources, simulator data) and package metadata (the About dialog's licences).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.plugins.processes import REPO

BUILD_TIMEOUT = 900  # s; a cold build takes 1-2 min on 2 busy cores
# the session-scoped build runs inside the first test's timeout: give it the build's budget
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(BUILD_TIMEOUT + 120)]

DIST = REPO / "dist" / "streamdesk"
EXE = DIST / "streamdesk"
INPUTS = ("streamdesk.spec", "scripts/pyinstaller_entry.py", "streamdesk", "pyproject.toml")


def _newest_input() -> float:
    newest = 0.0
    for name in INPUTS:
        path = REPO / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()
                                                 and "__pycache__" not in p.parts]
        newest = max([newest, *(p.stat().st_mtime for p in files)])
    return newest


@pytest.fixture(scope="session")
def bundle() -> Path:
    """dist/streamdesk/streamdesk, built by scripts/build_bundle.sh unless a fresh one is there."""
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to run scripts/build_bundle.sh")
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        pytest.skip("PyInstaller is not installed: .venv/bin/pip install -e '.[package]'")
    if not (EXE.exists() and EXE.stat().st_mtime > _newest_input()):
        started = time.monotonic()
        proc = subprocess.run(["bash", "scripts/build_bundle.sh"], cwd=REPO, capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT)
        assert proc.returncode == 0, f"bundle build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        print(f"bundle built in {time.monotonic() - started:.0f} s")
    assert EXE.exists()
    return EXE


def _frozen_env(**extra: str) -> dict[str, str]:
    """The environment a user's desktop would give the bundle: no venv, no keyring backend forced."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHON_KEYRING_BACKEND", "PYTHONHOME")}
    env["PATH"] = "/usr/bin:/bin"
    env.update(extra)
    return env


def _run(exe: Path, *args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    # cwd outside the checkout, so nothing can be imported from the source tree by accident
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=exe.parent.parent)


def test_frozen_version(bundle: Path) -> None:
    from streamdesk import __version__

    proc = _run(bundle, "--version", env=_frozen_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"streamdesk {__version__}"


def test_frozen_cli_status_json(bundle: Path, isolated_home: Path) -> None:
    import json

    proc = _run(bundle, "status", "--json", env=_frozen_env(STREAMDESK_HOME=str(isolated_home)))
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)  # machine-readable, not a traceback
    assert "Traceback" not in proc.stderr


def test_frozen_bad_usage_is_one_line_exit_2(bundle: Path) -> None:
    proc = _run(bundle, "golive", "--no-such-option", env=_frozen_env())
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


@pytest.mark.secretservice
def test_frozen_self_test_offscreen_with_secret_service(bundle: Path, isolated_home: Path,
                                                         secret_service: dict[str, str]) -> None:
    """The bundle finds the real Secret Service on its own (auto-detection, no backend forced)."""
    env = _frozen_env(QT_QPA_PLATFORM="offscreen", STREAMDESK_HOME=str(isolated_home),
                      **{k: v for k, v in secret_service.items() if k != "PYTHON_KEYRING_BACKEND"})
    env.pop("DISPLAY", None)
    proc = _run(bundle, "--self-test", env=env)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "self-test: keyring ok (SecretService" in proc.stdout, proc.stdout
    assert "fail" not in proc.stdout.lower()


def test_frozen_self_test_without_keyring_fails_clearly(bundle: Path, isolated_home: Path,
                                                         tmp_path: Path) -> None:
    """No Secret Service on the bus: the self-test must fail (exit 1, one line), not pass on the fail
    backend. This is what keeps the test above from passing on a bundle without keyring backends."""
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o700)
    env = _frozen_env(QT_QPA_PLATFORM="offscreen", STREAMDESK_HOME=str(isolated_home),
                      DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/no-bus", XDG_RUNTIME_DIR=str(run_dir))
    env.pop("DISPLAY", None)
    proc = _run(bundle, "--self-test", env=env)
    assert proc.returncode == 1, proc.stdout
    assert "self-test: keyring FAILED" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.xvfb
def test_frozen_self_test_on_xcb(bundle: Path, isolated_home: Path, tmp_path: Path) -> None:
    """The xcb platform plugin and the X libraries it needs survived the exclusions."""
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is missing: apt-get install xvfb xauth")
    env = _frozen_env(QT_QPA_PLATFORM="xcb", STREAMDESK_HOME=str(isolated_home),
                      DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/no-bus")
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24 -nolisten tcp", str(bundle),
                           "--self-test"], env=env, capture_output=True, text=True, timeout=120)
    # the window must paint on xcb; the keyring verdict is covered above (no Secret Service here)
    assert "self-test: window painted" in proc.stdout, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "could not load the Qt platform plugin" not in proc.stderr


def test_bundle_carries_resources_metadata_and_no_excluded_parts(bundle: Path) -> None:
    internal = bundle.parent / "_internal"
    resources = internal / "streamdesk" / "resources"
    for name in ("streamdesk.svg", "streamdesk.desktop", "icons/hicolor/16x16/apps/streamdesk.png",
                 "icons/hicolor/512x512/apps/streamdesk.png"):
        assert (resources / name).is_file(), f"{name} is missing from the bundle"
    assert (internal / "streamdesk" / "sim" / "data" / "getstream-examples.json").is_file()
    # entry-point metadata keyring discovers backends with, and the licences the About dialog shows
    for dist in ("keyring", "obsws_python", "pyqtgraph", "SecretStorage", "pyside6_essentials"):
        assert any(p.name.lower().startswith(dist.lower() + "-") for p in internal.glob("*.dist-info")), dist
    qt = internal / "PySide6" / "Qt"
    platforms = {p.name for p in (qt / "plugins" / "platforms").iterdir()}
    assert {"libqoffscreen.so", "libqxcb.so"} <= platforms
    assert not list((qt / "plugins").glob("platformthemes/*gtk3*")), "the GTK3 theme plugin was bundled"
    assert not (internal / "libgtk-3.so.0").exists(), "GTK was bundled (orphan of the GTK3 theme plugin)"
    assert not (qt / "translations").exists()


if sys.platform != "linux":  # pragma: no cover
    pytestmark = [*pytestmark, pytest.mark.skip(reason="the bundle tests target the Linux build")]
