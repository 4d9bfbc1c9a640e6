"""The layering rules (docs/architecture.md, "Layers"), checked on the source (static) and on
sys.modules (dynamic). `lint-imports` checks the same contracts from pyproject.toml in CI."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "streamdesk"
QT = ("PySide6", "pyqtgraph", "shiboken6")


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(layer: str) -> list[Path]:
    return sorted((PKG / layer).rglob("*.py"))


def offenders(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(PKG.parent)} imports {name}"
        for path in modules(layer)
        for name in sorted(imports_of(path))
        if name.split(".")[0] in forbidden or name.startswith(forbidden)
    ]


@pytest.mark.parametrize("layer", ["core", "sim"])
def test_core_and_sim_have_no_qt(layer: str) -> None:
    assert offenders(layer, QT) == []


def test_core_and_sim_never_import_each_other() -> None:
    assert offenders("core", ("streamdesk.sim",)) == []
    assert offenders("sim", ("streamdesk.core", "streamdesk.ui", "streamdesk.cli")) == []


def test_ui_does_no_http() -> None:
    assert offenders("ui", ("httpx", "requests", "urllib.request", "http.client")) == []


def test_importing_every_core_and_sim_module_loads_no_qt() -> None:
    names = [
        ".".join(p.relative_to(PKG.parent).with_suffix("").parts)
        for layer in ("core", "sim")
        for p in modules(layer)
        if p.name != "__init__.py"
    ]
    code = (
        "import importlib, json, sys\n"
        f"for n in {names!r}: importlib.import_module(n)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {QT!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []
