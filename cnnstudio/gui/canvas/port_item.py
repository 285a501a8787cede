"""A port: a small circle on a node (inputs on the top edge, the output on the bottom).

Ports are children of a ``NodeItem`` or a ``GroupItem``; ``node_id``/``index`` say which
graph port they stand for (for a group's ports: the member node behind it). The scene
starts a connection drag when a port is pressed and asks the document to connect when the
drag ends on another port. A port has no painting of its own (``ItemHasNoContents``): its
owner draws it into its cached pixmap with ``paint_port``, so a frame never calls into
Python once per port.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: F401
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnstudio.gui.theme import canvas_colours

RADIUS = 5.5
HIT = 9.0


class PortItem(QGraphicsItem):
    """``is_output`` False: input port ``index`` of ``node_id``; True: its output."""

    def __init__(self, parent: QGraphicsItem, node_id: str, index: int, is_output: bool,
                 label: str = "") -> None:
        super().__init__(parent)
        self.node_id, self.index, self.is_output = node_id, index, is_output
        self.connected = False
        self.hovered = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setZValue(2)
        self.setCursor(Qt.CursorShape.CrossCursor)
        what = "output" if is_output else f"input {index + 1}"
        self.setToolTip(label or f"Drag from this {what} to connect")

    def boundingRect(self) -> QRectF:
        return QRectF(-HIT, -HIT, 2 * HIT, 2 * HIT)

    def scene_anchor(self) -> QPointF:
        return self.scenePos()

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            parent = self.parentItem()
            if parent is not None:
                parent.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        """Never called (no contents); the owner paints ports with ``paint_port``."""


def paint_port(painter: QPainter, port: PortItem) -> None:
    """Draw ``port`` in its owner's coordinates."""
    c = canvas_colours()
    painter.setPen(QPen(QColor(c.edge), 1.5))
    painter.setBrush(QColor(c.edge if port.connected else c.port))
    painter.drawEllipse(port.pos(), RADIUS, RADIUS)
