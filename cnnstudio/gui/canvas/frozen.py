"""How a frozen node looks: a snowflake badge at the box's top-left corner and a hatched,
greyed body. A collapsed group shows the badge when some of its weighted members are frozen:
filled when all are, outlined (a partial badge) when only some are.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

#: the badge's ice blue; the hatching over a frozen body
FROZEN_COLOUR = "#4a90c8"
HATCH_COLOUR = "#8fb4d4"


class FrozenBadge(QGraphicsItem):
    """The snowflake mark; ``partial`` when only some of a group's weighted nodes are frozen."""

    def __init__(self, parent: QGraphicsItem, x: float, y: float) -> None:
        super().__init__(parent)
        self.setZValue(3)
        self.setPos(x, y)
        self.partial = False
        self.setVisible(False)

    def set_counts(self, frozen: int, weighted: int) -> None:
        """Show the badge when ``frozen`` > 0; partial when fewer than ``weighted``."""
        self.setVisible(frozen > 0)
        self.partial = 0 < frozen < weighted
        if weighted == 1:
            self.setToolTip("Frozen: its parameters are not trained")
        else:
            self.setToolTip(f"{frozen} of {weighted} weighted nodes frozen")
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(-10, -10, 20, 20)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        ice = QColor(FROZEN_COLOUR)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(ice if self.partial else QColor("white"), 1.5))
        painter.setBrush(QColor("white") if self.partial else ice)
        painter.drawEllipse(QPointF(0, 0), 9, 9)
        pen = QPen(ice if self.partial else QColor("white"), 1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        arms = [QLineF(QPointF(0, 0), QPointF(6 * math.cos(a), 6 * math.sin(a)))
                for a in (math.pi / 6 + i * math.pi / 3 for i in range(6))]
        painter.drawLines(arms)


def paint_frozen_body(painter: QPainter, rect: QRectF) -> None:
    """Grey out and hatch a frozen node's body (drawn over the plain body)."""
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(128, 128, 128, 40))
    painter.drawRoundedRect(rect, 6, 6)
    painter.setBrush(QBrush(QColor(HATCH_COLOUR), Qt.BrushStyle.BDiagPattern))
    painter.drawRoundedRect(rect, 6, 6)
