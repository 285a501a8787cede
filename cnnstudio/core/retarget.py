"""Adapt a graph to other data: a new input shape, a new number of classes."""

from __future__ import annotations

from cnnstudio.core.graph import Graph, Node
from cnnstudio.core.layers import Shape
from cnnstudio.core.shapes import analyse


def set_input_shape(graph: Graph, shape: Shape) -> None:
    inputs = [n for n in graph.nodes.values() if n.kind == "Input"]
    if not inputs:
        raise ValueError("the graph has no Input node")
    c, h, w = shape
    for key, value in (("channels", c), ("height", h), ("width", w)):
        graph.set_param(inputs[0].id, key, value)


def classifier_node(graph: Graph) -> Node | None:
    """The last node with a ``classifier_param`` (Dense, or a 1x1 Conv2d classifier) before
    the output, walking back through kinds declared ``after_classifier``."""
    out = analyse(graph).output_id
    while out is not None:
        node = graph.nodes[out]
        if node.spec.classifier_param:
            return node
        if not node.spec.after_classifier:
            return None
        edges = graph.inputs_of(out)
        out = edges[0].src if edges and edges[0] else None
    return None


def set_num_classes(graph: Graph, n: int) -> None:
    node = classifier_node(graph)
    if node is None:
        raise ValueError("cannot find the classifier (a Dense or Conv2d node before the output)")
    graph.set_param(node.id, node.spec.classifier_param, n)
