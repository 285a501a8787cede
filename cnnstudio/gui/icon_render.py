"""Rendering the application icon's SVG to PNGs with Qt, for ``cnnstudio --install-desktop``
(cnnstudio/desktop.py imports this only when it installs, so the CLI stays Qt-free)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: the application object render_pngs made when there was none (kept: Qt wants one only)
_qt_app: object | None = None


class IconRenderError(RuntimeError):
    """Qt could not read the SVG or write a PNG."""


def render_pngs(svg: Path, sizes: tuple[int, ...]) -> dict[int, bytes]:
    """PNG bytes of the SVG at each size (Qt, offscreen when there is no display)."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    global _qt_app  # fonts and image plugins need an application object; it stays alive
    if QGuiApplication.instance() is None:
        _qt_app = QGuiApplication([sys.argv[0] or "cnnstudio"])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise IconRenderError(f"cannot read the icon {svg}")
    pngs: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        saved = image.save(buffer, "PNG")  # type: ignore[call-overload]  # str works
        buffer.close()
        if not saved:
            raise IconRenderError(f"cannot write the {size} px icon as PNG")
        pngs[size] = bytes(data.data())
    return pngs
