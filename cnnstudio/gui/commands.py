"""Undoable edits: small reversible steps over the core ``Graph``, and the undo command.

Each edit (``AddNode``, ``RemoveNode``, ``Connect``...) calls only ``Graph`` edit methods:
``do()`` applies it and ``undo()`` reverses it. ``RemoveNode`` remembers the node and the
edges the graph removed with it and restores both; ``Move`` stores old and new positions.
``Document.edit()`` applies edits one after another (so a refused edit raises before
anything reaches the undo stack and the edits already made are reversed), then pushes one
``EditCommand`` holding them all: a single edit or a macro (paste, duplicate, layout).
``SetCollapsed`` changes view state held by the document (a collapsed group), not the graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtGui import QUndoCommand

from cnnstudio.core.graph import Edge, Graph

if TYPE_CHECKING:
    from cnnstudio.gui.document import Document


class Edit(Protocol):
    def do(self) -> None: ...

    def undo(self) -> None: ...


class AddNode:
    def __init__(self, graph: Graph, kind: str, params: dict[str, Any] | None = None, *,
                 name: str | None = None, position: tuple[float, float] = (0.0, 0.0),
                 trainable: bool = True, group: str | None = None) -> None:
        self.graph, self.kind, self.params = graph, kind, dict(params or {})
        self.name, self.position, self.trainable, self.group = name, position, trainable, group
        self.node_id: str | None = None

    def do(self) -> None:
        node = self.graph.add_node(self.kind, self.params, name=self.name,
                                   position=self.position, node_id=self.node_id,
                                   trainable=self.trainable, group=self.group)
        self.node_id, self.name = node.id, node.name

    def undo(self) -> None:
        assert self.node_id is not None
        self.graph.remove_node(self.node_id)


class RemoveNode:
    """Remove a node; undo puts it back with the same id and reconnects its edges."""

    def __init__(self, graph: Graph, node_id: str) -> None:
        self.graph, self.node_id = graph, node_id
        self.removed: list[Edge] = []
        self._saved: dict[str, Any] = {}

    def do(self) -> None:
        n = self.graph.node(self.node_id)
        self._saved = {"kind": n.kind, "params": dict(n.params), "name": n.name,
                       "position": n.position, "trainable": n.trainable, "group": n.group}
        self.removed = self.graph.remove_node(self.node_id)

    def undo(self) -> None:
        s = self._saved
        self.graph.add_node(s["kind"], s["params"], name=s["name"], position=s["position"],
                            node_id=self.node_id, trainable=s["trainable"], group=s["group"])
        for e in self.removed:
            self.graph.connect(e.src, e.dst, e.port)


class Connect:
    def __init__(self, graph: Graph, src: str, dst: str, port: int = 0) -> None:
        self.graph, self.src, self.dst, self.port = graph, src, dst, port

    def do(self) -> None:
        self.graph.connect(self.src, self.dst, self.port)

    def undo(self) -> None:
        self.graph.disconnect(self.dst, self.port)


class Disconnect:
    def __init__(self, graph: Graph, dst: str, port: int = 0) -> None:
        self.graph, self.dst, self.port = graph, dst, port
        self.src = ""

    def do(self) -> None:
        self.src = self.graph.disconnect(self.dst, self.port).src

    def undo(self) -> None:
        self.graph.connect(self.src, self.dst, self.port)


class SetParam:
    def __init__(self, graph: Graph, node_id: str, name: str, value: Any) -> None:
        self.graph, self.node_id, self.name, self.value = graph, node_id, name, value
        self.old: Any = None

    def do(self) -> None:
        self.old = self.graph.node(self.node_id).params[self.name]
        self.graph.set_param(self.node_id, self.name, self.value)

    def undo(self) -> None:
        self.graph.set_param(self.node_id, self.name, self.old)


class Rename:
    def __init__(self, graph: Graph, node_id: str, name: str) -> None:
        self.graph, self.node_id, self.name, self.old = graph, node_id, name, ""

    def do(self) -> None:
        self.old = self.graph.node(self.node_id).name
        self.graph.rename(self.node_id, self.name)

    def undo(self) -> None:
        self.graph.rename(self.node_id, self.old)


class SetTrainable:
    """Freeze (``trainable`` False) or unfreeze a node; undo restores its previous flag."""

    def __init__(self, graph: Graph, node_id: str, trainable: bool) -> None:
        self.graph, self.node_id, self.trainable = graph, node_id, trainable
        self.old = True

    def do(self) -> None:
        self.old = self.graph.node(self.node_id).trainable
        self.graph.set_trainable(self.node_id, self.trainable)

    def undo(self) -> None:
        self.graph.set_trainable(self.node_id, self.old)


class SetGroup:
    def __init__(self, graph: Graph, node_id: str, group: str | None) -> None:
        self.graph, self.node_id, self.group = graph, node_id, group
        self.old: str | None = None

    def do(self) -> None:
        self.old = self.graph.node(self.node_id).group
        self.graph.set_group(self.node_id, self.group)

    def undo(self) -> None:
        self.graph.set_group(self.node_id, self.old)


class Move:
    """Move nodes: ``moves`` maps a node id to (old position, new position)."""

    def __init__(self, graph: Graph,
                 moves: dict[str, tuple[tuple[float, float], tuple[float, float]]]) -> None:
        self.graph, self.moves = graph, moves

    def do(self) -> None:
        for nid, (_, new) in self.moves.items():
            self.graph.move(nid, new)

    def undo(self) -> None:
        for nid, (old, _) in self.moves.items():
            self.graph.move(nid, old)


class SetCollapsed:
    """Collapse or expand a group on the canvas (view state kept by the document)."""

    def __init__(self, doc: Document, group: str, collapsed: bool) -> None:
        self.doc, self.group, self.collapsed = doc, group, collapsed
        self.was = False

    def do(self) -> None:
        self.was = self.group in self.doc.collapsed
        self.doc.set_collapsed_state(self.group, self.collapsed)

    def undo(self) -> None:
        self.doc.set_collapsed_state(self.group, self.was)


class EditCommand(QUndoCommand):
    """One entry of the undo stack: edits already applied once before the push."""

    def __init__(self, text: str, edits: list[Edit]) -> None:
        super().__init__(text)
        self.edits = edits
        self._applied = True

    def redo(self) -> None:
        if self._applied:  # push() calls redo(); the edits ran before the push
            self._applied = False
            return
        for e in self.edits:
            e.do()

    def undo(self) -> None:
        for e in reversed(self.edits):
            e.undo()
