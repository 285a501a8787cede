"""The canvas scene: mirrors a Document's graph as items and turns gestures into edits.

``set_document`` builds the items and subscribes to the graph's events (as
orange-canvas-core's ``set_scheme`` does); each event updates only the items it concerns.
Frozen looks follow ``trainable_changed``. Shapes, counts and error badges (and a collapsed
group's frozen count) are re-read in ``refresh``, once per completed edit (the
document's ``changed``), and only for nodes whose ``NodeInfo`` the shape engine replaced;
``set_keras`` writes them as Keras does (View > Keras Shapes).
Gestures (``gestures.SceneGestures``) become document edits: a drag between ports asks
``Document.connect``, a finished drag of nodes becomes one undoable move. The scene never
edits the graph directly.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QPointF, QRectF, Signal, Slot
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
)

from cnnstudio.core.graph import Edge, GraphEvent, Node
from cnnstudio.core.keras_view import shape_text
from cnnstudio.core.shapes import Issue
from cnnstudio.gui.canvas.edge_item import DragEdge, EdgeItem
from cnnstudio.gui.canvas.gestures import SceneGestures
from cnnstudio.gui.canvas.group_item import GroupItem
from cnnstudio.gui.canvas.node_item import NodeItem, format_count
from cnnstudio.gui.canvas.port_item import PortItem
from cnnstudio.gui.document import Document

GRID = 20.0
MARGIN = 1500.0


class CanvasScene(SceneGestures, QGraphicsScene):
    #: a refused edit or a hint, for the status bar
    message = Signal(str)

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, int], EdgeItem] = {}
        self.groups: dict[str, GroupItem] = {}
        self._node_edges: dict[str, set[tuple[str, int]]] = {}
        self.snap_to_grid = True
        self.keras = False  # Keras' shapes and counts on the nodes (set_keras)
        self.last_message = ""
        self._user_moving = False
        self._quiet = False
        self._groups_dirty = True
        self._graph_issues: list[Issue] | None = None
        self._drag: tuple[PortItem, DragEdge] | None = None
        self._edge_selection: set[tuple[str, int]] = set()

    # ------------------------------------------------------------ document
    def set_document(self, doc: Document) -> None:
        if self.doc is not None:
            self.doc.graph.unsubscribe(self._on_event)
            self.doc.changed.disconnect(self.refresh)
            self.doc.collapsedChanged.disconnect(self._on_collapsed_changed)
        self.clear()
        self.nodes, self.edges, self.groups, self._node_edges = {}, {}, {}, {}
        self._drag, self._graph_issues = None, None
        self._edge_selection = set()
        self.doc = doc
        self._quiet = True
        for node in doc.graph.nodes.values():
            self._add_node_item(node)
        for edge in doc.graph.edges:
            self._add_edge_item(edge)
        self._quiet = False
        doc.graph.subscribe(self._on_event)
        doc.changed.connect(self.refresh)
        doc.collapsedChanged.connect(self._on_collapsed_changed)
        self._groups_dirty = True
        self.refresh()

    def _on_event(self, ev: GraphEvent) -> None:
        assert self.doc is not None
        graph, nid, t = self.doc.graph, ev.node_id or "", ev.type
        if t == "node_added":
            self._add_node_item(graph.nodes[nid])
            self._groups_dirty |= bool(graph.nodes[nid].group)
        elif t == "node_removed":
            item = self.nodes.pop(nid)
            self.removeItem(item)
            self._node_edges.pop(nid, None)
            self._groups_dirty |= bool(ev.old.group)
        elif t == "edge_added" and ev.edge is not None:
            self._add_edge_item(ev.edge)
        elif t == "edge_removed" and ev.edge is not None:
            self._remove_edge_item(ev.edge)
        elif t == "node_moved":
            item = self.nodes[nid]
            x, y = graph.nodes[nid].position
            if (item.x(), item.y()) != (x, y):
                item.setPos(x, y)
            self._groups_dirty |= graph.nodes[nid].group in self.groups
        elif t in ("param_changed", "node_renamed", "trainable_changed"):
            self.nodes[nid].sync(graph.nodes[nid])
            if ev.param == "inputs":
                self._route_node_edges(nid)
        elif t == "group_changed":
            self._groups_dirty = True

    @Slot()
    def _on_collapsed_changed(self) -> None:
        self._groups_dirty = True

    # ------------------------------------------------------------ items
    def _add_node_item(self, node: Node) -> None:
        item = NodeItem(node, self._item_moved, self.snap)
        item.keras = self.keras
        self.nodes[node.id] = item
        self._node_edges.setdefault(node.id, set())
        self.addItem(item)

    def _add_edge_item(self, edge: Edge) -> None:
        item = EdgeItem(edge)
        self.edges[item.key] = item
        self._node_edges.setdefault(edge.src, set()).add(item.key)
        self._node_edges.setdefault(edge.dst, set()).add(item.key)
        self.addItem(item)
        self.nodes[edge.dst].inputs[edge.port].set_connected(True)
        self.nodes[edge.src].output.set_connected(True)
        self._groups_dirty |= bool(self.groups)
        self._route(item)

    def _remove_edge_item(self, edge: Edge) -> None:
        key = (edge.dst, edge.port)
        item = self.edges.pop(key)
        self.removeItem(item)
        self._edge_selection.discard(key)
        for nid in (edge.src, edge.dst):
            self._node_edges.get(nid, set()).discard(key)
        dst = self.nodes.get(edge.dst)
        if dst is not None and edge.port < len(dst.inputs):
            dst.inputs[edge.port].set_connected(False)
        src = self.nodes.get(edge.src)
        if src is not None and self.doc is not None:
            src.output.set_connected(bool(self.doc.graph.outputs_of(edge.src)))
        self._groups_dirty |= bool(self.groups)

    def _group_of(self, nid: str) -> GroupItem | None:
        if not self.groups or self.doc is None:
            return None
        g = self.doc.graph.nodes[nid].group
        return self.groups.get(g) if g else None

    def _route(self, item: EdgeItem) -> None:
        e = item.edge
        gs, gd = self._group_of(e.src), self._group_of(e.dst)
        if gs is not None and gs is gd:
            item.setVisible(False)
            return
        item.setVisible(True)
        a = gs.output_anchor(e.src) if gs else self.nodes[e.src].output_anchor()
        b = gd.input_anchor(e.dst, e.port) if gd else self.nodes[e.dst].input_anchor(e.port)
        item.set_ends(a, b)

    def _route_node_edges(self, nid: str) -> None:
        for key in self._node_edges.get(nid, ()):
            self._route(self.edges[key])

    def _item_moved(self, item: QGraphicsItem) -> None:
        if self._quiet:
            return
        if isinstance(item, NodeItem):
            self._route_node_edges(item.node_id)
        elif isinstance(item, GroupItem):
            for nid in item.members:
                self._route_node_edges(nid)

    def snap(self, pos: QPointF) -> QPointF:
        """Round a dragged item's position to the grid (only while the user drags)."""
        if self._user_moving and self.snap_to_grid:
            return QPointF(round(pos.x() / GRID) * GRID, round(pos.y() / GRID) * GRID)
        return pos

    # ------------------------------------------------------------ shapes and groups
    @Slot()
    def refresh(self) -> None:
        """Re-read shapes and issues of the nodes the engine recomputed; rebuild groups."""
        if self.doc is None:
            return
        analysis = self.doc.engine.analysis()
        infos = analysis.infos
        forced: set[str] = set()
        extra: dict[str, list[Issue]] = {}
        for issue in analysis.graph_issues:
            if issue.node_id is not None:
                extra.setdefault(issue.node_id, []).append(issue)
        if analysis.graph_issues is not self._graph_issues:
            forced = {i.node_id for i in (self._graph_issues or []) if i.node_id} | set(extra)
            self._graph_issues = analysis.graph_issues
        for nid, item in self.nodes.items():
            info = infos.get(nid)
            if info is not None and (info is not item.info or nid in forced):
                item.set_info(info, [*info.issues, *extra.get(nid, [])])
        if self._groups_dirty:
            self._rebuild_groups()
        if self.groups:
            self._summarise_groups()
        self._update_scene_rect()

    def _rebuild_groups(self) -> None:
        assert self.doc is not None
        self._groups_dirty = False
        graph, groups = self.doc.graph, self.doc.groups()
        wanted = {g for g in self.doc.collapsed if g in groups}
        for name in [g for g in self.groups if g not in wanted]:
            self.removeItem(self.groups.pop(name))
        for nid, item in self.nodes.items():
            g = graph.nodes[nid].group
            item.setVisible(not (g and g in wanted))
        self._quiet = True
        for name in sorted(wanted):
            members = groups[name]
            inside = set(members)
            ins = [(m, e.port) for m in members for e in graph.inputs_of(m)
                   if e is not None and e.src not in inside]
            outs = [m for m in members if any(d not in inside for d in graph.successors(m))]
            xs = [graph.nodes[m].position[0] for m in members]
            ys = [graph.nodes[m].position[1] for m in members]
            centre = QPointF((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
            item = self.groups.get(name)
            if item is None:
                item = GroupItem(name, self._item_moved, self.snap, self.expand_group)
                self.groups[name] = item
                self.addItem(item)
            item.rebuild(members, centre, ins, outs)
        self._quiet = False
        for edge in self.edges.values():
            self._route(edge)

    def _summarise_groups(self) -> None:
        assert self.doc is not None
        graph, infos = self.doc.graph, self.doc.engine.infos
        for item in self.groups.values():
            kinds: dict[str, int] = {}
            params, issues = 0, []
            weighted = [m for m in item.members if graph.nodes[m].spec.has_weights]
            frozen = sum(1 for m in weighted if self.nodes[m].frozen)
            for m in item.members:
                kinds[graph.nodes[m].kind] = kinds.get(graph.nodes[m].kind, 0) + 1
                info = infos.get(m)
                if info is not None:
                    params += info.keras_params if self.keras else info.params
                    issues.extend(self.nodes[m].issues)
            last = infos.get(next(iter(item.outputs), item.members[-1]))
            detail = f"{len(item.members)} nodes: " + ", ".join(
                k if n == 1 else f"{n} {k}" for k, n in kinds.items())
            item.set_summary(detail, shape_text(last.shape if last else None, self.keras),
                             f"{format_count(params)} params" if params else "", issues,
                             (frozen, len(weighted)))

    def set_keras(self, on: bool) -> None:
        """Write shapes and parameter counts as Keras does on every node and group, or not."""
        self.keras = on
        for item in self.nodes.values():
            item.keras = on
            if item.info is not None:
                item.set_info(item.info, item.issues)
        if self.groups:
            self._summarise_groups()

    def _update_scene_rect(self) -> None:
        assert self.doc is not None
        pts = [n.position for n in self.doc.graph.nodes.values()] or [(0.0, 0.0)]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        rect = QRectF(min(xs) - MARGIN, min(ys) - MARGIN,
                      max(xs) - min(xs) + 2 * MARGIN, max(ys) - min(ys) + 2 * MARGIN)
        self.setSceneRect(rect.united(self.sceneRect()) if self._user_moving else rect)

    @Slot(str)
    def expand_group(self, name: str) -> None:
        if self.doc is not None:
            self.doc.set_collapsed([name], False)

    # ------------------------------------------------------------ changes since a run
    def set_highlights(self, marks: Mapping[str, str],
                       notes: Mapping[str, str] | None = None) -> None:
        """Mark nodes "added" or "changed" (``changes.py``) with a tooltip note each; every
        other node is plain, so ``set_highlights({})`` clears."""
        for nid, item in self.nodes.items():
            item.set_highlight(marks.get(nid), (notes or {}).get(nid, ""))

    def highlights(self) -> dict[str, str]:
        """Node id -> "added" / "changed" for the nodes marked now."""
        return {nid: item.highlight for nid, item in self.nodes.items() if item.highlight}

    # ------------------------------------------------------------ selection
    def selected_node_ids(self) -> list[str]:
        ids: list[str] = []
        for item in self.selectedItems():
            if isinstance(item, NodeItem):
                ids.append(item.node_id)
            elif isinstance(item, GroupItem):
                ids.extend(item.members)
        return ids

    def selected_edges(self) -> list[tuple[str, int]]:
        return [key for key in self._edge_selection if key in self.edges]

    def restyle(self) -> None:
        """Repaint everything after a theme change (cached pixmaps and edge pens)."""
        for edge in self.edges.values():
            edge.restyle()
        for item in [*self.nodes.values(), *self.groups.values()]:
            item.update()

    def selected_groups(self) -> list[str]:
        return [item.name for item in self.selectedItems() if isinstance(item, GroupItem)]

    def select_nodes(self, ids: list[str]) -> None:
        self.clearSelection()
        for nid in ids:
            group = self._group_of(nid)
            item: QGraphicsItem | None = group if group is not None else self.nodes.get(nid)
            if item is not None:
                item.setSelected(True)

    def item_for(self, nid: str) -> QGraphicsItem:
        """The visible item standing for a node: its own, or its collapsed group's."""
        return self._group_of(nid) or self.nodes[nid]

    def select_all(self) -> None:
        for item in [*self.nodes.values(), *self.groups.values()]:
            if item.isVisible():
                item.setSelected(True)

    def select_groups(self, names: list[str]) -> None:
        self.clearSelection()
        for name in names:
            if name in self.groups:
                self.groups[name].setSelected(True)
