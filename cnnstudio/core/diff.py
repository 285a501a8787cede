"""The architecture diff: what changed in a network's design between two graphs.

``diff_graphs(old, new)`` matches the nodes of two graphs (two runs' designs, or a run's
design and the open one): by name first, then by id (so a renamed node still matches). A
matched pair whose kind differs counts as one node removed and one added. For each matched
pair it lists every parameter whose value changed (old -> new) and whether its inputs were
rewired (each input port fed by a different node); a rename alone is no change (it is listed
in ``renamed``, apart). Positions, groups and frozen flags are not the architecture and are
ignored. The parameter and mult-add totals of both graphs come from the shape engine.

The result is plain data (``to_dict`` for JSON) with a readable ``text()``. Torch-free and
Qt-free: ``cnnstudio diff``, the Compare Runs window and the canvas's "changes since run"
all use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnnstudio.core.graph import Graph
from cnnstudio.core.shapes import Analysis, analyse


@dataclass(frozen=True)
class NodeRef:
    """One node of one of the two graphs, with its parameter count (0 where unknown)."""

    id: str
    name: str
    kind: str
    params: int = 0

    def label(self) -> str:
        return f"{self.name} ({self.kind})"


@dataclass(frozen=True)
class ParamChange:
    """One layer parameter whose value changed (JSON forms: tuples are lists)."""

    name: str
    old: Any
    new: Any

    def text(self) -> str:
        return f"{self.name} {format_value(self.old)} -> {format_value(self.new)}"


@dataclass(frozen=True)
class NodeChange:
    """A node present in both graphs (same kind) whose parameters or inputs changed.

    ``inputs`` is None when the node's inputs are fed as before; otherwise the names of the
    nodes feeding each input port before and after (None: port not connected).
    """

    old: NodeRef
    new: NodeRef
    params: tuple[ParamChange, ...] = ()
    inputs: tuple[tuple[str | None, ...], tuple[str | None, ...]] | None = None

    @property
    def name(self) -> str:
        return self.new.name

    def text(self) -> str:
        """``kernel 3x3 -> 5x5; inputs conv -> drop``."""
        parts = [p.text() for p in self.params]
        if self.inputs is not None:
            before, after = self.inputs
            parts.append(f"inputs {_names(before)} -> {_names(after)}")
        return "; ".join(parts)


@dataclass
class ArchitectureDiff:
    """Nodes added, removed and changed from ``old`` to ``new``, and the totals of both."""

    added: list[NodeRef] = field(default_factory=list)
    removed: list[NodeRef] = field(default_factory=list)
    changed: list[NodeChange] = field(default_factory=list)
    #: (old name, new name) of matched nodes whose name alone changed: not a change
    renamed: list[tuple[str, str]] = field(default_factory=list)
    params: tuple[int, int] = (0, 0)
    mult_adds: tuple[int, int] = (0, 0)

    @property
    def is_empty(self) -> bool:
        """True when the two graphs compute the same thing (names aside)."""
        return not (self.added or self.removed or self.changed)

    @property
    def params_delta(self) -> int:
        return self.params[1] - self.params[0]

    @property
    def mult_adds_delta(self) -> int:
        return self.mult_adds[1] - self.mult_adds[0]

    def changed_node(self, name: str) -> NodeChange | None:
        """The change of the node named ``name`` in the new graph, if it changed."""
        return next((c for c in self.changed if c.new.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        def ref(r: NodeRef) -> dict[str, Any]:
            return {"id": r.id, "name": r.name, "kind": r.kind, "params": r.params}

        return {
            "added": [ref(r) for r in self.added],
            "removed": [ref(r) for r in self.removed],
            "changed": [{
                "old": ref(c.old), "new": ref(c.new),
                "params": [{"name": p.name, "old": p.old, "new": p.new} for p in c.params],
                "inputs": None if c.inputs is None else
                {"old": list(c.inputs[0]), "new": list(c.inputs[1])},
            } for c in self.changed],
            "renamed": [list(pair) for pair in self.renamed],
            "params": {"old": self.params[0], "new": self.params[1],
                       "delta": self.params_delta},
            "mult_adds": {"old": self.mult_adds[0], "new": self.mult_adds[1],
                          "delta": self.mult_adds_delta},
        }

    def text(self, old_label: str = "A", new_label: str = "B") -> str:
        """The diff as lines a person reads: + added, - removed, ~ changed, then the totals."""
        lines = [f"Architecture diff: {old_label} -> {new_label}"]
        if self.is_empty:
            lines.append("  no architecture changes")
        for title, refs, mark in (("Added", self.added, "+"), ("Removed", self.removed, "-")):
            if refs:
                lines.append(f"{title} ({len(refs)}):")
                lines += [f"  {mark} {r.label()}, {r.params:,} params" for r in refs]
        if self.changed:
            lines.append(f"Changed ({len(self.changed)}):")
            lines += [f"  ~ {c.new.label()}: {c.text()}" for c in self.changed]
        if self.renamed:
            lines.append("Renamed (names only): "
                         + ", ".join(f"{a} -> {b}" for a, b in self.renamed))
        lines.append(f"Parameters: {self.params[0]:,} -> {self.params[1]:,} "
                     f"({self.params_delta:+,})")
        lines.append(f"Mult-adds: {self.mult_adds[0]:,} -> {self.mult_adds[1]:,} "
                     f"({self.mult_adds_delta:+,})")
        return "\n".join(lines)


def format_value(value: Any) -> str:
    """A parameter value as the canvas shows it: ``[3, 3]`` -> ``3x3``."""
    if isinstance(value, (list, tuple)):
        return "x".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _names(names: tuple[str | None, ...]) -> str:
    shown = [n if n is not None else "-" for n in names]
    return shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"


def match_nodes(old: Graph, new: Graph) -> dict[str, str]:
    """Old node id -> new node id for the nodes present in both graphs with the same kind:
    by name first, then by id among the nodes left. A node matched by name whose kind differs
    is not matched by id either (removed and added)."""
    pairs: dict[str, str] = {}
    used_old: set[str] = set()
    used_new: set[str] = set()
    old_by_name = {n.name: n for n in old.nodes.values()}
    for node in new.nodes.values():
        other = old_by_name.get(node.name)
        if other is None:
            continue
        used_old.add(other.id)
        used_new.add(node.id)
        if other.kind == node.kind:
            pairs[other.id] = node.id
    for node in new.nodes.values():
        if node.id in used_new or node.id not in old.nodes or node.id in used_old:
            continue
        used_old.add(node.id)
        if old.nodes[node.id].kind == node.kind:
            pairs[node.id] = node.id
    return pairs


def _ref(graph: Graph, analysis: Analysis, node_id: str) -> NodeRef:
    node = graph.nodes[node_id]
    info = analysis.infos.get(node_id)
    return NodeRef(node.id, node.name, node.kind, info.params if info is not None else 0)


def _order(graph: Graph) -> list[str]:
    order, rest = graph.topo_order()
    return order + rest


def _sources(graph: Graph, node_id: str) -> list[str | None]:
    return [e.src if e is not None else None for e in graph.inputs_of(node_id)]


def _compare(old: Graph, new: Graph, old_id: str, new_id: str,
             pairs: dict[str, str]) -> tuple[tuple[ParamChange, ...],
                                               tuple[tuple[str | None, ...],
                                                     tuple[str | None, ...]] | None]:
    a, b = old.nodes[old_id], new.nodes[new_id]
    params = tuple(ParamChange(p.name, p.to_json(a.params[p.name]), p.to_json(b.params[p.name]))
                   for p in b.spec.params if a.params[p.name] != b.params[p.name])
    before, after = _sources(old, old_id), _sources(new, new_id)
    mapped = [pairs.get(src, f"removed:{src}") if src is not None else None for src in before]
    if mapped == after:
        return params, None
    old_names = tuple(old.nodes[s].name if s is not None else None for s in before)
    new_names = tuple(new.nodes[s].name if s is not None else None for s in after)
    return params, (old_names, new_names)


def diff_graphs(old: Graph, new: Graph) -> ArchitectureDiff:
    """What changed in the architecture from ``old`` to ``new`` (module docstring)."""
    old_analysis, new_analysis = analyse(old), analyse(new)
    pairs = match_nodes(old, new)
    matched_new = {v: k for k, v in pairs.items()}
    diff = ArchitectureDiff(
        params=(old_analysis.total("params"), new_analysis.total("params")),
        mult_adds=(old_analysis.total("mult_adds"), new_analysis.total("mult_adds")))
    diff.removed = [_ref(old, old_analysis, nid) for nid in _order(old) if nid not in pairs]
    for nid in _order(new):
        if nid not in matched_new:
            diff.added.append(_ref(new, new_analysis, nid))
            continue
        old_id = matched_new[nid]
        if old.nodes[old_id].name != new.nodes[nid].name:
            diff.renamed.append((old.nodes[old_id].name, new.nodes[nid].name))
        params, inputs = _compare(old, new, old_id, nid, pairs)
        if params or inputs is not None:
            diff.changed.append(NodeChange(_ref(old, old_analysis, old_id),
                                           _ref(new, new_analysis, nid), params, inputs))
    return diff
