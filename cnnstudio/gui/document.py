"""The open document: a core ``Graph`` with its ``ShapeEngine``, undo stack, path and state.

The document owns the graph; the canvas and panels only mirror it. Every user edit is a
method here that applies ``commands`` edits and pushes one undo command (see ``edit()``);
a refused edit raises the core's ``GraphError`` before anything is pushed. The modified
flag follows the undo stack's clean state (``cleanChanged``). ``changed`` fires once per
completed edit, undo or redo (the stack's ``indexChanged``), which is when views re-read
shapes; graph events arrive earlier, one per change, for the items that mirror structure.
Collapsed groups are view state kept here and saved in ``metadata["collapsed_groups"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from cnnstudio.core import project_io
from cnnstudio.core.graph import Graph
from cnnstudio.core.layout import COLLAPSE_ABOVE, collapsed_layout, layered_positions
from cnnstudio.core.project_io import Project
from cnnstudio.core.shapes import ShapeEngine
from cnnstudio.gui import clipboard
from cnnstudio.gui.commands import (
    AddNode,
    Connect,
    Disconnect,
    Edit,
    EditCommand,
    Move,
    RemoveNode,
    Rename,
    SetCollapsed,
    SetGroup,
    SetParam,
    SetTrainable,
)
from cnnstudio.gui.layout import fold_shift

#: presets and files with more nodes than this open with every group collapsed
Position = tuple[float, float]


class _Editor:
    def __init__(self) -> None:
        self.done: list[Edit] = []

    def apply(self, edit: Any) -> Any:
        edit.do()
        self.done.append(edit)
        return edit


class Document(QObject):
    changed = Signal()
    modifiedChanged = Signal(bool)
    pathChanged = Signal()
    collapsedChanged = Signal()

    def __init__(self, project: Project | None = None, path: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        project = project or Project(Graph())
        self.graph: Graph = project.graph
        self.name, self.description = project.name, project.description
        self.metadata: dict[str, Any] = dict(project.metadata)
        saved = self.metadata.pop("collapsed_groups", [])
        groups = self.groups()
        self.collapsed: set[str] = {g for g in saved if isinstance(g, str) and g in groups}
        self.path: Path | None = Path(path) if path else None
        self.engine = ShapeEngine(self.graph)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.undo_stack.indexChanged.connect(self._on_index_changed)

    # ------------------------------------------------------------ construction
    @classmethod
    def open(cls, path: str | Path) -> Document:
        """Load a project file (``ProjectFileError`` when it cannot be read)."""
        project = project_io.load(path)
        doc = cls(project, Path(path))
        if "collapsed_groups" not in project.metadata:  # as presets open: compact
            doc.collapse_all_if_large(relayout=True)
        return doc

    def collapse_all_if_large(self, relayout: bool = False) -> None:
        """Collapse every group of a large graph (before it is shown; not undoable).
        With ``relayout``, also lay the collapsed view out compactly (fresh presets)."""
        if len(self.graph.nodes) > COLLAPSE_ABOVE:
            self.collapsed = set(self.groups())
            if relayout:
                for nid, xy in collapsed_layout(self.graph, self.collapsed).items():
                    self.graph.move(nid, xy)

    def close(self) -> None:
        self.engine.close()

    # ------------------------------------------------------------ state
    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def mark_modified(self) -> None:
        """Treat the document as unsaved (a recovered or freshly built one)."""
        self.undo_stack.resetClean()
        self.modifiedChanged.emit(True)

    @property
    def title(self) -> str:
        return self.path.name if self.path else self.name

    def _on_clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    def _on_index_changed(self, _index: int) -> None:
        self.changed.emit()

    def to_project(self) -> Project:
        metadata = dict(self.metadata)
        live = self.groups()
        if self.collapsed & set(live):
            metadata["collapsed_groups"] = sorted(self.collapsed & set(live))
        return Project(self.graph, self.name, self.description, metadata)

    def save(self, path: str | Path | None = None) -> None:
        """Write the project atomically and mark the document clean."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("no path to save to")
        project_io.save(self.to_project(), target)
        if target != self.path:
            self.path = target
            self.pathChanged.emit()
        self.undo_stack.setClean()

    def groups(self) -> dict[str, list[str]]:
        """Group name -> member node ids, in graph order."""
        out: dict[str, list[str]] = {}
        for node in self.graph.nodes.values():
            if node.group:
                out.setdefault(node.group, []).append(node.id)
        return out

    def set_collapsed_state(self, group: str, collapsed: bool) -> None:
        if collapsed == (group in self.collapsed):
            return
        if collapsed:
            self.collapsed.add(group)
        else:
            self.collapsed.discard(group)
        self.collapsedChanged.emit()

    # ------------------------------------------------------------ edits
    @contextmanager
    def edit(self, text: str) -> Iterator[_Editor]:
        """Apply edits through the yielded editor; push them as one undo command."""
        ed = _Editor()
        try:
            yield ed
        except BaseException:
            for e in reversed(ed.done):
                e.undo()
            raise
        if ed.done:
            self.undo_stack.push(EditCommand(text, ed.done))

    def add_node(self, kind: str, position: Position = (0.0, 0.0), *,
                 params: dict[str, Any] | None = None, feed_from: str | None = None) -> str:
        """Add a ``kind`` node; with ``feed_from``, connect that node's output to it."""
        with self.edit(f"Add {kind}") as ed:
            add = ed.apply(AddNode(self.graph, kind, params, position=position))
            if feed_from is not None and self.graph.node(add.node_id).input_count > 0:
                ed.apply(Connect(self.graph, feed_from, add.node_id, 0))
        return str(add.node_id)

    def remove(self, node_ids: Iterable[str], edges: Iterable[tuple[str, int]] = ()) -> None:
        """Delete edges (by their input end) and nodes, as one undo step."""
        ids = [nid for nid in node_ids if nid in self.graph.nodes]
        edges = [(d, p) for d, p in edges
                 if d not in ids and self.graph.input_edge(d, p) is not None]
        if not ids and not edges:
            return
        what = f"{len(ids)} node{'s' * (len(ids) != 1)}" if ids else "edge"
        with self.edit(f"Delete {what}") as ed:
            for dst, port in edges:
                ed.apply(Disconnect(self.graph, dst, port))
            for nid in ids:
                ed.apply(RemoveNode(self.graph, nid))

    def connect(self, src: str, dst: str, port: int = 0) -> None:
        a, b = self.graph.node(src).name, self.graph.node(dst).name
        with self.edit(f"Connect {a} -> {b}") as ed:
            ed.apply(Connect(self.graph, src, dst, port))

    def disconnect(self, dst: str, port: int = 0) -> None:
        with self.edit(f"Disconnect {self.graph.node(dst).name}") as ed:
            ed.apply(Disconnect(self.graph, dst, port))

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        node = self.graph.node(node_id)
        if _coerced(node, name, value) == node.params[name]:
            return
        with self.edit(f"Set {node.name}.{name}") as ed:
            ed.apply(SetParam(self.graph, node_id, name, value))

    def rename(self, node_id: str, name: str) -> None:
        old = self.graph.node(node_id).name
        if name != old:
            with self.edit(f"Rename {old} to {name}") as ed:
                ed.apply(Rename(self.graph, node_id, name))

    def set_trainable(self, node_id: str, trainable: bool) -> None:
        """Freeze or unfreeze one node (the inspector's Trainable checkbox)."""
        self.graph.node(node_id)  # an unknown id raises the core's error
        self.set_trainable_nodes([node_id], trainable)

    def weighted_nodes(self, node_ids: Iterable[str]) -> list[str]:
        """The given nodes that have weights to train (as ``presets_torch.weighted_nodes``)."""
        return [nid for nid in dict.fromkeys(node_ids)
                if nid in self.graph.nodes and self.graph.nodes[nid].spec.has_weights]

    def set_trainable_nodes(self, node_ids: Iterable[str], trainable: bool) -> list[str]:
        """Freeze or unfreeze the weighted nodes among ``node_ids`` as one undo step; returns
        the ids whose flag changed."""
        ids = [nid for nid in self.weighted_nodes(node_ids)
               if self.graph.nodes[nid].trainable != trainable]
        if ids:
            what = self.graph.nodes[ids[0]].name if len(ids) == 1 else f"{len(ids)} nodes"
            with self.edit(f"{'Unfreeze' if trainable else 'Freeze'} {what}") as ed:
                for nid in ids:
                    ed.apply(SetTrainable(self.graph, nid, trainable))
        return ids

    def move_nodes(self, positions: dict[str, Position], text: str = "Move") -> None:
        moves = {nid: (self.graph.node(nid).position, (float(x), float(y)))
                 for nid, (x, y) in positions.items()}
        moves = {nid: m for nid, m in moves.items() if m[0] != m[1]}
        if moves:
            if text == "Move":
                text = f"Move {len(moves)} node{'s' * (len(moves) != 1)}"
            with self.edit(text) as ed:
                ed.apply(Move(self.graph, moves))

    def auto_layout(self) -> None:
        """Lay the graph out (collapsed groups as single units), as one undoable move."""
        live = self.collapsed & set(self.groups())
        positions = (collapsed_layout(self.graph, live) if live
                     else layered_positions(self.graph))
        self.move_nodes(positions, "Automatic layout")

    def group_nodes(self, node_ids: Iterable[str], name: str, collapse: bool = True) -> None:
        """Put nodes in the group ``name`` and (by default) collapse it into one group node."""
        ids = [nid for nid in node_ids if nid in self.graph.nodes]
        if not ids or not name.strip():
            return
        with self.edit(f"Group {len(ids)} nodes as {name}") as ed:
            for nid in ids:
                ed.apply(SetGroup(self.graph, nid, name))
            if collapse:
                self._fold(ed, [name], True)

    def ungroup(self, group: str) -> None:
        members = self.groups().get(group, [])
        with self.edit(f"Ungroup {group}") as ed:
            self._fold(ed, [group], False)
            for nid in members:
                ed.apply(SetGroup(self.graph, nid, None))

    def set_collapsed(self, groups: Iterable[str], collapsed: bool) -> None:
        """Collapse or expand groups, moving the other nodes to make or close room."""
        names = [g for g in groups if (g in self.collapsed) != collapsed]
        if names:
            verb = "Collapse" if collapsed else "Expand"
            what = names[0] if len(names) == 1 else f"{len(names)} groups"
            with self.edit(f"{verb} {what}") as ed:
                self._fold(ed, names, collapsed)

    def _fold(self, ed: _Editor, names: list[str], collapsed: bool) -> None:
        names = [g for g in names if (g in self.collapsed) != collapsed]
        for g in names:
            ed.apply(SetCollapsed(self, g, collapsed))
        if len(names) == 1:
            members = self.groups().get(names[0], [])
            others = (self.collapsed & set(self.groups())) - {names[0]}
            positions = fold_shift(self.graph, members, not collapsed, others)
        elif names:
            positions = collapsed_layout(self.graph, self.collapsed & set(self.groups()))
        else:
            return
        moves = {nid: (self.graph.nodes[nid].position, xy) for nid, xy in positions.items()
                 if self.graph.nodes[nid].position != xy}
        if moves:
            ed.apply(Move(self.graph, moves))

    # ------------------------------------------------------------ copy and paste
    def copy_data(self, node_ids: Iterable[str]) -> dict[str, Any]:
        return clipboard.copy_nodes(self.graph, node_ids)

    def paste(self, data: dict[str, Any], offset: Position = (40.0, 40.0),
              text: str = "Paste") -> list[str]:
        """Add copies of clipboard nodes (new ids and names); returns the new ids."""
        with self.edit(text) as ed:
            ids = clipboard.paste_nodes(self.graph, data, offset, ed.apply,
                                        set(self.groups()))
        return ids

    def duplicate(self, node_ids: Iterable[str]) -> list[str]:
        return self.paste(self.copy_data(node_ids), text="Duplicate")


def _coerced(node: Any, name: str, value: Any) -> Any:
    """The normalised value, or a marker equal to nothing when the graph will refuse it."""
    try:
        return node.spec.param(name).coerce(value)
    except (ValueError, KeyError):
        return object()
