"""Test-wide setup: every test gets its own STREAMDESK_HOME and never touches the user's keyring.

Fixtures for the real components live in ``tests/plugins/`` (one module per component).
"""

from __future__ import annotations

import os

# Before anything imports Qt: most tests run offscreen; screenshot/clipboard tests use Xvfb.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

pytest_plugins = [
    "tests.plugins.processes",
    "tests.plugins.getstream_sim",
    "tests.plugins.obs",
    "tests.plugins.obs_sim",
    "tests.plugins.keyrings",
    "tests.plugins.nginx",
]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """A fresh STREAMDESK_HOME per test, and no inherited secrets or API base."""
    home = tmp_path_factory.mktemp("streamdesk-home")
    monkeypatch.setenv("STREAMDESK_HOME", str(home))
    for var in ("STREAMDESK_API_SECRET", "STREAMDESK_OBS_PASSWORD", "STREAMDESK_API_BASE"):
        monkeypatch.delenv(var, raising=False)
    return home
