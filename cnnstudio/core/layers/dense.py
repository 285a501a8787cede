"""Flatten, Dense and dropout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnnstudio.core.layers.fields import whole
from cnnstudio.core.layers.spec import (
    ACTIVATIONS,
    MAX_SIZE,
    LayerSpec,
    ParamSpec,
    Result,
    Shape,
    ShapeProblem,
    fmt_shape,
    need_map,
)


def flatten(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    s = shapes[0]
    n = 1
    for d in s:
        n *= d
    text = " * ".join(str(d) for d in s)
    return Result((n,), explanation=[f"features = {text} = {n:,}"])


def dense(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    s = shapes[0]
    if len(s) != 1:
        raise ShapeProblem(
            f"Dense needs a flat vector but gets a {fmt_shape(s)} feature map.",
            formula=f"input {fmt_shape(s)} has {len(s)} axes; Dense takes 1",
            fix="Insert a Flatten (or a GlobalAvgPool) node before this Dense.",
            port=0,
        )
    f, u = s[0], p["units"]
    b = 1 if p["bias"] else 0
    params = (f + b) * u
    return Result(
        (u,), params, mult_adds=params,
        explanation=[f"params = ({f:,}{' + 1' if b else ''}) * {u:,} = {params:,}"],
    )


def dropout(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    return Result(shapes[0], explanation=[f"drops {p['rate']:g} of the values while training"])


def dropout2d(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    need_map(shapes, "Dropout2d", "Use Dropout after Flatten; Dropout2d drops whole channels.")
    return dropout(shapes, p)


RATE = ParamSpec("rate", "float", 0.5, "Fraction dropped while training", 0.0, 1.0)

SPECS = [
    LayerSpec("Flatten", "Reshape", "Unroll a feature map into a vector", flatten,
              prefix="flatten", after_classifier=True, receptive=whole, saves=("view",)),
    LayerSpec(
        "Dense", "Dense", "Fully connected layer: every input to every unit", dense,
        (ParamSpec("units", "int", 128, "Number of output units", 1, MAX_SIZE * 16),
         ParamSpec("bias", "bool", True, "Learn an additive bias per unit"),
         ParamSpec("activation", "choice", "none", "Activation applied after the layer",
                   choices=ACTIVATIONS)),
        prefix="dense", has_weights=True, classifier_param="units", receptive=whole,
        saves=("input",),
    ),
    LayerSpec("Dropout", "Dropout", "Randomly zero values while training", dropout, (RATE,),
              prefix="dropout", after_classifier=True, saves=("copy",)),
    LayerSpec("Dropout2d", "Dropout", "Randomly zero whole channels while training", dropout2d,
              (RATE,), prefix="dropout2d", keras="SpatialDropout2D", saves=("channel_noise",)),
]
