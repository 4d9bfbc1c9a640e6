"""The About dialog: version, what streamdesk is, and the licences of the components it ships with.

Licences and versions are read from the installed distributions' metadata at run time (the PyInstaller
spec copies that metadata into the bundle), so the table always describes what is actually running.
``KNOWN_LICENSES`` (streamdesk.resources.licenses) lists the components; its licences are only the
fallback for a distribution whose metadata carries no usable licence field.
"""

from __future__ import annotations

import email.message
import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import cast

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from streamdesk import __version__
from streamdesk.resources import ICON_SIZES, icon_png, resource_path
from streamdesk.resources.licenses import KNOWN_LICENSES

DESCRIPTION = (
    "Take a GetStream livestream from nothing to live and back, next to OBS Studio: the stream key stays "
    "in your system keyring and goes straight into OBS."
)
LINKS = (
    ("GetStream livestreaming docs", "https://getstream.io/video/docs/api/streaming/overview/"),
    ("obs-websocket", "https://github.com/obsproject/obs-websocket"),
)

# The one copyleft component that decides the terms of the bundle as a whole.
GPL_NOTE = (
    "streamdesk's own code is MIT-licensed. The app bundle includes obsws-python (GPL-3.0), so the bundle as "
    "a whole is distributed under the GPL-3.0; Qt for Python is used under the LGPL-3.0."
)

_CLASSIFIER_LICENSES = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: BSD License": "BSD",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0",
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0",
}


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    license: str
    homepage: str


def _headers(dist: metadata.Distribution) -> email.message.Message:
    """The metadata as the ``email.message.Message`` it is (the typed protocol lacks ``get``)."""
    return cast(email.message.Message, dist.metadata)


def license_of(dist: metadata.Distribution, fallback: str = "") -> str:
    """The SPDX-ish licence of an installed distribution, from the most precise field it has."""
    md = _headers(dist)
    expression = (md.get("License-Expression") or "").strip()
    if expression:
        return expression
    text = (md.get("License") or "").strip()
    # some projects paste the whole licence text into License: only a short one-liner is a name
    if text and "\n" not in text and len(text) <= 80:
        return text
    for classifier in md.get_all("Classifier") or []:
        if classifier in _CLASSIFIER_LICENSES:
            return _CLASSIFIER_LICENSES[classifier]
    return fallback or "see the project"


def _homepage(dist: metadata.Distribution) -> str:
    md = _headers(dist)
    urls = [u.split(",", 1)[-1].strip() for u in md.get_all("Project-URL") or []]
    if md.get("Home-page"):
        urls.insert(0, md["Home-page"].strip())
    return next((u for u in urls if u.startswith("http")), "")


def bundled_components() -> list[Component]:
    """The third-party components present in this installation or bundle, with version and licence."""
    found = []
    for name, fallback in KNOWN_LICENSES.items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found.append(Component(name, dist.version, license_of(dist, fallback), _homepage(dist)))
    return found


def version_details() -> str:
    """What a bug report needs, on one copyable block."""
    frozen = " (bundle)" if getattr(sys, "frozen", False) else ""
    return (
        f"streamdesk {__version__}{frozen}\n"
        f"Python {platform.python_version()}, Qt {qVersion()}\n"
        f"{platform.platform()}"
    )


def app_icon() -> QIcon:
    """The application icon with every rendered size, so the desktop never has to scale one up."""
    icon = QIcon(str(resource_path("streamdesk.svg")))
    for size in ICON_SIZES:
        icon.addFile(str(icon_png(size)))
    return icon


class AboutDialog(QDialog):
    """Modal "About streamdesk": open with ``AboutDialog(parent).exec()``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About streamdesk")
        self.setWindowIcon(app_icon())
        self.resize(620, 520)

        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel(f"<h2 style='margin:0'>streamdesk</h2>version {__version__}")
        title.setObjectName("aboutVersion")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        header = QHBoxLayout()
        header.addWidget(logo)
        header.addWidget(title, 1)

        description = QLabel(DESCRIPTION)
        description.setWordWrap(True)
        links = QLabel(" · ".join(f"<a href='{url}'>{text}</a>" for text, url in LINKS))
        links.setOpenExternalLinks(True)

        self.components = bundled_components()
        self.table = QTableWidget(len(self.components), 3)
        self.table.setObjectName("aboutLicenses")
        self.table.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, comp in enumerate(self.components):
            for col, text in enumerate((comp.name, comp.version, comp.license)):
                item = QTableWidgetItem(text)
                if comp.homepage:
                    item.setToolTip(comp.homepage)
                self.table.setItem(row, col, item)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        note = QLabel(GPL_NOTE)
        note.setWordWrap(True)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy version details")
        copy.setObjectName("aboutCopy")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(version_details()))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(description)
        layout.addWidget(links)
        layout.addWidget(QLabel("Bundled components and their licences:"))
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
