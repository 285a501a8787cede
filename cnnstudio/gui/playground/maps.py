"""The playground's three pictures: the input image, the kernel and the output map.

Each is a pyqtgraph ``ImageItem`` (row-major: ``image[row, col]`` is what it shows) with a
colour map: grey for values that are never negative, blue-white-red centred on 0 for values
that are (kernels, edge maps), so a zero is always white and the sign is visible; a colour
input is shown in its colours (``show_rgb``) and a filter's channel slices side by side
(``tiles``: small multiples one cell apart, the gaps transparent). The
worked example's crop is outlined on the input and its cells on the output; clicking the
output moves the crop there (``cellClicked(row, col)``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QGraphicsRectItem

GREY = pg.colormap.get("CET-L1")
SIGNED = pg.colormap.get("CET-D1")
NAMES = ("input", "kernel", "output")
TITLES = {"input": "Input", "kernel": "Kernel", "output": "Output"}


def tiles(slices: np.ndarray, per_row: int = 8) -> np.ndarray:
    """(C, kh, kw) slices as one (H, W) picture: side by side (``per_row`` to a row), one
    NaN (transparent) cell between them."""
    c, kh, kw = slices.shape
    cols = min(c, per_row)
    rows = -(-c // cols)
    out = np.full((rows * (kh + 1) - 1, cols * (kw + 1) - 1), np.nan)
    for i in range(c):
        r, q = divmod(i, cols)
        out[r * (kh + 1):r * (kh + 1) + kh, q * (kw + 1):q * (kw + 1) + kw] = slices[i]
    return out


class _ClickableImage(pg.ImageItem):
    clicked = Signal(int, int)

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802  (pyqtgraph's name)
        pos = ev.pos()  # type: ignore[attr-defined]
        image = self.image
        if image is not None and 0 <= pos.y() < image.shape[0] and 0 <= pos.x() < image.shape[1]:
            self.clicked.emit(int(pos.y()), int(pos.x()))
            ev.accept()  # type: ignore[attr-defined]


class MapView(pg.GraphicsLayoutWidget):
    """Input, kernel and output side by side (``items[name].image`` holds the values)."""

    cellClicked = Signal(int, int)

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.items: dict[str, pg.ImageItem] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        self.outlines: dict[str, QGraphicsRectItem] = {}
        for name in NAMES:
            plot = self.addPlot(title=TITLES[name])
            plot.invertY(True)
            plot.setAspectLocked(True)
            plot.hideButtons()
            item = _ClickableImage(axisOrder="row-major") if name == "output" else \
                pg.ImageItem(axisOrder="row-major")
            plot.addItem(item)
            outline = QGraphicsRectItem()
            outline.setPen(pg.mkPen("#ff9800", width=2, cosmetic=True))
            outline.setZValue(10)
            outline.hide()
            plot.addItem(outline)
            self.items[name], self.plots[name], self.outlines[name] = item, plot, outline
        self.items["output"].clicked.connect(self.cellClicked)  # type: ignore[attr-defined]

    def show_array(self, name: str, array: np.ndarray | None, title: str = "") -> None:
        """Show ``array`` (H, W); None clears the picture."""
        item, plot = self.items[name], self.plots[name]
        plot.setTitle(title or TITLES[name])
        if array is None or array.size == 0:
            item.clear()
            self.outlines[name].hide()
            return
        array = np.asarray(array, dtype=np.float64)
        finite = array[np.isfinite(array)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if lo < 0:
            bound = max(-lo, hi, 1e-12)
            item.setColorMap(SIGNED)
            item.setImage(array, levels=(-bound, bound), autoLevels=False)
        else:
            item.setColorMap(GREY)
            item.setImage(array, levels=(0.0, max(hi, 1e-12)), autoLevels=False)
        plot.autoRange(padding=0.02)

    def show_rgb(self, name: str, rgb: np.ndarray, title: str = "") -> None:
        """Show a colour picture, ``rgb`` (3, H, W) in 0..1."""
        item, plot = self.items[name], self.plots[name]
        plot.setTitle(title or TITLES[name])
        item.setLookupTable(None)
        item.setImage(np.ascontiguousarray(np.moveaxis(rgb, 0, -1)), levels=(0.0, 1.0),
                      autoLevels=False)
        plot.autoRange(padding=0.02)

    def outline(self, name: str, row: int, col: int, rows: int, cols: int) -> None:
        """Outline rows x cols cells from (row, col) on one picture."""
        rect = self.outlines[name]
        rect.setRect(QRectF(col, row, cols, rows))
        rect.show()
