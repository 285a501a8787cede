"""Adapt a graph to other data: a new input shape, a new number of classes."""

from __future__ import annotations

from cnnstudio.core.graph import Graph, Node
from cnnstudio.core.layers import Shape
from cnnstudio.core.shapes import analyse

#: kinds a classifier head may end with after its last weighted layer
_PASS = {"Softmax", "Dropout", "Identity", "Flatten", "GlobalAvgPool", "GlobalMaxPool",
         "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "ReLU", "Sigmoid"}


def set_input_shape(graph: Graph, shape: Shape) -> None:
    inputs = [n for n in graph.nodes.values() if n.kind == "Input"]
    if not inputs:
        raise ValueError("the graph has no Input node")
    c, h, w = shape
    for key, value in (("channels", c), ("height", h), ("width", w)):
        graph.set_param(inputs[0].id, key, value)


def classifier_node(graph: Graph) -> Node | None:
    """The last Dense (or 1x1 Conv2d classifier) before the output, walking back."""
    out = analyse(graph).output_id
    while out is not None:
        node = graph.nodes[out]
        if node.kind in ("Dense", "Conv2d"):
            return node
        if node.kind not in _PASS:
            return None
        edges = graph.inputs_of(out)
        out = edges[0].src if edges and edges[0] else None
    return None


def set_num_classes(graph: Graph, n: int) -> None:
    node = classifier_node(graph)
    if node is None:
        raise ValueError("cannot find the classifier (a Dense or Conv2d node before the output)")
    graph.set_param(node.id, "units" if node.kind == "Dense" else "filters", n)
