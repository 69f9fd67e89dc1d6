"""The one place icons are loaded from (importlib.resources, so it works installed and frozen).

Decision: the SVGs the window uses live in the package (``desktop_app/gui/icons``) so
``importlib.resources`` finds them in a checkout, a wheel and a frozen build alike. The top-level
``resources/`` folder is the packaging source (``.desktop`` entry, AppStream icon): it holds a
copy of the app icon, kept identical by a test.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

ICON_PACKAGE = "desktop_app.gui"
ICON_FOLDER = "icons"


def icon_names() -> set[str]:
    """Every icon shipped, by name (file name without ``.svg``)."""
    folder = resources.files(ICON_PACKAGE) / ICON_FOLDER
    return {p.name.removesuffix(".svg") for p in folder.iterdir() if p.name.endswith(".svg")}


def icon_bytes(name: str) -> bytes:
    path = resources.files(ICON_PACKAGE) / ICON_FOLDER / f"{name}.svg"
    if not path.is_file():
        raise KeyError(f"No icon named {name!r}; known icons: {', '.join(sorted(icon_names()))}")
    return path.read_bytes()


@cache
def icon(name: str) -> QIcon:
    """A scalable icon (crisp at any DPI: Qt renders the SVG at the size asked for).

    From a file (a checkout, a wheel, a frozen build), Qt's SVG icon engine renders each size when
    it is first painted: nothing is drawn before the window's first paint (B5). From an archive,
    the sizes are drawn here.
    """
    path = resources.files(ICON_PACKAGE) / ICON_FOLDER / f"{name}.svg"
    if isinstance(path, Path):
        if not path.is_file():
            icon_bytes(name)  # raises the KeyError that names the known icons
        result = QIcon(str(path))
        if not result.isNull():
            return result
    renderer = QSvgRenderer(QByteArray(icon_bytes(name)))
    result = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        image = QPixmap(size, size)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        result.addPixmap(image)
    return result


def pixmap(name: str, size: int) -> QPixmap:
    return icon(name).pixmap(size, size)
