"""The layer catalogue: every layer kind, declared once as data.

``LAYERS`` maps a kind name ("Conv2d") to its ``LayerSpec``. Kinds are registered by
``register``, which refuses duplicates. ``CATEGORIES`` gives the palette order.
"""

from __future__ import annotations

from cnnstudio.core.errors import UnknownLayerKindError
from cnnstudio.core.layers import activation, conv, dense, merge, misc, norm, pool
from cnnstudio.core.layers.spec import LayerSpec, ParamSpec, Result, Shape, ShapeProblem, fmt_shape

LAYERS: dict[str, LayerSpec] = {}

CATEGORIES = (
    "Input",
    "Convolution",
    "Pooling",
    "Dense",
    "Normalisation",
    "Activation",
    "Dropout",
    "Merge",
    "Reshape",
)


def register(spec: LayerSpec) -> LayerSpec:
    """Add a kind to the catalogue; a second kind with the same name is an error."""
    if spec.kind in LAYERS:
        raise ValueError(f"layer kind {spec.kind!r} is already registered")
    if spec.category not in CATEGORIES:
        raise ValueError(f"unknown category {spec.category!r} for {spec.kind}")
    LAYERS[spec.kind] = spec
    return spec


def get_layer(kind: str) -> LayerSpec:
    """The spec of ``kind``, or ``UnknownLayerKindError`` listing close names."""
    try:
        return LAYERS[kind]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(kind, LAYERS, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownLayerKindError(f"Unknown layer kind {kind!r}.{hint}") from None


for _module in (misc, conv, pool, dense, norm, activation, merge):
    for _spec in _module.SPECS:
        register(_spec)

__all__ = [
    "CATEGORIES",
    "LAYERS",
    "LayerSpec",
    "ParamSpec",
    "Result",
    "Shape",
    "ShapeProblem",
    "fmt_shape",
    "get_layer",
    "register",
]
