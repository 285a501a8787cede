"""Simplified ops -> a core ``Graph`` and its weights (torch-free).

Node names are the ops' names made into identifiers (a module path ``layer1.0.conv1`` is
``layer1_0_conv1``, as the presets name nodes), unique. Groups are the ops' module paths
cut to two levels (``features.3``, ``layer1.0``, ``Mixed_5b``), so the canvas folds an
imported model by its module hierarchy. The weights come back keyed ``<node name>.<tensor>``
(the compiler's key contract before attribute renaming). The graph is checked by the shape
engine: an import that does not give a valid design is an error naming the nodes.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

import numpy as np

from cnnstudio.core.errors import GraphError
from cnnstudio.core.graph import Graph
from cnnstudio.core.layout import apply_layout
from cnnstudio.core.shapes import analyse
from cnnstudio.importing.ops import ModelImportError, Op
from cnnstudio.importing.passes import as_float32


@dataclass
class Imported:
    """An imported design: the graph, its weights (``<node name>.<tensor>`` -> array), and
    what the import noticed (plain sentences)."""

    graph: Graph
    weights: dict[str, np.ndarray]
    source: str
    notes: list[str] = field(default_factory=list)


def node_name(raw: str, taken: set[str]) -> str:
    """``raw`` as a unique identifier: non-word characters become ``_``."""
    name = re.sub(r"\W", "_", raw).strip("_") or "node"
    if name[0].isdigit():
        name = f"n{name}"
    if keyword.iskeyword(name):
        name += "_"
    base, i = name, 1
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name


def group_of(path: str | None) -> str | None:
    """A module path cut to at most two levels (``features.3.conv.0`` -> ``features.3``)."""
    if not path:
        return None
    return ".".join(path.split(".")[:2])


def build(ops: list[Op], output: str, source: str) -> Imported:
    """The graph of simplified ``ops`` (``ModelImportError`` names what does not fit)."""
    graph = Graph()
    taken: set[str] = set()
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    weights: dict[str, np.ndarray] = {}
    for op in ops:
        name = node_name(op.name, taken)
        try:
            node = graph.add_node(op.kind, op.params, name=name, group=group_of(op.group))
            for port, src in enumerate(op.inputs):
                graph.connect(ids[src], node.id, port)
        except GraphError as exc:
            raise ModelImportError(f"{source}: {op.where or op.name}: {exc}") from None
        ids[op.name], names[op.name] = node.id, name
        for key, value in op.weights.items():
            weights[f"{name}.{key}"] = as_float32(np.asarray(value))
    analysis = analyse(graph)
    if not analysis.ok:
        problems = "; ".join(f"{graph.nodes[i.node_id].name if i.node_id else 'graph'}: "
                             f"{i.message}" for i in analysis.issues if i.severity == "error")
        raise ModelImportError(f"{source}: the imported design is not valid: {problems}")
    if analysis.output_id != ids[output]:
        raise ModelImportError(f"{source}: the imported design has more than one output")
    apply_layout(graph)
    return Imported(graph, weights, source)
