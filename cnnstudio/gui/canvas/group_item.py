"""A collapsed group on the canvas: one node standing for every member of a group.

Collapsing is view state: the member ``NodeItem``s are hidden, edges inside the group are
hidden, and edges that cross the group's border end on this item's outer ports (one input
port per member input fed from outside, one output port per member feeding outside). The
graph itself never changes, so connections survive collapse and expand. Moving the item
moves every member by the same offset (one undoable move). Double-click expands it. When
some weighted members are frozen the detail line starts with "n of m frozen" and the frozen
badge shows (outlined while only some are); all of them frozen hatches the box like a node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cnnstudio.core.shapes import Issue
from cnnstudio.gui.canvas.node_item import HEIGHT, WIDTH, paint_box, setup_box
from cnnstudio.gui.canvas.port_item import PortItem
from cnnstudio.gui.theme import GROUP_COLOUR


class GroupItem(QGraphicsItem):
    def __init__(self, name: str, on_moved: Callable[[QGraphicsItem], None],
                 snap: Callable[[QPointF], QPointF],
                 on_expand: Callable[[str], None]) -> None:
        super().__init__()
        self.name = name
        self._on_moved, self._snap, self._on_expand = on_moved, snap, on_expand
        self.badge, self.frozen_badge = setup_box(self)
        #: frozen members, weighted members; ``frozen`` when every weighted member is
        self.frozen_count = self.weighted_count = 0
        self.frozen = False
        self.members: list[str] = []
        self.inputs: dict[tuple[str, int], PortItem] = {}
        self.outputs: dict[str, PortItem] = {}
        self.origin = QPointF()
        self.detail = self.shape_text = self.count_text = ""
        self.issues: list[Issue] = []

    def rebuild(self, members: list[str], centre: QPointF,
                inputs: list[tuple[str, int]], outputs: list[str]) -> None:
        """Set the members, the position (centre of the members) and the outer ports."""
        self.members = members
        for port in [*self.inputs.values(), *self.outputs.values()]:
            port.setParentItem(None)
            if port.scene() is not None:
                port.scene().removeItem(port)
        self.inputs = {}
        for i, (dst, p) in enumerate(inputs):
            port = PortItem(self, dst, p, False, f"Input of {self.name}")
            port.setPos((i + 1) * WIDTH / (len(inputs) + 1) - WIDTH / 2, -HEIGHT / 2)
            self.inputs[(dst, p)] = port
        self.outputs = {}
        for i, src in enumerate(outputs):
            port = PortItem(self, src, 0, True, f"Output of {self.name}")
            port.setPos((i + 1) * WIDTH / (len(outputs) + 1) - WIDTH / 2, HEIGHT / 2)
            self.outputs[src] = port
        for port in [*self.inputs.values(), *self.outputs.values()]:
            port.connected = True
        self.origin = centre
        self.setPos(centre)

    def set_summary(self, detail: str, shape_text: str, count_text: str,
                    issues: list[Issue], frozen: tuple[int, int] = (0, 0)) -> None:
        """Show the members' summary; ``frozen`` is (frozen, weighted) member counts."""
        self.frozen_count, self.weighted_count = frozen
        self.frozen = 0 < self.weighted_count == self.frozen_count
        if self.frozen_count:
            detail = f"{self.frozen_text} \u00b7 {detail}"
        self.detail, self.shape_text, self.count_text = detail, shape_text, count_text
        self.issues = issues
        self.badge.show_issues(issues)
        self.frozen_badge.set_counts(*frozen)
        self.setToolTip(f"Group {self.name}: {detail}\nDouble-click to expand.")
        self.update()

    @property
    def frozen_text(self) -> str:
        """'n of m frozen' (weighted members), or '' when none is frozen."""
        if not self.frozen_count:
            return ""
        return f"{self.frozen_count} of {self.weighted_count} frozen"

    def input_anchor(self, dst: str, port: int) -> QPointF:
        item = self.inputs.get((dst, port))
        return item.scenePos() if item else self.mapToScene(QPointF(0, -HEIGHT / 2))

    def output_anchor(self, src: str) -> QPointF:
        item = self.outputs.get(src)
        return item.scenePos() if item else self.mapToScene(QPointF(0, HEIGHT / 2))

    def boundingRect(self) -> QRectF:
        return QRectF(-WIDTH / 2 - 2, -HEIGHT / 2 - 8, WIDTH + 8, HEIGHT + 16)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        paint_box(self, painter, option, QColor(GROUP_COLOUR), "group", self.detail,
                  [*self.inputs.values(), *self.outputs.values()], stacked=True)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange:
            return self._snap(value)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self._on_moved(self)
        return super().itemChange(change, value)

    def mouseDoubleClickEvent(self, event: Any) -> None:
        self._on_expand(self.name)
