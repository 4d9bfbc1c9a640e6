"""The closest proof of portability a Linux machine can give (docs/platforms.md).

Each test runs pytest again in a child process with ``tests/foreign_os`` on PYTHONPATH, whose
``sitecustomize`` makes every Python process of that run (the child pytest and each ``python -m streamdesk``
the CLI tests start) look like another OS:

- no ``fcntl``, ``termios``, ``pwd``, ``grp`` or ``resource`` (Windows has none of them): every module of
  streamdesk is imported and the core and CLI unit tests run;
- ``sys.platform`` reading ``win32`` (with the POSIX modules gone, ``os.name == "nt"`` and Windows'
  missing ``os``/``signal`` names hidden) or ``darwin``, for streamdesk's modules: every module is imported
  and the unit tests of the modules that branch on the platform run.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.plugins.processes import REPO

# a simulation of the other desktops on Linux; on Windows and macOS, CI runs the tests for real
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="simulates Windows and macOS on Linux")

UNIT = Path(__file__).resolve().parent
FOREIGN_OS = REPO / "tests" / "foreign_os"
POSIX_ONLY = ("fcntl", "termios", "pwd", "grp", "resource")
BLOCK, PLATFORM = "STREAMDESK_TEST_BLOCK_MODULES", "STREAMDESK_TEST_PLATFORM"
RUN_TIMEOUT = 240  # s; each run takes 10-40 s on this machine

#: every unit test of core and the CLI: all of tests/unit but the simulators' own and this file
CORE_AND_CLI = sorted(p.name for p in UNIT.glob("test_*.py")
                      if not p.name.startswith(("test_sim_", "test_obs_sim", "test_portability")))

#: the modules that branch on the platform, and the unit tests that exercise their branches. A module
#: that starts to branch must be added here (test_the_branching_modules_are_all_listed says so).
BRANCHING = {
    "streamdesk.core.paths": ["test_paths.py"],
    "streamdesk.core.secrets": ["test_secrets.py", "test_keyrings_everywhere.py"],
    "streamdesk.core.session_lock": ["test_session_lock.py"],
    "streamdesk.cli.channel": ["test_cli_basics.py"],
    "streamdesk.cli.sim_cmd": ["test_sim_cli.py"],
}


def _branches_on_platform(path: Path) -> bool:
    """Whether the module reads sys.platform or os.name, or looks up an os/signal name with getattr."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (
            (node.value.id, node.attr) in {("sys", "platform"), ("os", "name")}
        ):
            return True
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr") and node.args
                and isinstance(node.args[0], ast.Name) and node.args[0].id in ("os", "signal")):
            return True
    return False


#: Linux-only cases that need pwd (no HOME, a relative HOME: Python and platformdirs ask the password
#: database). Linux without pwd does not exist; Windows and macOS take other branches of that code.
NEEDS_PWD = ["tests/unit/test_paths.py::test_default_root_is_platformdirs_answer[None-None]",
             "tests/unit/test_paths.py::test_default_root_is_platformdirs_answer[None-relative-home]"]


def run_foreign(tests: list[str], **env: str) -> None:
    pythonpath = os.pathsep.join(filter(None, [str(FOREIGN_OS), os.environ.get("PYTHONPATH", "")]))
    child_env = {**os.environ, "PYTHONPATH": pythonpath, **env}
    deselect = [f"--deselect={case}" for case in NEEDS_PWD] if "pwd" in env.get(BLOCK, "") else []
    # a short base: some tests bind AF_UNIX sockets in their tmp_path (108 bytes at most)
    with tempfile.TemporaryDirectory(prefix="sd-") as base:
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={base}/t",
               # without fcntl, filelock falls back to its soft lock and says so once; expected here
               "-W", "ignore:only soft file lock is available:UserWarning", *deselect,
               "tests/unit/test_import_all.py", *(f"tests/unit/{name}" for name in tests)]
        proc = subprocess.run(cmd, cwd=REPO, env=child_env, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT)
    summary = proc.stdout.strip().splitlines()[-1:] or ["(no output)"]
    assert proc.returncode == 0, (f"{env}: {summary[0]}\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    assert " passed" in summary[0] and "skipped" not in summary[0], summary[0]


def test_no_module_imports_a_posix_only_module() -> None:
    """The static half: no import of fcntl & co. anywhere under streamdesk/, guarded or not (filelock and
    the standard library deal with the platforms; streamdesk has no need to)."""
    found = []
    for path in sorted((REPO / "streamdesk").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            found += [f"{path.relative_to(REPO)}:{node.lineno} {n}" for n in names
                      if n.partition(".")[0] in POSIX_ONLY]
    assert found == []


def test_the_branching_modules_are_all_listed() -> None:
    branching = sorted(
        ".".join(p.relative_to(REPO).with_suffix("").parts)
        for p in (REPO / "streamdesk").rglob("*.py")
        if _branches_on_platform(p)
    )
    assert branching == sorted(BRANCHING), "list the platform-branching modules and their tests in BRANCHING"
    for tests in BRANCHING.values():
        assert all((UNIT / name).is_file() for name in tests), tests


def test_without_posix_only_modules() -> None:
    """Windows has no fcntl, termios, pwd, grp or resource: import everything, run core and CLI tests."""
    run_foreign(CORE_AND_CLI, **{BLOCK: ",".join(POSIX_ONLY)})


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_where_sys_platform_reads(platform: str) -> None:
    tests = sorted({name for names in BRANCHING.values() for name in names})
    env = {PLATFORM: platform}
    if platform == "win32":
        env[BLOCK] = ",".join(POSIX_ONLY)
    run_foreign(tests, **env)
