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
#: a graph with more nodes than this opens with its groups collapsed (presets, imports)
COLLAPSE_ABOVE = 60


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


# ------------------------------------------------------------ collapsed groups
# Each collapsed group counts as one unit, every other node as its own unit. Units are put in
# layers by longest path and ordered by the barycentre of their neighbours (as
# ``layered_positions`` does for nodes), then placed top to bottom. The members of a collapsed
# group keep their arrangement relative to each other, centred on the group's place, so the
# group node (drawn at the centre of its members) lands exactly there.

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


def collapse_large(graph: Graph) -> list[str]:
    """For a graph above ``COLLAPSE_ABOVE`` nodes: every group, with the graph laid out
    compactly as those groups collapsed (as presets and imported models open); else []."""
    groups = sorted({n.group for n in graph.nodes.values() if n.group})
    if len(graph.nodes) <= COLLAPSE_ABOVE or not groups:
        return []
    for nid, xy in collapsed_layout(graph, set(groups)).items():
        graph.move(nid, xy)
    return groups
