"""Node-by-node comparison of two designs, whatever their node names.

Each node gets a signature: its kind, its parameters and its inputs' signatures in port
order (in any order for Add and Multiply, which commute). Two designs are the same when their
nodes' signatures agree one to one; ``match`` pairs their nodes. The output node's fused
Softmax is left out when asked (a preset ends in one, torchvision returns logits).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from cnnstudio.core.graph import Graph
from cnnstudio.core.shapes import analyse


def signatures(graph: Graph, drop_final_softmax: bool = False) -> dict[str, str]:
    output = analyse(graph).output_id
    order, _ = graph.topo_order()
    sig: dict[str, str] = {}
    for nid in order:
        node = graph.nodes[nid]
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in node.params.items()}
        if params.get("padding") == [0, 0]:
            params["padding"] = "valid"  # the same window arithmetic
        if drop_final_softmax and nid == output and params.get("activation") == "softmax":
            params["activation"] = "none"
        inputs = [sig[e.src] for e in graph.inputs_of(nid) if e is not None]
        if node.spec.merge in ("add", "multiply"):
            inputs.sort()
        text = json.dumps([node.kind, sorted(params.items()), inputs])
        sig[nid] = hashlib.sha1(text.encode()).hexdigest()
    return sig


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
