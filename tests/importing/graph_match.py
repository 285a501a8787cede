"""Node-by-node comparison of two designs, whatever their node names.

Each node gets a signature: its kind, its parameters and its inputs' signatures in port
order (in any order for Add and Multiply, which commute); padding is compared by what it
does ('same' that is symmetric at the input size is its pixels, none is 'valid'), and an
Identity node is its input. Two designs are the same when their
nodes' signatures agree one to one; ``match`` pairs their nodes. The output node's fused
Softmax is left out when asked (a preset ends in one, torchvision returns logits).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from cnnstudio.core.graph import Graph
from cnnstudio.core.layers.window import same_pads
from cnnstudio.core.shapes import Analysis, analyse


def _resolved(padding: object, node_id: str, graph: Graph, analysis: Analysis) -> object:
    """Keras 'same' padding that is symmetric at this input size, as its pixels (a compiled
    model keeps only the pixels)."""
    if padding != "same":
        return padding
    edge = graph.inputs_of(node_id)[0]
    shape = analysis.infos[edge.src].shape if edge is not None else None
    p = graph.nodes[node_id].params
    if not shape or len(shape) != 3:
        return padding
    pads = [same_pads(n, k, s, d) for n, k, s, d in zip(
        shape[1:], p["kernel"], p["stride"], p.get("dilation", (1, 1)), strict=True)]
    if all(a == b for a, b in pads):
        return [pads[0][0], pads[1][0]] if pads != [(0, 0), (0, 0)] else "valid"
    return padding


def signatures(graph: Graph, drop_final_softmax: bool = False) -> dict[str, str]:
    analysis = analyse(graph)
    output = analysis.output_id
    order, _ = graph.topo_order()
    sig: dict[str, str] = {}
    for nid in order:
        node = graph.nodes[nid]
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in node.params.items()}
        if node.kind == "AvgPool2d" and params.get("padding") == "same":
            params["count_include_pad"] = False  # 'same' never counts the padding (Keras)
        if "padding" in params and "kernel" in params:
            params["padding"] = _resolved(params["padding"], nid, graph, analysis)
        if params.get("padding") == [0, 0]:
            params["padding"] = "valid"  # the same window arithmetic
        if drop_final_softmax and nid == output and params.get("activation") == "softmax":
            params["activation"] = "none"
        inputs = [sig[e.src] for e in graph.inputs_of(nid) if e is not None]
        if node.spec.merge in ("add", "multiply"):
            inputs.sort()
        if node.kind == "Identity":  # passes its input through: the same value
            sig[nid] = inputs[0]
            continue
        text = json.dumps([node.kind, sorted(params.items()), inputs])
        sig[nid] = hashlib.sha1(text.encode()).hexdigest()
    return {n: s for n, s in sig.items() if graph.nodes[n].kind != "Identity"}


def describe(graph: Graph, sig: dict[str, str], keys: Counter[str]) -> list[str]:
    return sorted(f"{graph.nodes[n].name} ({graph.nodes[n].kind} {graph.nodes[n].params})"
                  for n, s in sig.items() if s in keys)


def match(a: Graph, b: Graph, drop_final_softmax: bool = True) -> dict[str, str]:
    """Node name in ``a`` -> node name in ``b`` for every node of a unique signature;
    AssertionError listing the nodes that have no counterpart."""
    sa, sb = signatures(a), signatures(b, drop_final_softmax)
    ca, cb = Counter(sa.values()), Counter(sb.values())
    only_a, only_b = ca - cb, cb - ca
    assert not only_a and not only_b, (
        f"only in the first: {describe(a, sa, only_a)[:6]}; "
        f"only in the second: {describe(b, sb, only_b)[:6]}")
    by_sig = {s: n for n, s in sb.items() if cb[s] == 1}
    return {a.nodes[n].name: b.nodes[by_sig[s]].name for n, s in sa.items() if s in by_sig}
