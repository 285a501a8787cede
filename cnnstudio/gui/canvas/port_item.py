"""A port: a small circle on a node (inputs on the top edge, the output on the bottom).

Ports are children of a ``NodeItem`` or a ``GroupItem``; ``node_id``/``index`` say which
graph port they stand for (for a group's ports: the member node behind it). The scene
starts a connection drag when a port is pressed and asks the document to connect when the
drag ends on another port.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
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
        self.setAcceptHoverEvents(True)
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
            self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        c = canvas_colours()
        r = RADIUS + (1.5 if self.hovered else 0.0)
        painter.setPen(QPen(QColor(c.edge_selected if self.hovered else c.edge), 1.5))
        painter.setBrush(QColor(c.edge if self.connected else c.port))
        painter.drawEllipse(QPointF(0, 0), r, r)

    def hoverEnterEvent(self, event: object) -> None:  # type: ignore[override]
        self.hovered = True
        self.update()

    def hoverLeaveEvent(self, event: object) -> None:  # type: ignore[override]
        self.hovered = False
        self.update()
