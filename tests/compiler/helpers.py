"""Shared helpers for the compiler tests: random graphs (hypothesis) and a reference runner.

``valid_graphs()`` draws graphs the shape engine accepts: chains and DAGs (residual Add,
Inception-like Concat, squeeze-excitation Multiply) over every layer kind, with random sizes,
padding modes, strides and dilations. Each node is tried as drawn and replaced by an Identity
when the engine refuses it, so every draw is valid without filtering.

``any_graphs()`` draws graphs that may be invalid, for the engine-vs-torch equivalence: the
numeric parameters vary freely; the structure respects the two rules where the engine is
deliberately stricter than torch: Dense takes only flat inputs (so spatial layers go on
maps and Dense is not drawn), and Add needs equal shapes, never broadcasting (the reference
runner refuses an Add of unequal shapes, where torch would broadcast).

``reference_run(graph, x)`` runs a graph node by node with the compiler's lowering but with
every shape taken from the real tensors, never from the engine; it returns None when torch
refuses (an exception, or an output with a size of 0).
"""

from __future__ import annotations

import os
from typing import Any

import torch
from hypothesis import strategies as st

from cnnstudio.compiler.lowering import lower, run_step
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers.spec import ACTIVATIONS
from cnnstudio.core.shapes import ShapeEngine


def examples(default: int) -> int:
    """Hypothesis example count: ``default`` in CI, CNNSTUDIO_HYPOTHESIS_EXAMPLES when set."""
    return int(os.environ.get("CNNSTUDIO_HYPOTHESIS_EXAMPLES", default))


MAP_KINDS = ["Conv2d", "DepthwiseConv2d", "SeparableConv2d", "MaxPool2d", "AvgPool2d",
             "MinPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "BatchNorm", "LayerNorm",
             "LocalResponseNorm", "LayerScale", "ZeroPad2d", "Cropping2d", "Identity",
             "Dropout", "Dropout2d", "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU",
             "Hardswish", "Hardsigmoid", "Sigmoid", "Tanh", "Softmax"]
FLAT_KINDS = ["Dense", "BatchNorm", "LayerNorm", "LayerScale", "Dropout", "Identity", "ReLU",
              "GELU", "Tanh", "Sigmoid", "Softmax", "ELU", "LeakyReLU"]


def pair(draw: Any, lo: int, hi: int) -> tuple[int, int]:
    return (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))


