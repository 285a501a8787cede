"""Light and dark themes, category colours and category icons.

``apply_theme(app, "light" | "dark")`` sets the application palette and a small stylesheet
(resources/themes/*.qss). The canvas items read ``canvas_colours()`` when they paint, so a
theme switch only needs a scene ``update()``. Category icons are vectors: an icon engine
(``CategoryIconEngine``) paints them with QPainter at the size and device pixel ratio each
use asks for, so they are crisp at any scale and no bitmap is ever upscaled; the app icon
is an SVG file.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QIcon,
    QIconEngine,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QApplication

from cnnstudio.core.colours import CATEGORY_COLOURS, GROUP_COLOUR
from cnnstudio.resources import resource_path


@dataclass(frozen=True)
class CanvasColours:
    background: str
    grid: str
    body: str
    border: str
    text: str
    subtext: str
    selection: str
    edge: str
    edge_selected: str
    error: str
    port: str


LIGHT = CanvasColours("#f4f5f7", "#e0e3e8", "#ffffff", "#b9bec7", "#1d2330", "#5b6472",
                      "#ff9f1c", "#7d8694", "#ff9f1c", "#d93025", "#ffffff")
DARK = CanvasColours("#1e2127", "#2a2e36", "#2c313a", "#4a505c", "#e6e9ef", "#a3abb9",
                     "#ffb347", "#8a93a3", "#ffb347", "#ff5c52", "#3a404b")

_state = {"name": "light"}
_icons: dict[str, QIcon] = {}


def current_theme() -> str:
    return _state["name"]


def canvas_colours() -> CanvasColours:
    return DARK if _state["name"] == "dark" else LIGHT


def category_colour(category: str) -> QColor:
    return QColor(CATEGORY_COLOURS.get(category, GROUP_COLOUR))


def _palette(name: str) -> QPalette:
    R = QPalette.ColorRole  # noqa: N806
    pal = QPalette()
    if name == "dark":
        colours = {
            R.Window: "#262a31", R.WindowText: "#e6e9ef",
            R.Base: "#1e2127", R.AlternateBase: "#2a2e36",
            R.Text: "#e6e9ef", R.Button: "#30353e",
            R.ButtonText: "#e6e9ef", R.Highlight: "#3d7bd9",
            R.HighlightedText: "#ffffff", R.ToolTipBase: "#30353e",
            R.ToolTipText: "#e6e9ef", R.PlaceholderText: "#8a93a3",
            R.Link: "#6fa8ff", R.Mid: "#3a404b",
        }
    else:
        colours = {
            R.Window: "#eef0f3", R.WindowText: "#1d2330",
            R.Base: "#ffffff", R.AlternateBase: "#f4f5f7",
            R.Text: "#1d2330", R.Button: "#e4e7ec",
            R.ButtonText: "#1d2330", R.Highlight: "#2f6db5",
            R.HighlightedText: "#ffffff", R.ToolTipBase: "#ffffe8",
            R.ToolTipText: "#1d2330", R.PlaceholderText: "#8a93a3",
            R.Link: "#2f6db5", R.Mid: "#c9ced6",
        }
    for role, colour in colours.items():
        pal.setColor(role, QColor(colour))
    disabled = QColor("#7d8694")
    for role in (R.Text, R.ButtonText,
                 R.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return pal


def apply_theme(app: QApplication, name: str) -> None:
    """Switch the whole application to the light or dark theme."""
    name = "dark" if name == "dark" else "light"
    _state["name"] = name
    app.setStyle("Fusion")
    app.setPalette(_palette(name))
    qss = resource_path(f"themes/{name}.qss")
    app.setStyleSheet(qss.read_text(encoding="utf-8") if qss.is_file() else "")


def app_icon() -> QIcon:
    return QIcon(str(resource_path("icons/cnnstudio.svg")))


def category_icon(category: str) -> QIcon:
    """A rounded square in the category colour with a small white glyph (any size)."""
    if category not in _icons:
        _icons[category] = QIcon(CategoryIconEngine(category))
    return _icons[category]


class CategoryIconEngine(QIconEngine):
    """Paints a category icon for each size and device pixel ratio asked for."""

    def __init__(self, category: str) -> None:
        super().__init__()
        self.category = category

    def clone(self) -> QIconEngine:
        return CategoryIconEngine(self.category)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode,
              state: QIcon.State) -> None:
        painter.save()
        side = min(rect.width(), rect.height())
        painter.translate(rect.x() + (rect.width() - side) / 2,
                          rect.y() + (rect.height() - side) / 2)
        painter.scale(side / 20.0, side / 20.0)  # glyphs are drawn on a 20 x 20 grid
        _paint_icon(painter, self.category)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State,
                     scale: float) -> QPixmap:
        return _draw_icon(self.category, min(size.width(), size.height()), scale)


def _draw_icon(category: str, size: int, ratio: float) -> QPixmap:
    """The icon as a pixmap of ``size`` logical pixels at device pixel ratio ``ratio``."""
    pm = QPixmap(round(size * ratio), round(size * ratio))
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.scale(size / 20.0, size / 20.0)  # glyphs are drawn on a 20 x 20 grid
    _paint_icon(p, category)
    p.end()
    return pm


def _paint_icon(p: QPainter, category: str) -> None:
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(category_colour(category))
    p.drawRoundedRect(QRectF(1, 1, 18, 18), 4, 4)
    pen = QPen(QColor("white"), 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
               Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    _GLYPHS.get(category, _glyph_group)(p)


def _glyph_input(p: QPainter) -> None:
    p.drawLine(QPointF(10, 4.5), QPointF(10, 14))
    p.drawPolyline([QPointF(6.5, 10.5), QPointF(10, 14), QPointF(13.5, 10.5)])
    p.drawLine(QPointF(5.5, 15.5), QPointF(14.5, 15.5))


def _glyph_conv(p: QPainter) -> None:
    for i in range(3):
        for j in range(3):
            p.drawRect(QRectF(5 + 3.6 * i, 5 + 3.6 * j, 2.4, 2.4))


def _glyph_pool(p: QPainter) -> None:
    p.drawRect(QRectF(4.5, 4.5, 6, 6))
    p.drawRect(QRectF(11.5, 11.5, 4, 4))
    p.drawLine(QPointF(10.5, 10.5), QPointF(11.5, 11.5))


def _glyph_dense(p: QPainter) -> None:
    left = [QPointF(5, 6), QPointF(5, 10), QPointF(5, 14)]
    right = [QPointF(15, 7.5), QPointF(15, 12.5)]
    pen = p.pen()
    pen.setWidthF(0.9)
    p.setPen(pen)
    for a in left:
        for b in right:
            p.drawLine(a, b)
    p.setBrush(QColor("white"))
    for pt in left + right:
        p.drawEllipse(pt, 1.5, 1.5)


def _glyph_norm(p: QPainter) -> None:
    path = QPainterPath(QPointF(3.5, 15))
    path.cubicTo(QPointF(8, 15), QPointF(8, 4.5), QPointF(10, 4.5))
    path.cubicTo(QPointF(12, 4.5), QPointF(12, 15), QPointF(16.5, 15))
    p.drawPath(path)


def _glyph_activation(p: QPainter) -> None:
    p.drawPolyline([QPointF(4, 13.5), QPointF(10, 13.5), QPointF(16, 5.5)])


def _glyph_dropout(p: QPainter) -> None:
    for i, (x, y) in enumerate(((6, 6), (14, 6), (6, 14), (14, 14), (10, 10))):
        if i % 2 == 0:
            p.setBrush(QColor("white"))
        else:
            p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QPointF(x, y), 1.8, 1.8)


def _glyph_merge(p: QPainter) -> None:
    p.drawPolyline([QPointF(5, 4.5), QPointF(10, 10), QPointF(15, 4.5)])
    p.drawLine(QPointF(10, 10), QPointF(10, 15.5))


def _glyph_reshape(p: QPainter) -> None:
    p.drawRect(QRectF(4, 4.5, 5, 5))
    p.drawLine(QPointF(11.5, 7), QPointF(16, 7))
    p.drawLine(QPointF(4, 13.5), QPointF(16, 13.5))
    p.drawLine(QPointF(4, 16), QPointF(16, 16))


def _glyph_group(p: QPainter) -> None:
    p.drawRoundedRect(QRectF(4, 4, 12, 12), 2, 2)
    p.drawLine(QPointF(7, 10), QPointF(13, 10))
    p.drawLine(QPointF(10, 7), QPointF(10, 13))


_GLYPHS = {
    "Input": _glyph_input, "Convolution": _glyph_conv, "Pooling": _glyph_pool,
    "Dense": _glyph_dense, "Normalisation": _glyph_norm, "Activation": _glyph_activation,
    "Dropout": _glyph_dropout, "Merge": _glyph_merge, "Reshape": _glyph_reshape,
}
