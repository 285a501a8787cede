"""Mouse gestures of the canvas scene (a mixin of ``CanvasScene``): dragging a connection
from port to port, clicking an edge to select it, and turning dragged items into one
undoable move.

A connection is asked of the document (``Document.connect``); the core's ``GraphError``
(cycle, port taken...) is shown with its reason in the status bar (``message``) and a
tooltip at the cursor, and nothing changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QGraphicsSceneMouseEvent, QToolTip

from cnnstudio.core.errors import GraphError
from cnnstudio.gui.canvas.edge_item import DragEdge, EdgeItem
from cnnstudio.gui.canvas.port_item import PortItem

if TYPE_CHECKING:
    from cnnstudio.gui.canvas.scene import CanvasScene

    _Base = CanvasScene
else:
    _Base = object


class SceneGestures(_Base):
    def select_edge(self, key: tuple[str, int], add: bool = False) -> None:
        """Highlight one edge (the scene's own edge selection; edges are not Qt-selectable)."""
        if not add:
            self.clearSelection()
            self.clear_edge_selection()
        if key in self.edges:
            self._edge_selection.add(key)
            self.edges[key].set_highlight(True)

    def clear_edge_selection(self) -> None:
        for key in self._edge_selection:
            if key in self.edges:
                self.edges[key].set_highlight(False)
        self._edge_selection = set()

    def request_connection(self, src: str, dst: str, port: int) -> bool:
        """Connect through the document; a refusal is shown with its reason."""
        assert self.doc is not None
        try:
            self.doc.connect(src, dst, port)
        except GraphError as exc:
            self.refuse(exc.message)
            return False
        return True

    def refuse(self, text: str) -> None:
        self.last_message = text
        self.message.emit(text)
        QToolTip.showText(QCursor.pos(), text)

    def port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem) and item.isVisible():
                return item
        return None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.doc is not None:
            port = self.port_at(event.scenePos())
            if port is not None:
                line = DragEdge()
                self.addItem(line)
                self._drag = (port, line)
                line.set_ends(port.scenePos(), event.scenePos())
                event.accept()
                return
            add = bool(event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                            | Qt.KeyboardModifier.ShiftModifier))
            top = next((i for i in self.items(event.scenePos())
                        if i.isVisible() and not isinstance(i, DragEdge)), None)
            if isinstance(top, EdgeItem):
                self.select_edge(top.key, add)
                event.accept()
                return
            if not add:
                self.clear_edge_selection()
            self._user_moving = True
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            port, line = self._drag
            a, b = port.scenePos(), event.scenePos()
            line.set_ends(a, b) if port.is_output else line.set_ends(b, a)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            port, line = self._drag
            self._drag = None
            self.removeItem(line)
            self.finish_connection(port, self.port_at(event.scenePos()))
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if self._user_moving:
            self.commit_moves()
            self._user_moving = False

    def finish_connection(self, start: PortItem, end: PortItem | None) -> bool:
        """End of a drag from ``start``: connect output to input, whichever way it went."""
        if end is None or end is start:
            self.message.emit("Drop the edge on a port to connect it.")
            return False
        if start.is_output == end.is_output:
            self.refuse("Connect an output (bottom of a node) to an input (top of a node).")
            return False
        out, inp = (start, end) if start.is_output else (end, start)
        return self.request_connection(out.node_id, inp.node_id, inp.index)

    def commit_moves(self) -> None:
        """Turn items the user dragged into one undoable move of their nodes."""
        if self.doc is None:
            return
        graph = self.doc.graph
        moves: dict[str, tuple[float, float]] = {}
        for nid, item in self.nodes.items():
            if item.isVisible() and (item.x(), item.y()) != graph.nodes[nid].position:
                moves[nid] = (item.x(), item.y())
        for group in self.groups.values():
            d = group.pos() - group.origin
            if d.x() or d.y():
                for m in group.members:
                    x, y = graph.nodes[m].position
                    moves[m] = (x + d.x(), y + d.y())
        self.doc.move_nodes(moves)

