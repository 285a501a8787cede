"""Small helpers for core tests: one-layer graphs and their analysis."""

from __future__ import annotations

from typing import Any

from cnnstudio.core import Graph, NodeInfo, analyse


def single(kind: str, in_shape: tuple[int, ...], **params: Any) -> NodeInfo:
    """Analyse Input(in_shape) -> [Flatten if flat] -> kind(params); return kind's info."""
    g = Graph()
    src = g.add_node("Input", {"channels": in_shape[0], "height": in_shape[1] if len(in_shape) > 1
                               else 1, "width": in_shape[2] if len(in_shape) > 1 else 1}).id
    if len(in_shape) == 1:
        src_node = g.add_node("Flatten")
        g.connect(src, src_node.id)
        src = src_node.id
    node = g.add_node(kind, params)
    g.connect(src, node.id)
    return analyse(g).infos[node.id]
