"""Layered (Sugiyama-style) automatic layout of the DAG, computed in the core.

Nodes are put in layers by longest path from the sources, ordered within a layer by the
mean position of their predecessors (a few down/up sweeps reduce crossings), and placed top
to bottom. Positions are written to ``node.position`` through ``Graph.move``; the canvas
only reads them.
"""

from __future__ import annotations

from cnnstudio.core.graph import Graph

X_GAP = 220.0
Y_GAP = 110.0


def layered_positions(graph: Graph, sweeps: int = 4) -> dict[str, tuple[float, float]]:
    """Positions for every node: layer by longest path, order by barycentre."""
    order, cyclic = graph.topo_order()
    layer: dict[str, int] = {}
    preds: dict[str, list[str]] = {nid: [] for nid in graph.nodes}
    for e in graph.edges:
        preds[e.dst].append(e.src)
    for nid in order:
        layer[nid] = max((layer[p] + 1 for p in preds[nid] if p in layer), default=0)
    for nid in cyclic:
        layer[nid] = 0
    rows: dict[int, list[str]] = {}
    for nid in order + cyclic:
        rows.setdefault(layer[nid], []).append(nid)
    pos = {nid: float(i) for row in rows.values() for i, nid in enumerate(row)}
    succs: dict[str, list[str]] = {nid: [] for nid in graph.nodes}
    for e in graph.edges:
        succs[e.src].append(e.dst)
    depth = max(rows) if rows else 0
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        levels = range(1, depth + 1) if down else range(depth - 1, -1, -1)
        for lv in levels:
            row = rows[lv]
            links = preds if down else succs

            def key(nid: str, links: dict[str, list[str]] = links) -> float:
                near = links[nid]
                return sum(pos[n] for n in near) / len(near) if near else pos[nid]

            row.sort(key=key)
            for i, nid in enumerate(row):
                pos[nid] = float(i)
    out: dict[str, tuple[float, float]] = {}
    for lv, row in rows.items():
        width = len(row) - 1
        for i, nid in enumerate(row):
            out[nid] = ((i - width / 2) * X_GAP, lv * Y_GAP)
    return out


def apply_layout(graph: Graph) -> None:
    """Lay the whole graph out in place."""
    for nid, xy in layered_positions(graph).items():
        graph.move(nid, xy)
