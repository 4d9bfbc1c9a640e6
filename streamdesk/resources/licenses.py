"""The third-party components a streamdesk bundle ships, with the licence to show when a component's own
metadata names none. Qt-free: the About dialog reads it, and streamdesk.spec copies the metadata of every
distribution listed here into the bundle (so versions, licences and licence files travel with it).
tests/packaging/test_resources.py fails when a run-time dependency is missing from this table.
"""

from __future__ import annotations

# Every third-party distribution a streamdesk bundle carries at run time (direct dependencies first), with
# the licence to show when the metadata has none. Platform-only ones (macOS/Windows keyring helpers) are
# listed too and simply skipped where they are not installed.
KNOWN_LICENSES: dict[str, str] = {
    "PySide6_Essentials": "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only",
    "shiboken6": "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only",
    "pyqtgraph": "MIT",
    "numpy": "BSD-3-Clause",
    "httpx": "BSD-3-Clause",
    "PyJWT": "MIT",
    "keyring": "MIT",
    "obsws-python": "GPL-3.0-only",
    "platformdirs": "MIT",
    "websockets": "BSD-3-Clause",
    "filelock": "MIT",
    "httpcore": "BSD-3-Clause",
    "h11": "MIT",
    "anyio": "MIT",
    "sniffio": "MIT OR Apache-2.0",
    "idna": "BSD-3-Clause",
    "certifi": "MPL-2.0",
    "typing_extensions": "PSF-2.0",
    "websocket-client": "Apache-2.0",
    "tomli": "MIT",
    "jaraco.classes": "MIT",
    "jaraco.functools": "MIT",
    "jaraco.context": "MIT",
    "more-itertools": "MIT",
    "backports.tarfile": "MIT",
    "importlib_metadata": "Apache-2.0",
    "lazy-importer": "Apache-2.0",
    "colorama": "BSD-3-Clause",
    "zipp": "MIT",
    "SecretStorage": "BSD-3-Clause",
    "jeepney": "MIT",
    "cryptography": "Apache-2.0 OR BSD-3-Clause",
    "cffi": "MIT-0",
    "pycparser": "BSD-3-Clause",
    "pywin32-ctypes": "BSD-3-Clause",
    "pyobjc-core": "MIT",
    "pyobjc-framework-Security": "MIT",
}
