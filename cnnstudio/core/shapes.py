"""The shape engine: every node's output shape, parameter counts and mult-adds, explained.

``ShapeEngine(graph)`` follows the graph's events and recomputes lazily: after a parameter
edit only the edited node and the nodes downstream whose input shapes changed are run again.
``analyse(graph)`` is the one-shot form. Shapes are channels-first without the batch:
``(C, H, W)`` for feature maps, ``(F,)`` for vectors.

Counts follow PyTorch (parameters only, buffers apart); ``keras_params`` is the count Keras
prints (BatchNorm's moving mean and variance included); ``mult_adds`` follows torchinfo
(a convolution's parameters times its output positions; other weighted layers their
parameters). Problems are ``Issue`` records pinned to a node (and port), never exceptions.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from cnnstudio.core.graph import STRUCTURE_EVENTS, Graph, GraphEvent
from cnnstudio.core.layers import Shape, ShapeProblem, fmt_shape


@dataclass
class Issue:
    """A problem pinned to a node (``node_id`` None: the whole graph)."""

    node_id: str | None
    message: str
    formula: str = ""
    fix: str = ""
    port: int | None = None
    severity: str = "error"

    def describe(self, graph: Graph | None = None) -> str:
        """One readable block: who, what, the arithmetic, and what to do."""
        who = ""
        if self.node_id is not None and graph is not None and self.node_id in graph.nodes:
            node = graph.nodes[self.node_id]
            who = f"{node.name} ({node.kind})"
            if self.port is not None and node.input_count > 1:
                who += f", input {self.port + 1}"
            who += ": "
        lines = [who + self.message]
        if self.formula:
            lines.append(f"    {self.formula}")
        if self.fix:
            lines.append(f"    Fix: {self.fix}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        return {
            "node_id": self.node_id,
            "port": self.port,
            "severity": self.severity,
            "message": self.message,
            "formula": self.formula,
            "fix": self.fix,
        }


@dataclass(slots=True)
class NodeInfo:
    """What the engine knows about one node. ``shape`` is None when it cannot be computed."""

    shape: Shape | None = None
    params: int = 0
    trainable_params: int = 0
    keras_params: int = 0
    keras_trainable_params: int = 0
    mult_adds: int = 0
    explanation: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def shape_text(self) -> str:
        return fmt_shape(self.shape) if self.shape is not None else "?"


@dataclass
class Analysis:
    """The engine's view of the whole graph at one moment."""

    graph: Graph
    order: list[str]
    infos: dict[str, NodeInfo]
    graph_issues: list[Issue]
    output_id: str | None

    @property
    def issues(self) -> list[Issue]:
        out: list[Issue] = []
        for nid in self.order:
            out.extend(self.infos[nid].issues)
        out.extend(self.graph_issues)
        return out

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    @property
    def input_shape(self) -> Shape | None:
        for nid in self.order:
            if self.graph.nodes[nid].kind == "Input":
                return self.infos[nid].shape
        return None

    @property
    def output_shape(self) -> Shape | None:
        return self.infos[self.output_id].shape if self.output_id else None

    def total(self, attr: str) -> int:
        return sum(getattr(self.infos[nid], attr) for nid in self.order)