def layer_params(draw: Any, kind: str, channels: int, wide: bool = False) -> dict[str, Any]:
    """Random parameters for ``kind``; ``wide`` allows values the engine may refuse."""
    big = 7 if wide else 4
    if kind in ("Conv2d", "DepthwiseConv2d", "SeparableConv2d", "MaxPool2d", "AvgPool2d",
                "MinPool2d"):
        k = pair(draw, 1, big)
        p: dict[str, Any] = {"kernel": k, "stride": pair(draw, 1, 3)}
        pool = "Pool" in kind
        limit = (max(k) + 2) if wide else min(k) // 2
        p["padding"] = draw(st.one_of(st.sampled_from(["valid", "same"]),
                                      st.tuples(st.integers(0, limit), st.integers(0, limit))))
        if pool:
            p["ceil_mode"] = draw(st.booleans())
            if kind == "AvgPool2d":
                p["count_include_pad"] = draw(st.booleans())
            return p
        p["dilation"] = pair(draw, 1, 3 if wide else 2)
        p["bias"] = draw(st.booleans())
        p["activation"] = draw(st.sampled_from(ACTIVATIONS))
        if kind == "Conv2d":
            p["filters"] = draw(st.integers(1, 8))
            divisors = [g for g in range(1, channels + 1) if channels % g == 0]
            p["groups"] = draw(st.integers(1, 4)) if wide else draw(st.sampled_from(divisors))
            if not wide and p["filters"] % p["groups"]:
                p["filters"] = p["groups"] * draw(st.integers(1, 3))
        else:
            p["depth_multiplier"] = draw(st.integers(1, 2))
            if kind == "SeparableConv2d":
                p["filters"] = draw(st.integers(1, 8))
        return p
    if kind in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
        return {"output_size": pair(draw, 1, 4)}
    if kind in ("GlobalAvgPool", "GlobalMaxPool"):
        return {"keepdims": draw(st.booleans())}
    if kind == "Dense":
        return {"units": draw(st.integers(1, 12)), "bias": draw(st.booleans()),
                "activation": draw(st.sampled_from(ACTIVATIONS))}
    if kind in ("ZeroPad2d", "Cropping2d"):
        key = "padding" if kind == "ZeroPad2d" else "cropping"
        hi = 4 if wide else (2 if kind == "ZeroPad2d" else 1)
        return {key: tuple(draw(st.integers(0, hi)) for _ in range(4))}
    if kind == "BatchNorm":
        return {"eps": draw(st.sampled_from([1e-5, 1e-3])),
                "momentum": draw(st.sampled_from([0.1, 0.01])), "scale": draw(st.booleans())}
    if kind == "LayerNorm":
        return {"eps": draw(st.sampled_from([1e-6, 1e-5]))}
    if kind == "LocalResponseNorm":
        return {"size": draw(st.integers(1, 5)), "alpha": 1e-3, "beta": 0.75, "k": 2.0}
    if kind == "LayerScale":
        return {"init_value": draw(st.sampled_from([1e-6, 0.5, 1.0]))}
    if kind in ("Dropout", "Dropout2d"):
        return {"rate": draw(st.sampled_from([0.0, 0.2, 0.5]))}
    if kind == "LeakyReLU":
        return {"negative_slope": draw(st.sampled_from([0.01, 0.2]))}
    if kind == "ELU":
        return {"alpha": draw(st.sampled_from([1.0, 0.5]))}
    if kind == "GELU":
        return {"approximate": draw(st.sampled_from(["none", "tanh"]))}
    return {}


class Maker:
    """Adds nodes, keeping only those the engine accepts (else an Identity stands in)."""

    def __init__(self, draw: Any, c: int, h: int, w: int) -> None:
        self.draw = draw
        self.b = GraphBuilder()
        self.engine = ShapeEngine(self.b.graph)
        self.input = self.b.input(c, h, w)

    def shape(self, nid: str) -> tuple[int, ...]:
        shape = self.engine.info(nid).shape
        assert shape is not None
        return shape

    def add(self, kind: str, *inputs: str, **params: Any) -> str:
        graph = self.b.graph
        if self.draw(st.integers(0, 9)) == 0:
            params["trainable"] = False
        trainable = params.pop("trainable", True)
        nid = self.b.add(kind, *inputs, **params)
        graph.set_trainable(nid, trainable)
        if self.engine.info(nid).issues:
            graph.remove_node(nid)
            return self.b.add("Identity", inputs[0])
        return nid

    def layer(self, x: str, kinds: list[str] | None = None) -> str:
        shape = self.shape(x)
        pool = kinds or (MAP_KINDS if len(shape) == 3 else FLAT_KINDS)
        kind = self.draw(st.sampled_from(pool))
        return self.add(kind, x, **layer_params(self.draw, kind, shape[0]))


