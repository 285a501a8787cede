"""The canvas view: zoom with the wheel, pan with the middle button (or Space + drag),
rubber-band selection, fit to view, drops from the palette and the Tab quick-add; the other
keys (arrows, nudges, Connect To..., Disconnect...) are ``keyboard.CanvasKeys``.

A drop carries a layer kind under ``KIND_MIME``; the view turns it into
``Document.add_node`` at the drop point (snapped to the grid). Tab opens ``QuickAdd`` at the
cursor; the chosen kind is added there, or below the selected node and fed from it when
exactly one is.
The context menu (``context_actions``: edit, groups, freeze / unfreeze, layout) applies to
the selection; right-clicking an unselected node or group selects it first.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QCursor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QMenu, QWidget

from cnnstudio.core.errors import GraphError
from cnnstudio.gui.canvas.group_item import GroupItem
from cnnstudio.gui.canvas.keyboard import CanvasKeys
from cnnstudio.gui.canvas.node_item import NodeItem
from cnnstudio.gui.canvas.scene import GRID, CanvasScene
from cnnstudio.gui.panels.quick_add import QuickAdd
from cnnstudio.gui.theme import canvas_colours

KIND_MIME = "application/x-cnnstudio-kind"
MIN_SCALE, MAX_SCALE = 0.03, 4.0


def _steps(start: float, stop: float, step: float) -> list[float]:
    n = max(0, math.ceil((stop - start) / step))
    return [start + i * step for i in range(n)]


class CanvasView(QGraphicsView):
    #: a kind was added through a drop or the quick-add (node id)
    nodeAdded = Signal(str)

    def __init__(self, scene: CanvasScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.canvas = scene
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.context_actions: list[object] = []
        self._pan_from: QPoint | None = None
        self._space = False
        self.quick_add = QuickAdd(self)
        self.quick_add.chosen.connect(self._quick_add_chosen)
        self._quick_pos = QPointF()
        self.keys = CanvasKeys(self)

    # ------------------------------------------------------------ zoom and pan
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_SCALE, max(MIN_SCALE, self.zoom * factor))
        f = target / self.zoom
        if not math.isclose(f, 1.0):
            self.scale(f, f)
        self._update_hints()

    def _update_hints(self) -> None:
        """Antialias only where it shows: far out, edges are a few pixels long."""
        self.setRenderHint(QPainter.RenderHint.Antialiasing, self.zoom >= 0.3)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        self.zoom_by(1.0015 ** delta)
        event.accept()

    def fit_all(self) -> None:
        """Fit every visible node in the view (F)."""
        rect = QRectF()
        for item in [*self.canvas.nodes.values(), *self.canvas.groups.values()]:
            if item.isVisible():
                rect = rect.united(item.sceneBoundingRect())
        if rect.isEmpty():
            return
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > 1.25:
            self.zoom_by(1.25 / self.zoom)
        self._update_hints()

    def pan_by(self, dx: int, dy: int) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        middle = event.button() == Qt.MouseButton.MiddleButton
        if middle or (self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            p = event.position().toPoint()
            d = p - self._pan_from
            self._pan_from = p
            self.pan_by(-d.x(), -d.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.keys.key_press(event):
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
        super().keyReleaseEvent(event)

    def event(self, event: QEvent) -> bool:
        # Tab would move the focus; on the canvas it opens the quick-add search instead
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_Tab and not event.modifiers():
            self.open_quick_add()
            return True
        return super().event(event)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        c = canvas_colours()
        painter.fillRect(rect, QColor(c.background))
        if self.zoom < 0.5:
            return
        step = GRID * (1 if self.zoom >= 1.0 else 2)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(QColor(c.grid), 0))
        left, top = math.floor(rect.left() / step) * step, math.floor(rect.top() / step) * step
        lines = [QLineF(x, rect.top(), x, rect.bottom())
                 for x in _steps(left, rect.right(), step)]
        lines += [QLineF(rect.left(), y, rect.right(), y) for y in _steps(top, rect.bottom(), step)]
        painter.drawLines(lines)
        painter.restore()

    # ------------------------------------------------------------ adding nodes
    def add_kind(self, kind: str, scene_pos: QPointF, feed_from: str | None = None) -> str | None:
        doc = self.canvas.doc
        if doc is None:
            return None
        pos = QPointF(round(scene_pos.x() / GRID) * GRID, round(scene_pos.y() / GRID) * GRID)
        try:
            nid = doc.add_node(kind, (pos.x(), pos.y()), feed_from=feed_from)
        except GraphError as exc:
            self.canvas.refuse(exc.message)
            return None
        self.canvas.select_nodes([nid])
        self.nodeAdded.emit(nid)
        return nid

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(KIND_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(KIND_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if not event.mimeData().hasFormat(KIND_MIME):
            super().dropEvent(event)
            return
        kind = bytes(event.mimeData().data(KIND_MIME).data()).decode("utf-8")
        self.add_kind(kind, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()

    def open_quick_add(self) -> None:
        local = self.mapFromGlobal(QCursor.pos())
        if not self.viewport().rect().contains(local):
            local = self.viewport().rect().center()
        self._quick_pos = self.mapToScene(local)
        self.quick_add.popup(self.viewport().mapToGlobal(local))

    @Slot(str)
    def _quick_add_chosen(self, kind: str) -> None:
        self.keys.add_after_selection(kind, self._quick_pos)

    def context_menu(self, pos: QPoint) -> QMenu | None:
        """The canvas menu at viewport point ``pos``; right-clicking a node or group that is
        not selected selects it alone first, so the menu's actions apply to it."""
        if not self.context_actions:
            return None
        item = self.itemAt(pos)
        while item is not None and not isinstance(item, NodeItem | GroupItem):
            item = item.parentItem()
        if item is not None and not item.isSelected():
            self.canvas.clearSelection()
            item.setSelected(True)
        menu = QMenu(self)
        for action in self.context_actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)  # type: ignore[call-overload]
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = self.context_menu(event.pos())
        if menu is not None:
            menu.exec(event.globalPos())
            menu.deleteLater()
