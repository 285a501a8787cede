"""Typed errors of the compiler and the exporters.

``CompileError`` is raised when the shape engine finds problems in a graph: it carries the
engine's ``Issue`` records and its message lists them by node name, so the CLI prints it and
the GUI can pin each issue to its node. ``ExportVerificationError`` is raised when an exported
file was written but does not reproduce the PyTorch model (never a warning).
"""

from __future__ import annotations

from typing import Any

from cnnstudio.core.graph import Graph
from cnnstudio.core.shapes import Issue


class CompileError(ValueError):
    """The graph cannot be compiled; ``issues`` says where and why."""

    def __init__(self, graph: Graph, issues: list[Issue]) -> None:
        self.issues = issues
        self.node_names = [
            graph.nodes[i.node_id].name for i in issues
            if i.node_id is not None and i.node_id in graph.nodes
        ]
        lines = [f"the graph cannot be compiled: {len(issues)} problem(s)"]
        lines += [issue.describe(graph) for issue in issues]
        super().__init__("\n".join(lines))


class ExportError(RuntimeError):
    """An export could not be written at all (the exporter itself failed)."""


class ExportVerificationError(ExportError):
    """An exported file does not match the PyTorch model; ``report`` holds the figures."""

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report
