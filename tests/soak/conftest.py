"""The soak drives the real main window: reuse the window fixture of the GUI tests."""

from tests.ui.conftest import make_window  # noqa: F401 - a fixture, re-exported for tests/soak