@st.composite
def valid_graphs(draw: Any, max_blocks: int = 6) -> Graph:
    m = Maker(draw, draw(st.integers(1, 4)), draw(st.integers(3, 17)), draw(st.integers(3, 17)))
    x = m.input
    for _ in range(draw(st.integers(1, max_blocks))):
        if len(m.shape(x)) != 3:
            x = m.layer(x)
            continue
        block = draw(st.sampled_from(["layer", "layer", "residual", "concat", "se", "mul"]))
        c = m.shape(x)[0]
        if block == "layer":
            x = m.layer(x)
        elif block == "residual":
            y = m.add("Conv2d", x, filters=c, kernel=draw(st.sampled_from([1, 3])),
                      padding="same", activation=draw(st.sampled_from(ACTIVATIONS)))
            y = m.layer(y, ["BatchNorm", "LayerNorm", "ReLU", "LayerScale", "Identity"])
            x = m.add("Add", x, y) if m.shape(y) == m.shape(x) else y
        elif block == "concat":
            stride = draw(st.integers(1, 2))
            branches = []
            for _ in range(draw(st.integers(2, 3))):
                kind = draw(st.sampled_from(["Conv2d", "MaxPool2d", "AvgPool2d",
                                             "SeparableConv2d", "MinPool2d"]))
                params = layer_params(draw, kind, c)
                params.update(padding="same", stride=stride)
                if "dilation" in params:
                    params["dilation"] = 1
                branches.append(m.add(kind, x, **params))
            spatial = {m.shape(b)[1:] for b in branches}
            x = m.add("Concat", *branches) if len(spatial) == 1 else branches[0]
            for b in branches[1:] if len(spatial) != 1 else []:
                m.b.graph.remove_node(b)
        elif block == "se":
            s = m.add("GlobalAvgPool", x, keepdims=True)
            s = m.add("Conv2d", s, filters=c, kernel=1, activation="sigmoid")
            x = m.add("Multiply", x, s)
        else:
            s = m.add("Conv2d", x, filters=1, kernel=1, activation="sigmoid")
            x = m.add("Multiply", s, x)
    if len(m.shape(x)) == 3 and draw(st.booleans()):
        kind = draw(st.sampled_from(["Flatten", "GlobalAvgPool", "GlobalMaxPool"]))
        x = m.add(kind, x) if kind == "Flatten" else m.add(kind, x, keepdims=False)
        for _ in range(draw(st.integers(0, 2))):
            x = m.layer(x)
        x = m.add("Dense", x, units=draw(st.integers(1, 6)),
                  activation=draw(st.sampled_from(["none", "softmax", "relu"])))
    m.engine.close()
    return m.b.graph


@st.composite
def any_graphs(draw: Any) -> Graph:
    """Possibly invalid graphs: a chain of spatial layers with wide parameters, maybe a merge."""
    b = GraphBuilder()
    x = b.input(draw(st.integers(2, 4)), draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    kinds = ["Conv2d", "DepthwiseConv2d", "SeparableConv2d", "MaxPool2d", "AvgPool2d",
             "MinPool2d", "ZeroPad2d", "Cropping2d", "AdaptiveAvgPool2d", "ReLU"]
    channels = 4
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(kinds))
        params = layer_params(draw, kind, channels, wide=True)
        if kind == "Conv2d":
            params["filters"] = draw(st.integers(2, 8))
        x = b.add(kind, x, **params)
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["Conv2d", "MaxPool2d", "Cropping2d"]))
        params = layer_params(draw, kind, channels, wide=True)
        if kind == "Conv2d":
            params["filters"] = draw(st.integers(2, 8))
            params["groups"] = 1
        y = b.add(kind, x, **params)
        merge = draw(st.sampled_from(["Add", "Concat", "Multiply"]))
        b.add(merge, x, y)
    return b.graph


def reference_run(graph: Graph, x: torch.Tensor) -> dict[str, torch.Tensor] | None:
    """Every node's output computed from real tensors only; None when torch refuses."""
    order, cyclic = graph.topo_order()
    assert not cyclic
    values: dict[str, torch.Tensor] = {}
    try:
        for nid in order:
            node = graph.nodes[nid]
            srcs = [e.src for e in graph.inputs_of(nid) if e is not None]
            xs = [values[s] for s in srcs] if srcs else [x]
            shapes = [tuple(t.shape[1:]) for t in xs]
            if node.kind == "Add" and len(set(shapes)) > 1:
                return None  # Add never broadcasts, by design (as Keras); torch would
            step = lower(node, shapes, node.name, srcs)
            out = xs[0] if node.kind == "Input" else run_step(step, step.module, xs)
            if out.numel() == 0:
                return None
            values[nid] = out
    except (RuntimeError, ValueError, IndexError):
        return None
    return values
