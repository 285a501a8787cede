"""Screenshots taken by the tests (the README's, the journey's and the guide's pictures)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget


def capture(widget: QWidget, path: Path) -> QImage:
    """``widget`` as drawn now, saved to ``path``."""
    for _ in range(5):
        QApplication.processEvents()
    image = widget.grab().toImage()
    path.parent.mkdir(parents=True, exist_ok=True)
    assert image.save(str(path))
    return image


def varied(image: QImage) -> bool:
    """More than a blank rectangle: many distinct colours."""
    small = image.scaled(120, 80)
    colours = {small.pixel(x, y) for x in range(small.width()) for y in range(small.height())}
    return len(colours) > 20
