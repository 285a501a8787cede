"""Room for a group that opens, the gap closed when one folds (``fold_shift``).

The layout of a graph with collapsed groups (each group one unit) is the core's
``collapsed_layout`` (``cnnstudio.core.layout``).
"""

from __future__ import annotations

from cnnstudio.core.graph import Graph


def fold_shift(graph: Graph, members: list[str], expand: bool,
               collapsed: set[str] | None = None) -> dict[str, tuple[float, float]]:
    """New positions of the other nodes when a group opens (room for its members) or closes
    (the gap closed): what lies below the group's centre moves down by half the members'
    height and what lies above moves up, or the reverse when closing. A collapsed group
    moves as one unit, by where its centre lies."""
    inside = set(members)
    ys = [graph.nodes[m].position[1] for m in members]
    if not ys:
        return {}
    centre, half = (min(ys) + max(ys)) / 2, (max(ys) - min(ys)) / 2
    d = half if expand else -half
    if not d:
        return {}
    closed = collapsed or set()
    unit_y: dict[str, list[float]] = {}
    for nid, node in graph.nodes.items():
        if node.group in closed and nid not in inside:
            unit_y.setdefault(node.group, []).append(node.position[1])
    unit_centre = {g: (min(v) + max(v)) / 2 for g, v in unit_y.items()}
    out: dict[str, tuple[float, float]] = {}
    for nid, node in graph.nodes.items():
        if nid in inside:
            continue
        x, y = node.position
        ref = unit_centre.get(node.group, y) if node.group in closed else y
        if ref != centre:
            out[nid] = (x, y + d if ref > centre else y - d)
    return out
