"""Copy and paste of nodes as plain JSON-able data (the clipboard's custom MIME type).

``copy_nodes`` keeps the chosen nodes and the edges between them, with edge ends given as
indexes into the node list. ``paste_nodes`` adds copies through the document's editor
(``AddNode`` then ``Connect`` edits), keeping each name when it is free and otherwise making
a fresh one; a copied group gets a new group name so the copy does not join the original.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from cnnstudio.core.graph import Graph
from cnnstudio.gui.commands import AddNode, Connect

MIME_TYPE = "application/x-cnnstudio-nodes"
FORMAT = "cnnstudio-nodes"


def copy_nodes(graph: Graph, node_ids: Iterable[str]) -> dict[str, Any]:
    ids = [nid for nid in graph.nodes if nid in set(node_ids)]
    index = {nid: i for i, nid in enumerate(ids)}
    nodes = []
    for nid in ids:
        n = graph.nodes[nid]
        nodes.append({
            "kind": n.kind, "name": n.name,
            "params": {p.name: p.to_json(n.params[p.name]) for p in n.spec.params},
            "position": list(n.position), "trainable": n.trainable, "group": n.group,
        })
    edges = [{"from": index[e.src], "to": index[e.dst], "port": e.port}
             for e in graph.edges if e.src in index and e.dst in index]
    return {"format": FORMAT, "nodes": nodes, "edges": edges}


def dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode("utf-8")


def loads(raw: bytes) -> dict[str, Any] | None:
    """The clipboard data, or None when it is not ours or not valid."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    return data


def paste_nodes(graph: Graph, data: dict[str, Any], offset: tuple[float, float],
                apply: Callable[[Any], Any], taken_groups: set[str]) -> list[str]:
    renamed: dict[str, str] = {}
    ids: list[str] = []
    for item in data.get("nodes", []):
        name = item.get("name")
        if not isinstance(name, str) or name in _names(graph):
            name = None
        group = item.get("group")
        if group:
            if group not in renamed:
                new = f"{group}_copy"
                i = 2
                while new in taken_groups:
                    new = f"{group}_copy{i}"
                    i += 1
                taken_groups.add(new)
                renamed[group] = new
            group = renamed[group]
        x, y = item.get("position", (0.0, 0.0))
        add = apply(AddNode(graph, item["kind"], item.get("params"), name=name,
                            position=(x + offset[0], y + offset[1]),
                            trainable=bool(item.get("trainable", True)), group=group))
        ids.append(add.node_id)
    for e in data.get("edges", []):
        apply(Connect(graph, ids[e["from"]], ids[e["to"]], int(e.get("port", 0))))
    return ids


def _names(graph: Graph) -> set[str]:
    return {n.name for n in graph.nodes.values()}
