"""The Qt-free, torch-free core: graph model, layer catalogue, shape engine, project files.

Nothing in this package may import PySide6, pyqtgraph or torch (a test enforces it).
"""

from cnnstudio.core.errors import (
    CycleError,
    GraphError,
    InvalidConnectionError,
    InvalidParameterError,
    NodeNotFoundError,
    PortConnectedError,
    ProjectFileError,
    UnknownLayerKindError,
)
from cnnstudio.core.graph import Edge, Graph, Node
from cnnstudio.core.layers import LAYERS, LayerSpec, ParamSpec, get_layer
from cnnstudio.core.shapes import Analysis, Issue, NodeInfo, ShapeEngine, analyse

__all__ = [
    "LAYERS",
    "Analysis",
    "CycleError",
    "Edge",
    "Graph",
    "GraphError",
    "InvalidConnectionError",
    "InvalidParameterError",
    "Issue",
    "LayerSpec",
    "Node",
    "NodeInfo",
    "NodeNotFoundError",
    "ParamSpec",
    "PortConnectedError",
    "ProjectFileError",
    "ShapeEngine",
    "UnknownLayerKindError",
    "analyse",
    "get_layer",
]
