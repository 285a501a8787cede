"""An edge on the canvas: a vertical cubic curve from an output port down to an input port.

The scene decides where the ends are (a node's port, or a collapsed group's port) and calls
``set_ends``; the item only holds the path and its pen, and Qt paints it natively (no Python
per frame). Edges are not Qt-selectable items: the scene keeps its own edge selection and
calls ``set_highlight``. ``key`` is the input end (dst, port), which identifies an edge in
the core graph. ``DragEdge`` is the dashed curve that follows the mouse while the user drags
a new connection.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from cnnstudio.core.graph import Edge
from cnnstudio.gui.theme import canvas_colours


def curve(a: QPointF, b: QPointF) -> QPainterPath:
    """A smooth S from ``a`` (pointing down) to ``b`` (entering from above)."""
    bend = max(40.0, abs(b.y() - a.y()) * 0.5, abs(b.x() - a.x()) * 0.25)
    path = QPainterPath(a)
    path.cubicTo(QPointF(a.x(), a.y() + bend), QPointF(b.x(), b.y() - bend), b)
    return path


class EdgeItem(QGraphicsPathItem):
    def __init__(self, edge: Edge) -> None:
        super().__init__()
        self.edge = edge
        self.key = (edge.dst, edge.port)
        self.highlighted = False
        self.setZValue(0)
        self._shape: QPainterPath | None = None
        self.restyle()

    def restyle(self) -> None:
        """Set the pen from the theme and the highlight state."""
        c = canvas_colours()
        if self.highlighted:
            self.setPen(QPen(QColor(c.edge_selected), 3.0))
        else:
            self.setPen(QPen(QColor(c.edge), 1.8))

    def set_highlight(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.setZValue(0.5 if on else 0)
            self.restyle()

    def set_ends(self, a: QPointF, b: QPointF) -> None:
        self._shape = None
        self.setPath(curve(a, b))

    def shape(self) -> QPainterPath:
        """A 10-pixel band around the curve, so an edge is easy to click."""
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10)
            self._shape = stroker.createStroke(self.path())
        return self._shape


class DragEdge(QGraphicsPathItem):
    """The provisional edge shown while dragging from a port."""

    def __init__(self) -> None:
        super().__init__()
        pen = QPen(QColor(canvas_colours().edge_selected), 2.0, Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.setZValue(5)

    def set_ends(self, a: QPointF, b: QPointF) -> None:
        self.setPath(curve(a, b))
