"""Typed errors of the core.

Edit errors (``GraphError`` and subclasses) are raised by the graph's edit API and carry the
node (and port) they concern, so a view can pin them to the right item. ``ProjectFileError``
is the one error a bad project file produces. Shape problems are not exceptions: they are
``Issue`` records collected by the shape engine (see ``shapes.py``).
"""

from __future__ import annotations


class GraphError(ValueError):
    """An edit the graph refuses. ``node_id``/``port`` say where, when it is about one node."""

    def __init__(self, message: str, node_id: str | None = None, port: int | None = None):
        super().__init__(message)
        self.message = message
        self.node_id = node_id
        self.port = port


class NodeNotFoundError(GraphError, KeyError):
    """No node with that id."""

    def __str__(self) -> str:
        return self.message


class UnknownLayerKindError(GraphError):
    """The layer kind is not in the catalogue."""


class InvalidParameterError(GraphError):
    """A parameter value outside its type, range or choices, or an unknown parameter name."""

    def __init__(
        self, message: str, node_id: str | None = None, param: str | None = None
    ) -> None:
        super().__init__(message, node_id)
        self.param = param


class InvalidConnectionError(GraphError):
    """A connection the graph refuses (no such port, self loop, node without inputs)."""


class PortConnectedError(InvalidConnectionError):
    """The input port already has an incoming edge."""


class CycleError(InvalidConnectionError):
    """The connection would close a cycle."""


class ProjectFileError(ValueError):
    """A project file that cannot be loaded; the message names the file and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
