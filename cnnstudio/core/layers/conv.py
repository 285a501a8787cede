"""Convolutions: Conv2d, DepthwiseConv2d, SeparableConv2d (all with a fused activation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnnstudio.core.layers.fields import windowed
from cnnstudio.core.layers.spec import (
    ACTIVATIONS,
    MAX_SIZE,
    LayerSpec,
    ParamSpec,
    Result,
    Shape,
    ShapeProblem,
    need_map,
)
from cnnstudio.core.layers.window import window

KERNEL = ParamSpec("kernel", "pair", 3, "Kernel height x width (F)", 1, 1024)
STRIDE = ParamSpec("stride", "pair", 1, "Step of the window (S)", 1, 1024)
PADDING = ParamSpec(
    "padding", "padding", "valid",
    "'valid' (none), 'same' (keep size / stride) or pixels (P)", 0, 1024,
)
DILATION = ParamSpec("dilation", "pair", 1, "Spacing between kernel taps (D)", 1, 1024)
BIAS = ParamSpec("bias", "bool", True, "Learn an additive bias per output channel")
ACTIVATION = ParamSpec(
    "activation", "choice", "none", "Activation applied after the layer (as in Keras)",
    choices=ACTIVATIONS,
)
MULTIPLIER = ParamSpec(
    "depth_multiplier", "int", 1, "Output channels per input channel in the depthwise step", 1, 1024
)


def _spatial(h: int, w: int, p: Mapping[str, Any]) -> tuple[int, int, list[str]]:
    (kh, kw), (sh, sw), (dh, dw) = p["kernel"], p["stride"], p["dilation"]
    ho, th = window("H", h, kh, sh, p["padding"], 0, dh)
    wo, tw = window("W", w, kw, sw, p["padding"], 1, dw)
    return ho, wo, [th, tw]


def conv2d(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    c, h, w = need_map(shapes, "Conv2d", "Conv2d works on feature maps; put it before Flatten.")
    f, g = p["filters"], p["groups"]
    if c % g or f % g:
        raise ShapeProblem(
            f"groups={g} must divide both the {c} input channels and the {f} filters.",
            formula=f"{c} % {g} = {c % g}, {f} % {g} = {f % g}",
            fix=f"Choose groups among the common divisors of {c} and {f} (1 always works).",
        )
    ho, wo, lines = _spatial(h, w, p)
    kh, kw = p["kernel"]
    b = 1 if p["bias"] else 0
    params = (kh * kw * (c // g) + b) * f
    per = f"{kh}*{kw}*{c}" if g == 1 else f"{kh}*{kw}*({c}/{g})"
    lines.append(f"params = ({per}{' + 1' if b else ''}) * {f} = {params:,}")
    return Result((f, ho, wo), params, mult_adds=params * ho * wo, explanation=lines)


def depthwise(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    c, h, w = need_map(shapes, "DepthwiseConv2d")
    m = p["depth_multiplier"]
    ho, wo, lines = _spatial(h, w, p)
    kh, kw = p["kernel"]
    b = 1 if p["bias"] else 0
    params = (kh * kw + b) * c * m
    lines.append(f"params = ({kh}*{kw}{' + 1' if b else ''}) * {c}*{m} = {params:,}")
    return Result((c * m, ho, wo), params, mult_adds=params * ho * wo, explanation=lines)


def separable(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    c, h, w = need_map(shapes, "SeparableConv2d")
    m, f = p["depth_multiplier"], p["filters"]
    ho, wo, lines = _spatial(h, w, p)
    kh, kw = p["kernel"]
    b = 1 if p["bias"] else 0
    params = kh * kw * c * m + (c * m + b) * f
    lines.append(
        f"params = {kh}*{kw}*{c}*{m} (depthwise) + ({c}*{m}{' + 1' if b else ''}) * {f} "
        f"(pointwise) = {params:,}"
    )
    return Result((f, ho, wo), params, mult_adds=params * ho * wo, explanation=lines)


FILTERS = ParamSpec("filters", "int", 32, "Number of output channels (filters)", 1, MAX_SIZE)

SPECS = [
    LayerSpec(
        "Conv2d", "Convolution", "2-D convolution: slides F x F filters over the feature map",
        conv2d,
        (FILTERS, KERNEL, STRIDE, PADDING, DILATION,
         ParamSpec("groups", "int", 1, "Split channels into groups (groups = channels: depthwise)",
                   1, MAX_SIZE),
         BIAS, ACTIVATION),
        prefix="conv", has_weights=True, conv=True, classifier_param="filters",
        receptive=windowed(True), keras="Conv2D",
        saves=("input",),
    ),
    LayerSpec(
        "DepthwiseConv2d", "Convolution", "One filter per input channel (groups = channels)",
        depthwise, (KERNEL, STRIDE, PADDING, DILATION, MULTIPLIER, BIAS, ACTIVATION),
        prefix="dwconv", has_weights=True, conv=True, receptive=windowed(True),
        keras="DepthwiseConv2D",
        saves=("input",),
    ),
    LayerSpec(
        "SeparableConv2d", "Convolution",
        "Depthwise convolution followed by a 1x1 pointwise convolution (Xception)",
        separable,
        (FILTERS, KERNEL, STRIDE, PADDING, DILATION, MULTIPLIER,
         ParamSpec("bias", "bool", True, "Learn a bias in the pointwise step"), ACTIVATION),
        prefix="sepconv", has_weights=True, conv=True, receptive=windowed(True),
        keras="SeparableConv2D",
        saves=("input", "mid"),
    ),
]
