"""Automatic layout that respects collapsed groups (the core's layout sees only nodes).

Each collapsed group counts as one unit, every other node as its own unit. Units are put in
layers by longest path and ordered by the barycentre of their neighbours (as the core's
``layered_positions`` does for nodes), then placed top to bottom. The members of a collapsed
group keep their arrangement relative to each other, centred on the group's place, so the
group node (drawn at the centre of its members) lands exactly there.
"""

from __future__ import annotations

from cnnstudio.core.graph import Graph
from cnnstudio.core.layout import X_GAP, Y_GAP

Unit = str


def collapsed_layout(graph: Graph, collapsed: set[str],
                     sweeps: int = 4) -> dict[str, tuple[float, float]]:
    """Positions for every node, with each collapsed group laid out as a single unit."""
    unit_of = {nid: (f"g:{n.group}" if n.group in collapsed else f"n:{nid}")
               for nid, n in graph.nodes.items()}
    order, cyclic = graph.topo_order()
    units: list[Unit] = []
    for nid in order + cyclic:
        if unit_of[nid] not in units:
            units.append(unit_of[nid])
    preds: dict[Unit, set[Unit]] = {u: set() for u in units}
    succs: dict[Unit, set[Unit]] = {u: set() for u in units}
    for e in graph.edges:
        a, b = unit_of[e.src], unit_of[e.dst]
        if a != b:
            preds[b].add(a)
            succs[a].add(b)
    layer: dict[Unit, int] = {}
    pending = list(units)
    for _ in range(len(units) + 1):  # longest path; units of a cycle end in layer 0
        left = []
        for u in pending:
            if all(p in layer for p in preds[u]):
                layer[u] = max((layer[p] + 1 for p in preds[u]), default=0)
            else:
                left.append(u)
        if not left or len(left) == len(pending):
            for u in left:
                layer[u] = 0
            break
        pending = left
    rows: dict[int, list[Unit]] = {}
    for u in units:
        rows.setdefault(layer[u], []).append(u)
    pos = {u: float(i) for row in rows.values() for i, u in enumerate(row)}
    depth = max(rows) if rows else 0
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        links = preds if down else succs
        for lv in (range(1, depth + 1) if down else range(depth - 1, -1, -1)):
            row = rows.get(lv, [])
            row.sort(key=lambda u: sum(pos[n] for n in links[u]) / len(links[u])
                     if links[u] else pos[u])
            for i, u in enumerate(row):
                pos[u] = float(i)
    place: dict[Unit, tuple[float, float]] = {}
    for lv, row in rows.items():
        for i, u in enumerate(row):
            place[u] = ((i - (len(row) - 1) / 2) * X_GAP, lv * Y_GAP)
    members: dict[Unit, list[str]] = {}
    for nid, u in unit_of.items():
        members.setdefault(u, []).append(nid)
    out: dict[str, tuple[float, float]] = {}
    for u, ids in members.items():
        xs = [graph.nodes[n].position[0] for n in ids]
        ys = [graph.nodes[n].position[1] for n in ids]
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        tx, ty = place[u]
        for n in ids:
            x, y = graph.nodes[n].position
            out[n] = (x - cx + tx, y - cy + ty)
    return out


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
