"""streamdesk.spec for each desktop, without building: the spec file itself runs here with PyInstaller's
build steps (Analysis, PYZ, EXE, COLLECT, BUNDLE) recorded instead of executed, ``sys.platform`` set to the
target, and what it asks for is checked. The Linux build itself is tests/packaging/test_bundle.py; the
Windows and macOS builds run in CI (.github/workflows/ci.yml)."""

from __future__ import annotations

import plistlib
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from streamdesk import __version__
from tests.plugins.processes import REPO

SPEC = REPO / "streamdesk.spec"


class Step:
    """One recorded build step: its arguments, and the attributes later steps read from it."""

    def __init__(self, kind: str, calls: list[Step], *args: Any, **kwargs: Any) -> None:
        self.kind, self.args, self.kwargs = kind, args, kwargs
        self.binaries: list[Any] = []
        self.datas: list[Any] = []
        self.scripts: list[Any] = []
        self.pure: list[Any] = []
        calls.append(self)


def run_spec(platform: str, monkeypatch: pytest.MonkeyPatch) -> list[Step]:
    import PyInstaller.compat
    import PyInstaller.utils.hooks  # imported under the real platform, as PyInstaller would be

    calls: list[Step] = []
    namespace: dict[str, Any] = {"SPECPATH": str(REPO), "__file__": str(SPEC), "__name__": "__main__"}
    for kind in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"):
        namespace[kind] = lambda *a, _kind=kind, **kw: Step(_kind, calls, *a, **kw)
    # PyInstaller's version-resource module wants pefile, which PyInstaller installs only on Windows; the
    # spec builds the resource with it but never parses a PE file
    monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
    monkeypatch.setattr(PyInstaller.compat, "win32api", None, raising=False)  # pywin32: unused here
    monkeypatch.delitem(sys.modules, "PyInstaller.utils.win32.versioninfo", raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    return calls


def steps(calls: list[Step], kind: str) -> list[Step]:
    return [c for c in calls if c.kind == kind]


def test_linux_builds_one_executable_as_before(monkeypatch) -> None:
    calls = run_spec("linux", monkeypatch)
    (exe,) = steps(calls, "EXE")
    assert exe.kwargs["name"] == "streamdesk" and exe.kwargs["console"] is True
    assert exe.kwargs["icon"] is None and exe.kwargs["version"] is None and exe.kwargs["strip"] is True
    (collect,) = steps(calls, "COLLECT")
    assert collect.args[0] is exe and collect.kwargs["name"] == "streamdesk"
    assert steps(calls, "BUNDLE") == []


def test_windows_builds_a_consoleless_app_and_a_console_cli_with_icon_and_version(monkeypatch) -> None:
    calls = run_spec("win32", monkeypatch)
    gui, cli = steps(calls, "EXE")
    assert (gui.kwargs["name"], gui.kwargs["console"]) == ("streamdesk", False)
    assert (cli.kwargs["name"], cli.kwargs["console"]) == ("streamdesk-cli", True)
    for exe in (gui, cli):
        icon = Path(exe.kwargs["icon"])
        assert icon.suffix == ".ico" and icon.read_bytes()[:4] == b"\0\0\1\0"
        assert exe.kwargs["strip"] is False  # stripping breaks Windows binaries
        info = exe.kwargs["version"]
        text = str(info)
        name = exe.kwargs["name"]
        for key, value in (("FileVersion", __version__), ("ProductVersion", __version__),
                           ("OriginalFilename", f"{name}.exe"), ("ProductName", "streamdesk")):
            assert f"StringStruct('{key}', '{value}')" in text, (key, text)
        assert "filevers=(0, 1, 0, 0)" in text, text
        raw = info.toRaw()  # the binary resource PyInstaller embeds
        assert __version__.encode("utf-16-le") in raw
    (collect,) = steps(calls, "COLLECT")
    assert collect.args[:2] == (gui, cli)  # one _internal directory for both
    assert steps(calls, "BUNDLE") == []
    (analysis,) = steps(calls, "Analysis")
    assert "keyring.backends.Windows" in analysis.kwargs["hiddenimports"]


def test_macos_builds_an_app_with_info_plist_and_icns(monkeypatch) -> None:
    calls = run_spec("darwin", monkeypatch)
    (exe,) = steps(calls, "EXE")
    assert exe.kwargs["console"] is False and exe.kwargs["strip"] is False
    (bundle,) = steps(calls, "BUNDLE")
    (collect,) = steps(calls, "COLLECT")
    assert bundle.args == (collect,)
    assert bundle.kwargs["name"] == "streamdesk.app"
    assert bundle.kwargs["bundle_identifier"] == "io.github.streamdesk.streamdesk"
    assert bundle.kwargs["version"] == __version__
    icon = Path(bundle.kwargs["icon"])
    assert icon.suffix == ".icns" and icon.read_bytes()[:4] == b"icns" and exe.kwargs["icon"] == str(icon)
    plist = bundle.kwargs["info_plist"]
    assert plist["NSHighResolutionCapable"] is True
    assert plist["CFBundleShortVersionString"] == plist["CFBundleVersion"] == __version__
    assert plist["NSLocalNetworkUsageDescription"]
    plistlib.loads(plistlib.dumps(plist))  # PyInstaller writes it with plistlib: every value must fit
    (analysis,) = steps(calls, "Analysis")
    assert "keyring.backends.macOS" in analysis.kwargs["hiddenimports"]
