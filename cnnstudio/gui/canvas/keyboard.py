"""The canvas without a mouse: moving the selection along edges, nudging, adding after the
selected node, and connecting / disconnecting through searchable lists.

``CanvasKeys`` belongs to a ``CanvasView``, whose ``keyPressEvent`` asks it first:

- arrows move the selection along the graph: Down to a consumer, Up to a producer,
  Left / Right to a sibling (a node sharing a producer or a consumer, else one on the same
  row); with nothing selected, any arrow selects the first node;
- Shift + arrow nudges the selection by one grid step, Alt + arrow by one unit (undoable);
  Ctrl + arrow pans the view; Escape clears the selection;
- after Delete the producer of the removed node is selected (``survivor``);
- ``add_after_selection`` (palette Enter, quick-add) puts a new node below the one selected
  node and feeds it from there, so typing kinds builds a chain;
- ``open_connect`` (Connect To...) lists the nodes with a free input that the selected
  node's output may feed (no cycle, its shape accepted); Enter makes the edge, one undo step;
  ``open_disconnect`` (Disconnect...) lists the selected node's edges and Enter removes one.

The single selected node or group also takes the scene's focus item, so it is drawn with a
focus ring while the canvas has the keyboard focus (``node_item.paint_box``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGraphicsItem
from shiboken6 import isValid

from cnnstudio.core.errors import GraphError
from cnnstudio.core.layers import ShapeProblem
from cnnstudio.core.layout import X_GAP, Y_GAP
from cnnstudio.gui.canvas.group_item import GroupItem
from cnnstudio.gui.canvas.node_item import HEIGHT, WIDTH, NodeItem
from cnnstudio.gui.canvas.scene import GRID
from cnnstudio.gui.panels.quick_add import ChoicePopup, Entry

if TYPE_CHECKING:
    from cnnstudio.gui.canvas.view import CanvasView

#: the canvas keys that are not menu actions, for Help > Keyboard Shortcuts and the docs
CANVAS_KEYS = (
    ("Down / Up", "Canvas: select a consumer / a producer of the selected node"),
    ("Left / Right", "Canvas: select the sibling to the left / right"),
    ("Shift+Arrows", "Canvas: nudge the selection one grid step"),
    ("Alt+Arrows", "Canvas: nudge the selection one unit"),
    ("Ctrl+Arrows", "Canvas: pan the view"),
    ("Esc", "Canvas: clear the selection; in a list, close it"),
    ("Up / Down, Enter", "In a search box or list: move, then add or choose"),
)

Key = Qt.Key
ARROWS = {Key.Key_Left: (-1, 0), Key.Key_Right: (1, 0), Key.Key_Up: (0, -1),
          Key.Key_Down: (0, 1)}
Mod = Qt.KeyboardModifier
PAN_STEP = 60


def _members(item: QGraphicsItem) -> set[str]:
    if isinstance(item, NodeItem):
        return {item.node_id}
    if isinstance(item, GroupItem):
        return set(item.members)
    return set()


class CanvasKeys:
    def __init__(self, view: CanvasView) -> None:
        self.view = view
        self.scene = view.canvas
        self.picker = ChoicePopup(view)
        self.picker.chosen.connect(self._picked)
        self._picking = ""
        self.scene.selectionChanged.connect(self._follow_selection)
        self.scene.focusItemChanged.connect(self._repaint_focus)

    # ------------------------------------------------------------ keys
    def key_press(self, event: QKeyEvent) -> bool:
        """Handle a key pressed on the canvas; False leaves it to the view."""
        key, mods = event.key(), event.modifiers() & ~Mod.KeypadModifier
        if key == Key.Key_Escape and mods == Mod.NoModifier and self.scene.selectedItems():
            self.scene.clearSelection()
            self.scene.clear_edge_selection()
            return True
        if key not in ARROWS or self.scene.doc is None:
            return False
        dx, dy = ARROWS[Key(key)]
        if mods == Mod.NoModifier:
            self.step(Key(key))
        elif mods == Mod.ShiftModifier:
            self.nudge(dx * GRID, dy * GRID)
        elif mods == Mod.AltModifier:
            self.nudge(dx, dy)
        elif mods == Mod.ControlModifier:
            self.view.pan_by(dx * PAN_STEP, dy * PAN_STEP)
        else:
            return False
        return True

    def current(self) -> QGraphicsItem | None:
        """The one selected node or group item, if exactly one is selected."""
        items = [i for i in self.scene.selectedItems() if isinstance(i, NodeItem | GroupItem)]
        return items[0] if len(items) == 1 else None

    def step(self, key: Key) -> None:
        """Select the neighbour of the selected item in the arrow's direction."""
        doc = self.scene.doc
        assert doc is not None
        item = self.current()
        if item is None:
            order, cyclic = doc.graph.topo_order()
            first = (order + cyclic)[:1]
            if first:
                self._select(self.scene.item_for(first[0]))
            return
        graph, cur = doc.graph, _members(item)
        down = {e.dst for m in cur for e in graph.outputs_of(m)} - cur
        up = {e.src for m in cur for e in graph.inputs_of(m) if e is not None} - cur
        if key in (Key.Key_Down, Key.Key_Up):
            found = self._items(down if key == Key.Key_Down else up) - {item}
            if found:  # the nearest one
                p = item.pos()
                self._select(min(found, key=lambda i: (abs(i.pos().x() - p.x())
                                                       + abs(i.pos().y() - p.y()), i.pos().x())))
            return
        kin = {e.dst for p in up for e in graph.outputs_of(p)}
        kin |= {e.src for c in down for e in graph.inputs_of(c) if e is not None}
        row = self._items(kin) | {item}
        if len(row) == 1:  # no siblings: the items on the same row
            row = {i for i in self._items(set(graph.nodes))
                   if abs(i.pos().y() - item.pos().y()) < HEIGHT}
        ordered = sorted(row, key=lambda i: (i.pos().x(), i.pos().y(), id(i)))
        at = ordered.index(item) + (1 if key == Key.Key_Right else -1)
        if 0 <= at < len(ordered):
            self._select(ordered[at])

    def _items(self, ids: set[str]) -> set[QGraphicsItem]:
        return {self.scene.item_for(n) for n in ids if n in self.scene.nodes}

    def _select(self, item: QGraphicsItem) -> None:
        self.scene.clearSelection()
        self.scene.clear_edge_selection()
        item.setSelected(True)
        self.view.ensureVisible(item, 40, 40)

    def survivor(self, removed: list[str]) -> str | None:
        """The node to select once ``removed`` are deleted: the nearest producer of one of
        them that stays, else the nearest consumer, so the keyboard keeps its place."""
        doc = self.scene.doc
        if doc is None:
            return None
        graph, gone = doc.graph, set(removed)
        for nid in removed:
            for edge in graph.inputs_of(nid):
                if edge is not None and edge.src not in gone:
                    return edge.src
        for nid in removed:
            for edge in graph.outputs_of(nid):
                if edge.dst not in gone:
                    return edge.dst
        return None

    def nudge(self, dx: float, dy: float) -> None:
        doc = self.scene.doc
        ids = self.scene.selected_node_ids()
        if doc is None or not ids:
            return
        pos = doc.graph.nodes
        doc.move_nodes({n: (pos[n].position[0] + dx, pos[n].position[1] + dy) for n in ids},
                       "Nudge")
        item = self.current()
        if item is not None:
            self.view.ensureVisible(item, 40, 40)

    # ------------------------------------------------------------ focus ring
    @Slot()
    def _follow_selection(self) -> None:
        if not isValid(self.scene):  # the scene clears its items while it is destroyed
            return
        item = self.current()
        if item is not None:
            if self.scene.focusItem() is not item:
                item.setFocus(Qt.FocusReason.OtherFocusReason)
        elif self.scene.focusItem() is not None:
            self.scene.setFocusItem(None)

    @Slot(QGraphicsItem, QGraphicsItem, Qt.FocusReason)
    def _repaint_focus(self, new: QGraphicsItem | None, old: QGraphicsItem | None,
                       _reason: Qt.FocusReason) -> None:
        for item in (new, old):
            if item is not None:
                item.update()

    # ------------------------------------------------------------ adding
    def add_after_selection(self, kind: str, fallback: QPointF) -> str | None:
        """Add ``kind`` fed from the one selected node, below it; else at ``fallback``."""
        doc = self.scene.doc
        ids = self.scene.selected_node_ids()
        if doc is None:
            return None
        if len(ids) != 1:
            return self._added(self.view.add_kind(kind, fallback))
        x, y = doc.graph.nodes[ids[0]].position
        taken = [n.position for n in doc.graph.nodes.values()]
        y += Y_GAP
        while any(abs(px - x) < WIDTH and abs(py - y) < HEIGHT for px, py in taken):
            x += X_GAP
        return self._added(self.view.add_kind(kind, QPointF(x, y), ids[0]))

    def _added(self, nid: str | None) -> str | None:
        if nid is not None:
            self.view.ensureVisible(self.scene.item_for(nid), 40, 40)
        return nid

    # ------------------------------------------------------------ connecting
    def connect_targets(self, src: str) -> list[tuple[str, int]]:
        """(node, input port) pairs ``src``'s output may feed: a free port, no cycle, and,
        when ``src``'s shape is known, a shape the node's rule accepts."""
        doc = self.scene.doc
        assert doc is not None
        graph, engine = doc.graph, doc.engine
        shape = engine.info(src).shape
        found: list[tuple[str, int]] = []
        for nid, node in graph.nodes.items():
            if nid == src or graph.reaches(nid, src):
                continue
            for port in range(node.input_count):
                if graph.input_edge(nid, port) is not None:
                    continue
                if shape is not None:
                    shapes = []
                    for p in range(node.input_count):
                        edge = graph.input_edge(nid, p)
                        known = engine.info(edge.src).shape if edge is not None else None
                        shapes.append(shape if p == port or known is None else known)
                    try:
                        if min(node.spec.rule(shapes, node.params).shape) < 1:
                            continue
                    except ShapeProblem:
                        continue
                found.append((nid, port))
        sx, sy = graph.nodes[src].position
        return sorted(found, key=lambda t: (graph.nodes[t[0]].position[1] < sy,
                                            abs(graph.nodes[t[0]].position[1] - sy)
                                            + abs(graph.nodes[t[0]].position[0] - sx), t[1]))

    def open_connect(self) -> None:
        """Connect To...: pick a node for the selected node's output to feed."""
        src = self._one_node("connect")
        if src is None:
            return
        graph = self.scene.doc.graph  # type: ignore[union-attr]
        entries = []
        for nid, port in self.connect_targets(src):
            node = graph.nodes[nid]
            where = f", input {port + 1}" if node.input_count > 1 else ""
            entries.append(Entry(f"{node.name} ({node.kind}){where}", (nid, port)))
        if not entries:
            self.scene.refuse(f"No node can take the output of {graph.nodes[src].name}: "
                              "add one first (Tab), or disconnect an input.")
            return
        self._open("connect", entries, f"Connect {graph.nodes[src].name} to: type, Enter")

    def open_disconnect(self) -> None:
        """Disconnect...: pick one of the selected node's edges to remove."""
        nid = self._one_node("disconnect")
        if nid is None:
            return
        graph = self.scene.doc.graph  # type: ignore[union-attr]
        entries = []
        for edge in graph.inputs_of(nid):
            if edge is not None:
                where = f" (input {edge.port + 1})" if graph.nodes[nid].input_count > 1 else ""
                entries.append(Entry(f"from {graph.nodes[edge.src].name}{where}",
                                     (edge.dst, edge.port)))
        for edge in graph.outputs_of(nid):
            entries.append(Entry(f"to {graph.nodes[edge.dst].name}", (edge.dst, edge.port)))
        if not entries:
            self.scene.refuse(f"{graph.nodes[nid].name} has no connections.")
            return
        self._open("disconnect", entries, f"Disconnect {graph.nodes[nid].name}: type, Enter")

    def _one_node(self, verb: str) -> str | None:
        ids = self.scene.selected_node_ids()
        if self.scene.doc is None or len(ids) != 1:
            self.scene.refuse(f"Select one node to {verb}.")
            return None
        return ids[0]

    def _open(self, what: str, entries: list[Entry], placeholder: str) -> None:
        self._picking = what
        item = self.current()
        anchor = item.sceneBoundingRect().bottomLeft() if item is not None else QPointF()
        local = self.view.mapFromScene(anchor)
        if not self.view.viewport().rect().contains(local):
            local = self.view.viewport().rect().center()
        self.picker.open_with(entries, placeholder, self.view.viewport().mapToGlobal(local))

    @Slot(object)
    def _picked(self, data: object) -> None:
        doc = self.scene.doc
        if doc is None or not isinstance(data, tuple):
            return
        dst, port = data
        try:
            if self._picking == "connect":
                src = self.scene.selected_node_ids()
                if len(src) == 1:
                    doc.connect(src[0], dst, port)
            else:
                doc.disconnect(dst, port)
        except GraphError as exc:
            self.scene.refuse(exc.message)
