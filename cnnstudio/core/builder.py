"""A small fluent helper for building graphs in code (presets, examples, tests).

    b = GraphBuilder()
    x = b.input(1, 28, 28)
    x = b.add("Conv2d", x, filters=32, kernel=3, activation="relu")
    y = b.add("Add", x, shortcut)          # merge nodes get one port per input
    with b.group("layer1.0"):              # nodes made inside are tagged with the group
        ...

Every call returns the new node's id. Nodes are laid out afterwards by ``layout``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import get_layer


class GraphBuilder:
    def __init__(self, graph: Graph | None = None) -> None:
        self.graph = graph if graph is not None else Graph()
        self._groups: list[str] = []

    @contextmanager
    def group(self, name: str) -> Iterator[None]:
        """Tag the nodes made inside with ``name`` (nested groups join with '.')."""
        self._groups.append(name)
        try:
            yield
        finally:
            self._groups.pop()

    @property
    def current_group(self) -> str | None:
        return ".".join(self._groups) if self._groups else None

    def input(self, *shape: int, name: str | None = None) -> str:
        """The Input node for images of ``shape`` = (channels, height, width)."""
        if len(shape) != 3:
            raise ValueError(f"an input shape is (channels, height, width), got {shape}")
        c, h, w = shape
        return self.add("Input", name=name, channels=c, height=h, width=w)

    def add(self, kind: str, *inputs: str, name: str | None = None, **params: Any) -> str:
        """Add a ``kind`` node fed by ``inputs`` (in port order) and return its id."""
        if get_layer(kind).inputs < 0:
            params.setdefault("inputs", len(inputs))
        node = self.graph.add_node(kind, params, name=name, group=self.current_group)
        for port, src in enumerate(inputs):
            self.graph.connect(src, node.id, port)
        return node.id

    def chain(self, x: str, *steps: tuple[str, dict[str, Any]]) -> str:
        """Feed ``x`` through ``(kind, params)`` steps, one after another."""
        for kind, params in steps:
            x = self.add(kind, x, **params)
        return x
