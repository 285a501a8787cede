"""The graph model: nodes with stable ids, typed ports, edges, and an edit API with events.

A ``Node`` has one output port and ``spec.input_count(params)`` input ports (0 for Input,
several for Add / Concat / Multiply). An ``Edge`` joins a node's output to one input port of
another node; an input port takes at most one edge. Every edit goes through a ``Graph``
method that checks it, raises a typed ``GraphError`` when it is refused, and otherwise tells
every subscriber with a ``GraphEvent`` (the shape engine and the canvas follow these).
Positions are plain data on the node, written by whoever lays the graph out.
"""

from __future__ import annotations

import heapq
import keyword
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cnnstudio.core.errors import (
    CycleError,
    InvalidConnectionError,
    InvalidParameterError,
    NodeNotFoundError,
    PortConnectedError,
)
from cnnstudio.core.layers import LayerSpec, get_layer

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Node:
    """One layer in the graph. ``id`` never changes; ``name`` is the user's label."""

    id: str
    kind: str
    name: str
    params: dict[str, Any]
    position: tuple[float, float] = (0.0, 0.0)
    trainable: bool = True
    group: str | None = None

    @property
    def spec(self) -> LayerSpec:
        return get_layer(self.kind)

    @property
    def input_count(self) -> int:
        return self.spec.input_count(self.params)


@dataclass(frozen=True)
class Edge:
    """From ``src``'s output to input port ``port`` of ``dst``."""

    src: str
    dst: str
    port: int = 0


@dataclass(frozen=True)
class GraphEvent:
    """What changed. ``type`` is one of: node_added, node_removed, edge_added, edge_removed,
    param_changed, node_renamed, node_moved, trainable_changed, group_changed."""

    type: str
    node_id: str | None = None
    edge: Edge | None = None
    param: str | None = None
    old: Any = None
    new: Any = None


STRUCTURE_EVENTS = frozenset({"node_added", "node_removed", "edge_added", "edge_removed"})

Listener = Callable[[GraphEvent], None]