class ShapeEngine:
    """Keeps a graph's shapes up to date, recomputing only what an edit can change."""

    def __init__(self, graph: Graph, follow: bool = True) -> None:
        self.graph = graph
        self.infos: dict[str, NodeInfo] = {}
        self._dirty: set[str] = set(graph.nodes)
        self._version = -1
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._graph_issues: list[Issue] = []
        self._output: str | None = None
        #: how many nodes the last update recomputed (tests and benchmarks read it)
        self.recomputed = 0
        self._follow = follow
        if follow:
            graph.subscribe(self._on_event)

    def close(self) -> None:
        if self._follow:
            self.graph.unsubscribe(self._on_event)
            self._follow = False

    def _on_event(self, event: GraphEvent) -> None:
        nid = event.node_id
        if event.type == "node_removed":
            self.infos.pop(nid or "", None)
            self._dirty.discard(nid or "")
        elif event.type in STRUCTURE_EVENTS or event.type in ("param_changed", "trainable_changed"):
            if nid is not None:
                self._dirty.add(nid)

    def analysis(self) -> Analysis:
        self.update()
        return Analysis(self.graph, self._order, self.infos, self._graph_issues, self._output)

    def info(self, node_id: str) -> NodeInfo:
        self.update()
        return self.infos[node_id]

    def update(self) -> None:
        """Recompute dirty nodes and whatever downstream their new shapes affect."""
        graph = self.graph
        if graph.version != self._version:
            self._restructure()
        self.recomputed = 0
        if not self._dirty:
            return
        index = self._index
        infos = self.infos
        if len(self._dirty) >= len(self._order):  # everything: walk the order, no queue
            self._dirty.clear()
            for nid in self._order:
                infos[nid] = self._compute(nid)
            self.recomputed = len(self._order)
            return
        heap = [(index[nid], nid) for nid in self._dirty if nid in index]
        heapq.heapify(heap)
        queued = set(self._dirty)
        self._dirty.clear()
        while heap:
            _, nid = heapq.heappop(heap)
            old = infos.get(nid)
            new = self._compute(nid)
            infos[nid] = new
            self.recomputed += 1
            if old is None or old.shape != new.shape:
                for succ in graph.successors(nid):
                    if succ not in queued and succ in index:
                        queued.add(succ)
                        heapq.heappush(heap, (index[succ], succ))

    def _restructure(self) -> None:
        graph = self.graph
        order, cyclic = graph.topo_order()
        self._order = order
        self._index = {nid: i for i, nid in enumerate(order)}
        self._version = graph.version
        issues: list[Issue] = []
        for nid in cyclic:
            self.infos[nid] = NodeInfo(issues=[Issue(
                nid, "This node sits on a cycle: its output flows back into its own input.",
                fix="Remove one of the edges of the loop; a network must flow one way.",
            )])
        inputs = [nid for nid in order if graph.nodes[nid].kind == "Input"]
        if not inputs:
            issues.append(Issue(None, "The network has no Input node.",
                                fix="Add an Input node and connect it to the first layer."))
        for nid in inputs[1:]:
            issues.append(Issue(nid, "A network has one Input node; this is a second one.",
                                fix="Delete this Input, or join the branches after one Input."))
        sinks = [nid for nid in order
                 if not graph.outputs_of(nid) and graph.nodes[nid].kind != "Input"]
        self._output = sinks[-1] if sinks else None
        for nid in sinks[:-1]:
            out = graph.nodes[sinks[-1]].name
            issues.append(Issue(
                nid, f"The output of this node goes nowhere (the network's output is {out}).",
                fix="Connect it to the next layer, or delete it.",
            ))
        self._graph_issues = issues

    def _compute(self, nid: str) -> NodeInfo:
        graph = self.graph
        node = graph.nodes[nid]
        spec = node.spec
        shapes: list[Shape] = []
        issues: list[Issue] = []
        waiting = False
        incoming = graph.input_edge
        for port in range(spec.input_count(node.params)):
            edge = incoming(nid, port)
            if edge is None:
                where = f"Input {port + 1}" if spec.inputs != 1 else "The input"
                issues.append(Issue(
                    nid, f"{where} of {node.name} is not connected.",
                    fix="Drag an edge from the previous layer's output to this input.", port=port,
                ))
                continue
            upstream = self.infos.get(edge.src)
            if upstream is None or upstream.shape is None:
                waiting = True
                continue
            shapes.append(upstream.shape)
        if issues or waiting:
            return NodeInfo(issues=issues, explanation=["waiting for the shapes of its inputs"])
        try:
            r = spec.rule(shapes, node.params)
        except ShapeProblem as p:
            return NodeInfo(issues=[Issue(nid, p.message, p.formula, p.fix, p.port)])
        shape = r.shape
        if min(shape) < 1:
            return NodeInfo(issues=[Issue(
                nid, f"The output {fmt_shape(shape)} has a size below 1.",
                formula="; ".join(r.explanation),
                fix="Use a smaller kernel or stride, or padding 'same'.",
            )])
        keras = r.params if r.keras_params is None else r.keras_params
        trainable = r.params if node.trainable else 0
        keras_trainable = keras - r.keras_non_trainable if node.trainable else 0
        explanation = r.explanation
        if spec.has_weights and not node.trainable:
            explanation = [*explanation, "frozen: its parameters are not trained"]
        return NodeInfo(shape, r.params, trainable, keras, keras_trainable, r.mult_adds,
                        explanation)


def analyse(graph: Graph) -> Analysis:
    """Shapes, counts and issues of ``graph`` computed once."""
    return ShapeEngine(graph, follow=False).analysis()
