"""Project files: versioned JSON, validated against the layer catalogue, saved atomically.

Loading is three steps (as in orange-canvas-core's readwrite): parse the text, migrate it one
format version at a time up to ``FORMAT_VERSION``, then build the graph through the graph's
own edit API, so a file can never hold what the editor would refuse. Every problem becomes
one ``ProjectFileError`` naming the file, the node and the reason. Nothing is unpickled.
See docs/file-format.md.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnstudio.core.errors import GraphError, ProjectFileError
from cnnstudio.core.files import write_bytes_atomic
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import LAYERS
from cnnstudio.core.limits import MAX_PROJECT_BYTES, InputLimitError, read_capped

FORMAT = "cnnstudio-project"
FORMAT_VERSION = 1
MAX_FILE_BYTES = MAX_PROJECT_BYTES  # see core/limits.py
MAX_NODES = 100_000

#: ``MIGRATIONS[v]`` turns a version-``v`` document into a version ``v + 1`` document.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


@dataclass
class Project:
    """A graph plus what travels with it: a name, a description and free metadata
    (training settings, view state such as collapsed groups)."""

    graph: Graph
    name: str = "Untitled"
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def to_dict(project: Project) -> dict[str, Any]:
    g = project.graph
    nodes = []
    for node in g.nodes.values():
        spec = node.spec
        item: dict[str, Any] = {
            "id": node.id,
            "kind": node.kind,
            "name": node.name,
            "params": {p.name: p.to_json(node.params[p.name]) for p in spec.params},
            "position": [round(node.position[0], 2), round(node.position[1], 2)],
        }
        if not node.trainable:
            item["trainable"] = False
        if node.group:
            item["group"] = node.group
        nodes.append(item)
    edges = [{"from": e.src, "to": e.dst, "port": e.port} for e in g.edges]
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": project.name,
        "description": project.description,
        "nodes": nodes,
        "edges": edges,
        "metadata": project.metadata,
    }


_FLAT_LIST = re.compile(r"\[\s*([^\[\]{}]*?)\s*\]")


def dumps(project: Project) -> str:
    """Indented JSON, with short lists of numbers (kernel, position) kept on one line."""
    text = json.dumps(to_dict(project), indent=2, ensure_ascii=False)
    text = _FLAT_LIST.sub(lambda m: "[" + re.sub(r"\s*\n\s*", " ", m.group(1)) + "]", text)
    return text + "\n"


def save(project: Project, path: str | os.PathLike[str]) -> None:
    """Write atomically: a temp file in the same folder, flushed, then ``os.replace``."""
    write_bytes_atomic(path, dumps(project).encode("utf-8"))


def load(path: str | os.PathLike[str]) -> Project:
    """Read a project file, or raise one ``ProjectFileError`` that says why not."""
    p = Path(path)
    try:
        raw = read_capped(p, MAX_FILE_BYTES, "project file")
    except InputLimitError as exc:
        raise ProjectFileError(str(p), f"cannot read the file: {exc}.") from None
    except OSError as exc:
        raise ProjectFileError(str(p), f"cannot read the file ({exc.strerror or exc}).") from None
    return loads(raw, str(p))


def loads(text: str | bytes, source: str = "<project>") -> Project:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProjectFileError(
            source, f"not a CNN Studio project: the text is not valid JSON ({exc})."
        ) from None
    return from_dict(data, source)


def from_dict(data: Any, source: str = "<project>") -> Project:
    def fail(reason: str) -> ProjectFileError:
        return ProjectFileError(source, reason)

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise fail(f"not a CNN Studio project (no \"format\": \"{FORMAT}\" field).")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise fail(f"the format version must be a positive whole number, got {version!r}.")
    if version > FORMAT_VERSION:
        raise fail(f"the file has format version {version}, made by a newer CNN Studio; this "
                   f"version reads up to {FORMAT_VERSION}. Update CNN Studio to open it.")
    while version < FORMAT_VERSION:
        if version not in MIGRATIONS:
            raise fail(f"no migration from format version {version}.")
        data = MIGRATIONS[version](data)
        version += 1
        data["version"] = version
    nodes = _list(data, "nodes", fail)
    edges = _list(data, "edges", fail)
    if len(nodes) > MAX_NODES:
        raise fail(f"{len(nodes):,} nodes is more than the {MAX_NODES:,} a project may hold.")
    for key in ("name", "description"):
        if not isinstance(data.get(key, ""), str):
            raise fail(f"\"{key}\" must be text.")
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        raise fail("\"metadata\" must be an object.")
    graph = Graph()
    for i, item in enumerate(nodes):
        _add_node(graph, item, i, fail)
    for i, item in enumerate(edges):
        _add_edge(graph, item, i, fail)
    return Project(graph, data.get("name", "Untitled"), data.get("description", ""), metadata)


def _list(data: dict[str, Any], key: str, fail: Callable[[str], ProjectFileError]) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise fail(f"\"{key}\" must be a list.")
    return value


def _add_node(graph: Graph, item: Any, i: int, fail: Callable[[str], ProjectFileError]) -> None:
    if not isinstance(item, dict):
        raise fail(f"node {i + 1} must be an object.")
    nid, kind, name = item.get("id"), item.get("kind"), item.get("name")
    label = f"node {i + 1}" + (f" ({name!r})" if isinstance(name, str) else "")
    if not isinstance(nid, str) or not nid:
        raise fail(f"{label} needs a text \"id\".")
    if not isinstance(kind, str) or kind not in LAYERS:
        raise fail(f"{label} has an unknown layer kind {kind!r}.")
    if name is not None and not isinstance(name, str):
        raise fail(f"{label}: \"name\" must be text.")
    params = item.get("params", {})
    if not isinstance(params, dict):
        raise fail(f"{label}: \"params\" must be an object.")
    position = item.get("position", [0, 0])
    if (not isinstance(position, list) or len(position) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)):
        raise fail(f"{label}: \"position\" must be two numbers.")
    trainable = item.get("trainable", True)
    group = item.get("group")
    if not isinstance(trainable, bool):
        raise fail(f"{label}: \"trainable\" must be true or false.")
    if group is not None and not isinstance(group, str):
        raise fail(f"{label}: \"group\" must be text.")
    try:
        graph.add_node(kind, params, name=name, position=(position[0], position[1]),
                       node_id=nid, trainable=trainable, group=group)
    except GraphError as exc:
        raise fail(f"{label}: {exc.message}") from None


def _add_edge(graph: Graph, item: Any, i: int, fail: Callable[[str], ProjectFileError]) -> None:
    if not isinstance(item, dict):
        raise fail(f"edge {i + 1} must be an object.")
    src, dst, port = item.get("from"), item.get("to"), item.get("port", 0)
    for end in (src, dst):
        if not isinstance(end, str) or end not in graph.nodes:
            raise fail(f"edge {i + 1} points to a node that does not exist ({end!r}).")
    assert isinstance(src, str) and isinstance(dst, str)
    if isinstance(port, bool) or not isinstance(port, int):
        raise fail(f"edge {i + 1}: \"port\" must be a whole number.")
    try:
        graph.connect(src, dst, port)
    except GraphError as exc:
        raise fail(f"edge {i + 1}: {exc.message}") from None