@dataclass
class Graph:
    """A network as a directed acyclic graph of layer nodes."""

    nodes: dict[str, Node] = field(default_factory=dict)
    _in: dict[tuple[str, int], Edge] = field(default_factory=dict, repr=False)
    _out: dict[str, list[Edge]] = field(default_factory=dict, repr=False)
    _names: dict[str, str] = field(default_factory=dict, repr=False)
    _next_id: int = field(default=1, repr=False)
    _listeners: list[Listener] = field(default_factory=list, repr=False)
    #: bumped on every structural change (nodes or edges added or removed)
    version: int = field(default=0, repr=False)

    # ----------------------------------------------------------------- events
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _emit(self, event: GraphEvent) -> None:
        if event.type in STRUCTURE_EVENTS:
            self.version += 1
        for listener in list(self._listeners):
            listener(event)

    # ----------------------------------------------------------------- queries
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise NodeNotFoundError(f"No node with id {node_id!r}.", node_id) from None

    def by_name(self, name: str) -> Node:
        try:
            return self.nodes[self._names[name]]
        except KeyError:
            raise NodeNotFoundError(f"No node named {name!r}.") from None

    @property
    def edges(self) -> list[Edge]:
        return list(self._in.values())

    def input_edge(self, node_id: str, port: int) -> Edge | None:
        return self._in.get((node_id, port))

    def inputs_of(self, node_id: str) -> list[Edge | None]:
        """The edge into each input port of the node, None where unconnected."""
        n = self.node(node_id).input_count
        return [self._in.get((node_id, p)) for p in range(n)]

    def outputs_of(self, node_id: str) -> list[Edge]:
        return list(self._out.get(node_id, ()))

    def successors(self, node_id: str) -> Iterator[str]:
        for e in self._out.get(node_id, ()):
            yield e.dst

    def topo_order(self) -> tuple[list[str], list[str]]:
        """Node ids in topological order (insertion order where the edges allow), and the
        ids left over because they sit on or behind a cycle."""
        indeg = dict.fromkeys(self.nodes, 0)
        for e in self._in.values():
            indeg[e.dst] += 1
        index = {nid: i for i, nid in enumerate(self.nodes)}
        heap = [(index[nid], nid) for nid, d in indeg.items() if d == 0]
        heapq.heapify(heap)
        order: list[str] = []
        while heap:
            _, nid = heapq.heappop(heap)
            order.append(nid)
            for e in self._out.get(nid, ()):
                indeg[e.dst] -= 1
                if indeg[e.dst] == 0:
                    heapq.heappush(heap, (index[e.dst], e.dst))
        return order, [nid for nid, d in indeg.items() if d > 0]

    def reaches(self, start: str, target: str) -> bool:
        """True when a path of edges leads from ``start`` to ``target``."""
        stack, seen = [start], {start}
        while stack:
            nid = stack.pop()
            if nid == target:
                return True
            for e in self._out.get(nid, ()):
                if e.dst not in seen:
                    seen.add(e.dst)
                    stack.append(e.dst)
        return False

    def unique_name(self, prefix: str) -> str:
        i = 1
        while f"{prefix}_{i}" in self._names:
            i += 1
        return f"{prefix}_{i}"

    # ----------------------------------------------------------------- edits
    def add_node(
        self,
        kind: str,
        params: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        position: tuple[float, float] = (0.0, 0.0),
        node_id: str | None = None,
        trainable: bool = True,
        group: str | None = None,
    ) -> Node:
        """Add a node of ``kind``; missing parameters take their defaults."""
        spec = get_layer(kind)
        values = spec.defaults()
        for key, value in (params or {}).items():
            values[key] = _coerce(spec, key, value, name or kind)
        if node_id is None:
            node_id = f"n{self._next_id}"
            while node_id in self.nodes:
                self._next_id += 1
                node_id = f"n{self._next_id}"
            self._next_id += 1
        elif node_id in self.nodes:
            raise InvalidParameterError(f"A node with id {node_id!r} already exists.", node_id)
        else:
            m = re.fullmatch(r"n(\d+)", node_id)
            if m:
                self._next_id = max(self._next_id, int(m.group(1)) + 1)
        if name is None:
            name = self.unique_name(spec.prefix or kind.lower())
        else:
            self._check_name(name, node_id)
        node = Node(node_id, kind, name, values, (float(position[0]), float(position[1])),
                    trainable, group)
        self.nodes[node_id] = node
        self._names[name] = node_id
        self._emit(GraphEvent("node_added", node_id))
        return node

    def remove_node(self, node_id: str) -> list[Edge]:
        """Remove a node and its edges; returns the removed edges (for undo)."""
        node = self.node(node_id)
        removed = [e for e in self.inputs_of(node_id) if e] + self.outputs_of(node_id)
        for e in removed:
            self.disconnect(e.dst, e.port)
        del self.nodes[node_id]
        del self._names[node.name]
        self._out.pop(node_id, None)
        self._emit(GraphEvent("node_removed", node_id, old=node))
        return removed

    def connect(self, src: str, dst: str, port: int = 0) -> Edge:
        """Join ``src``'s output to input ``port`` of ``dst``."""
        self.node(src)
        target = self.node(dst)
        n = target.input_count
        if n == 0:
            raise InvalidConnectionError(f"{target.name} ({target.kind}) has no inputs.", dst)
        if not 0 <= port < n:
            raise InvalidConnectionError(
                f"{target.name} has input ports 1 to {n}; there is no port {port + 1}.", dst, port
            )
        if src == dst:
            raise CycleError(f"{target.name} cannot feed itself (a cycle).", dst, port)
        if (dst, port) in self._in:
            other = self.nodes[self._in[(dst, port)].src].name
            raise PortConnectedError(
                f"Input {port + 1} of {target.name} is already fed by {other}; "
                "disconnect it first.", dst, port
            )
        if self.reaches(dst, src):
            raise CycleError(
                f"Connecting {self.nodes[src].name} to {target.name} would close a cycle: "
                f"{target.name} already feeds {self.nodes[src].name}.", dst, port
            )
        edge = Edge(src, dst, port)
        self._in[(dst, port)] = edge
        self._out.setdefault(src, []).append(edge)
        self._emit(GraphEvent("edge_added", dst, edge=edge))
        return edge

    def disconnect(self, dst: str, port: int = 0) -> Edge:
        """Remove the edge into input ``port`` of ``dst``."""
        edge = self._in.pop((dst, port), None)
        if edge is None:
            raise InvalidConnectionError(
                f"Input {port + 1} of {self.node(dst).name} is not connected.", dst, port
            )
        self._out[edge.src].remove(edge)
        self._emit(GraphEvent("edge_removed", dst, edge=edge))
        return edge

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        node = self.node(node_id)
        spec = node.spec
        new = _coerce(spec, name, value, node.name, node_id)
        old = node.params[name]
        if new == old:
            return
        if spec.inputs < 0 and name == "inputs":
            for p in range(new, old):
                if (node_id, p) in self._in:
                    raise InvalidParameterError(
                        f"Input {p + 1} of {node.name} is connected; disconnect it before "
                        f"reducing inputs to {new}.", node_id, name
                    )
        node.params[name] = new
        self._emit(GraphEvent("param_changed", node_id, param=name, old=old, new=new))

    def rename(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        if name == node.name:
            return
        self._check_name(name, node_id)
        old = node.name
        del self._names[old]
        node.name = name
        self._names[name] = node_id
        self._emit(GraphEvent("node_renamed", node_id, old=old, new=name))

    def move(self, node_id: str, position: tuple[float, float]) -> None:
        node = self.node(node_id)
        old = node.position
        node.position = (float(position[0]), float(position[1]))
        self._emit(GraphEvent("node_moved", node_id, old=old, new=node.position))

    def set_trainable(self, node_id: str, trainable: bool) -> None:
        node = self.node(node_id)
        if node.trainable != trainable:
            node.trainable = trainable
            self._emit(GraphEvent("trainable_changed", node_id, old=not trainable, new=trainable))

    def set_group(self, node_id: str, group: str | None) -> None:
        node = self.node(node_id)
        if node.group != group:
            old, node.group = node.group, group
            self._emit(GraphEvent("group_changed", node_id, old=old, new=group))

    def _check_name(self, name: str, node_id: str) -> None:
        if not isinstance(name, str) or not _NAME.fullmatch(name) or keyword.iskeyword(name):
            raise InvalidParameterError(
                f"Node name {name!r} must start with a letter or _ and contain only letters, "
                "digits and _ (it names the layer in exported code).", node_id, "name"
            )
        if name in self._names and self._names[name] != node_id:
            raise InvalidParameterError(f"Another node is already named {name!r}.", node_id, "name")


def _coerce(spec: LayerSpec, key: str, value: Any, label: str, node_id: str | None = None) -> Any:
    try:
        p = spec.param(key)
    except KeyError:
        known = ", ".join(p.name for p in spec.params) or "none"
        raise InvalidParameterError(
            f"{spec.kind} has no parameter {key!r} (it has: {known}).", node_id, key
        ) from None
    try:
        return p.coerce(value)
    except ValueError as exc:
        raise InvalidParameterError(f"{label}: {exc}", node_id, key) from None
