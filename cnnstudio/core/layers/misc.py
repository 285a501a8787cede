"""Input, Identity and the padding / cropping reshapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnnstudio.core.layers.fields import border
from cnnstudio.core.layers.spec import (
    LayerSpec,
    ParamSpec,
    Result,
    Shape,
    ShapeProblem,
    need_map,
)


def input_rule(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    c, h, w = p["channels"], p["height"], p["width"]
    return Result((c, h, w), explanation=[f"images of {c} channel(s), {h}x{w} pixels"])


def identity(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    return Result(shapes[0], explanation=["passes its input through unchanged"])


def zeropad(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    c, h, w = need_map(shapes, "ZeroPad2d")
    t, b, left, r = p["padding"]
    ho, wo = h + t + b, w + left + r
    return Result(
        (c, ho, wo),
        explanation=[f"H_out = {h} + {t} + {b} = {ho}", f"W_out = {w} + {left} + {r} = {wo}"],
    )


def crop(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    c, h, w = need_map(shapes, "Cropping2d")
    t, b, left, r = p["cropping"]
    ho, wo = h - t - b, w - left - r
    if ho < 1 or wo < 1:
        raise ShapeProblem(
            f"Cropping removes the whole {h}x{w} map.",
            formula=f"H_out = {h} - {t} - {b} = {ho}, W_out = {w} - {left} - {r} = {wo}",
            fix="Crop fewer pixels.",
        )
    return Result(
        (c, ho, wo),
        explanation=[f"H_out = {h} - {t} - {b} = {ho}", f"W_out = {w} - {left} - {r} = {wo}"],
    )


SPECS = [
    LayerSpec(
        "Input", "Input", "The images the network reads", input_rule,
        (ParamSpec("channels", "int", 1, "1 for grey, 3 for RGB", 1, 4096),
         ParamSpec("height", "int", 28, "Image height in pixels", 1, 16384),
         ParamSpec("width", "int", 28, "Image width in pixels", 1, 16384)),
        inputs=0, prefix="input", keras="InputLayer",
        saves=(),
    ),
    LayerSpec("Identity", "Reshape", "Passes its input through (a placeholder)", identity,
              prefix="identity", after_classifier=True, saves=("view",)),
    LayerSpec("ZeroPad2d", "Reshape", "Add zero borders (top, bottom, left, right)", zeropad,
              (ParamSpec("padding", "pad4", 1, "Pixels: one value, (vertical, horizontal) or "
                         "(top, bottom, left, right)", 0, 4096),),
              prefix="zeropad", receptive=border(1, "padding"), keras="ZeroPadding2D", saves=()),
    LayerSpec("Cropping2d", "Reshape", "Remove borders (top, bottom, left, right)", crop,
              (ParamSpec("cropping", "pad4", 1, "Pixels: one value, (vertical, horizontal) or "
                         "(top, bottom, left, right)", 0, 4096),),
              prefix="crop", receptive=border(-1, "cropping"), keras="Cropping2D", saves=("view",)),
]
