"""Preset architectures, built in code from readable block builders.

Each preset is registered once with ``register_preset`` (duplicates are refused, as in
torchvision's ``register_model``) and builds a fresh ``Graph`` for an input shape and a
number of classes. ``build_preset`` lays the graph out (layered layout, in the core).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.layout import apply_layout


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    description: str
    paper: str
    build: Callable[..., Graph]
    input_shape: Shape = (3, 224, 224)
    num_classes: int = 1000
    #: extra keyword options the builder accepts, with a one-line help each
    options: dict[str, str] = field(default_factory=dict)


PRESETS: dict[str, Preset] = {}


def register_preset(preset: Preset) -> Preset:
    if preset.id in PRESETS:
        raise ValueError(f"preset {preset.id!r} is already registered")
    PRESETS[preset.id] = preset
    return preset


def build_preset(
    preset_id: str,
    input_shape: Shape | None = None,
    num_classes: int | None = None,
    layout: bool = True,
    **options: Any,
) -> Graph:
    """A new graph of ``preset_id`` (``KeyError`` with the known ids when it does not exist)."""
    if preset_id not in PRESETS:
        raise KeyError(f"unknown preset {preset_id!r}; known: {', '.join(sorted(PRESETS))}")
    preset = PRESETS[preset_id]
    graph = preset.build(
        input_shape=tuple(input_shape or preset.input_shape),
        num_classes=num_classes or preset.num_classes,
        **options,
    )
    if layout:
        apply_layout(graph)
    return graph


def _load_builtin() -> None:
    from cnnstudio.core.presets import (  # noqa: F401
        classic,
        convnext,
        densenet,
        efficientnet,
        inception,
        inception_resnet,
        mobilenet,
        nasnet,
        resnet,
        xception,
    )


_load_builtin()
