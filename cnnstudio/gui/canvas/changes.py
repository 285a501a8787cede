"""How a node changed since a run looks ("Show Changes Since Run..."): a coloured outline
around the box and a badge at its bottom-right corner, "+" for a node added since the run and
"~" for a changed one (parameters or inputs). The item draws only; it takes no mouse buttons,
so clicks and drags reach the node under it, and the node's tooltip carries the changes.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

#: highlight kind -> (colour, badge symbol)
CHANGE_LOOKS = {"added": ("#2da44e", "+"), "changed": ("#f08c00", "~")}
GAP = 4.0


class ChangeMark(QGraphicsItem):
    """The outline and badge of an added or changed node; hidden when ``kind`` is None."""

    def __init__(self, parent: QGraphicsItem, width: float, height: float) -> None:
        super().__init__(parent)
        self.kind: str | None = None
        self.box = QRectF(-width / 2, -height / 2, width, height)
        self.setZValue(2)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setVisible(False)

    def set_kind(self, kind: str | None) -> None:
        if kind is not None and kind not in CHANGE_LOOKS:
            raise ValueError(f"unknown change {kind!r}; expected one of {sorted(CHANGE_LOOKS)}")
        self.kind = kind
        self.setVisible(kind is not None)
        self.update()

    @property
    def colour(self) -> QColor:
        return QColor(CHANGE_LOOKS[self.kind or "changed"][0])

    def boundingRect(self) -> QRectF:
        return self.box.adjusted(-GAP - 2, -GAP - 2, GAP + 12, GAP + 12)

    def shape(self) -> QPainterPath:
        """Only the ring and the badge: the node's body stays the node's."""
        path = QPainterPath()
        path.setFillRule(Qt.FillRule.OddEvenFill)
        path.addRect(self.box.adjusted(-GAP - 2, -GAP - 2, GAP + 2, GAP + 2))
        path.addRect(self.box)
        path.addEllipse(self.box.bottomRight(), 10, 10)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if self.kind is None:
            return
        colour = self.colour
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colour, 3))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(self.box.adjusted(-GAP, -GAP, GAP, GAP), 8, 8)
        centre = self.box.bottomRight() - QPointF(2, 2)
        painter.setPen(QPen(QColor("white"), 1.5))
        painter.setBrush(colour)
        painter.drawEllipse(centre, 9, 9)
        font = painter.font()
        font.setBold(True)
        font.setPixelSize(14)
        painter.setFont(font)
        painter.drawText(QRectF(centre.x() - 9, centre.y() - 10, 18, 18),
                         Qt.AlignmentFlag.AlignCenter, CHANGE_LOOKS[self.kind][1])
