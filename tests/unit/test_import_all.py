"""Every module of streamdesk imports. Run again by tests/unit/test_portability.py where the POSIX-only
modules cannot be imported and where streamdesk sees another ``sys.platform``: there it is the import half
of the proof that no POSIX-only module sits on a Windows path."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import pytest

import streamdesk

#: importing it runs the CLI; the CLI tests run it as ``python -m streamdesk``
NOT_IMPORTABLE = {"streamdesk.__main__"}


def every_module() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(streamdesk.__path__, "streamdesk.")
                  if m.name not in NOT_IMPORTABLE)


def test_every_module_imports() -> None:
    names = every_module()
    assert len(names) > 60 and "streamdesk.core.session_lock" in names and "streamdesk.ui.app" in names
    failures = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as e:
            failures[name] = f"{type(e).__name__}: {e}"
    assert failures == {}


def test_the_foreign_view_is_in_force() -> None:
    """Under test_portability.py: the blocked modules really are missing, and streamdesk really sees the
    other platform (else that run would prove nothing). Elsewhere: nothing to check."""
    blocked = [m for m in os.environ.get("STREAMDESK_TEST_BLOCK_MODULES", "").split(",") if m]
    for name in blocked:
        with pytest.raises(ImportError):
            importlib.import_module(name)
    assert not [m for m in sys.modules if m.partition(".")[0] in blocked]
    platform = os.environ.get("STREAMDESK_TEST_PLATFORM")
    if platform:
        from streamdesk.core import paths, session_lock

        assert paths.sys.platform == platform != sys.platform
        if platform == "win32":
            assert session_lock.os.name == "nt" and not hasattr(session_lock.os, "O_NOFOLLOW")
            assert session_lock._NOFOLLOW == 0
