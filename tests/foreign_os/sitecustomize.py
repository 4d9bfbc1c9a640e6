"""Make this Python process look a little like Windows or macOS (tests/unit/test_portability.py).

``site`` imports this module at start-up in every Python process that has this directory on
PYTHONPATH, so the pytest run and every ``python -m streamdesk`` it starts get the same treatment:

- ``STREAMDESK_TEST_BLOCK_MODULES=fcntl,termios,...``: those modules (and their submodules) cannot
  be imported, as on Windows, where they do not exist.
- ``STREAMDESK_TEST_PLATFORM=win32|darwin``: streamdesk's own modules read that as
  ``sys.platform``. Only theirs: the standard library and third-party packages keep the real
  platform, since on Linux they would break on the Windows branches they cannot take here
  (``msvcrt``, ``_winapi``), and those are not the code under test. A test that monkeypatches
  ``sys.platform`` still wins over the fake one. With ``win32`` their ``os`` also says
  ``os.name == "nt"``, and the ``os`` and ``signal`` names Windows lacks are missing from their view.

Every Python process started from this one inherits the environment, hence the same view.
"""

from __future__ import annotations

import builtins
import importlib.abc
import os
import sys
import types
from collections.abc import Mapping, Sequence
from typing import Any

BLOCKED = frozenset(filter(None, os.environ.get("STREAMDESK_TEST_BLOCK_MODULES", "").split(",")))
FAKE_PLATFORM = os.environ.get("STREAMDESK_TEST_PLATFORM", "")
OWN_PACKAGES = ("streamdesk",)


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None = None, target: object = None) -> None:
        if fullname.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {fullname!r} (blocked: a POSIX-only module)",
                                      name=fullname)


if BLOCKED:
    # site itself imports pwd when HOME is unset (to find the user's site-packages): forget it, so the
    # next import (expanduser imports pwd on every call) meets the blocker
    for _name in [m for m in sys.modules if m.partition(".")[0] in BLOCKED]:
        del sys.modules[_name]
    sys.meta_path.insert(0, _Blocker())


# What Windows' os and signal modules lack (CPython 3.11 on win32), for streamdesk's eyes only: code
# that calls one of these unguarded fails here as it would there.
def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


WINDOWS_LACKS = {
    "os": _names("""
        getuid geteuid getgid getegid getgroups setuid setgid seteuid setegid getresuid getresgid initgroups
        chown fchown lchown fchmod lchmod getpgid getpgrp setpgid setsid killpg fork forkpty register_at_fork
        wait3 wait4 WNOHANG sync statvfs fstatvfs pipe2 mkfifo mknod uname nice getloadavg openpty ttyname
        ctermid pread pwrite sched_getaffinity posix_spawn posix_spawnp
        O_NOFOLLOW O_CLOEXEC O_NONBLOCK O_DIRECTORY O_NOCTTY O_SYNC O_DSYNC
        """),
    "signal": _names("""
        SIGKILL SIGHUP SIGQUIT SIGALRM SIGUSR1 SIGUSR2 SIGCHLD SIGPIPE SIGSTOP SIGCONT SIGTSTP SIGTTIN SIGTTOU
        SIGWINCH alarm setitimer getitimer pause pthread_kill pthread_sigmask siginterrupt sigwait sigpending
        SIG_BLOCK SIG_UNBLOCK SIG_SETMASK ITIMER_REAL
        """),
}
# os.name only: os.path (and so os.sep) stays POSIX, or every path the tests build would break
WINDOWS_NAMES: dict[str, dict[str, object]] = {"os": {"name": "nt"}}


class _ModuleView(types.ModuleType):
    """A module as streamdesk's code sees it: the real one, with some names overridden or missing.

    ``sys.platform`` is special: a test's ``monkeypatch.setattr(sys, "platform", ...)`` is what the test
    means, so it wins over the fake platform."""

    def __init__(self, real: types.ModuleType, override: dict[str, object], hidden: frozenset[str]) -> None:
        super().__init__(real.__name__, real.__doc__)
        vars(self).update(_real=real, _override=override, _hidden=hidden)

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("_") and name in ("_real", "_override", "_hidden", "__dict__", "__class__"):
            return super().__getattribute__(name)
        real = vars(self)["_real"]
        if name in vars(self)["_hidden"]:
            raise AttributeError(f"module {real.__name__!r} has no attribute {name!r} (on {FAKE_PLATFORM})")
        override = vars(self)["_override"]
        if name in override:
            if name == "platform" and type(real.platform) is not _RealPlatform:
                return real.platform
            return override[name]
        return getattr(real, name)

    def __setattr__(self, name: str, value: object) -> None:
        setattr(vars(self)["_real"], name, value)  # sys.excepthook = …: the real one

    def __dir__(self) -> list[str]:
        real = vars(self)["_real"]
        return sorted(set(dir(real)) - vars(self)["_hidden"])


class _RealPlatform(str):
    """The real sys.platform, marked: a test that monkeypatches sys.platform (even to the same text) puts a
    plain str there, and then its value is the one streamdesk sees."""



if FAKE_PLATFORM:
    sys.platform = _RealPlatform(sys.platform)
    _windows = FAKE_PLATFORM == "win32"
    _views = {
        "sys": _ModuleView(sys, {"platform": FAKE_PLATFORM}, frozenset()),
        "os": _ModuleView(os, WINDOWS_NAMES["os"] if _windows else {},
                          WINDOWS_LACKS["os"] if _windows else frozenset()),
    }
    import signal

    _views["signal"] = _ModuleView(signal, {}, WINDOWS_LACKS["signal"] if _windows else frozenset())
    _real_import = builtins.__import__

    def _import(name: str, globals: Mapping[str, object] | None = None, locals: object = None,
                fromlist: Sequence[str] = (), level: int = 0) -> types.ModuleType:
        module = _real_import(name, globals, locals, fromlist, level)
        if level == 0 and name in _views and globals is not None:
            importer = str(globals.get("__name__", ""))
            if importer.partition(".")[0] in OWN_PACKAGES:
                return _views[name]
        return module

    builtins.__import__ = _import
