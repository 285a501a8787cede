"""Pooling: max / average / min windows, adaptive pools and global pools."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnnstudio.core.layers import fields
from cnnstudio.core.layers.spec import LayerSpec, ParamSpec, Result, Shape, need_map
from cnnstudio.core.layers.window import window

KERNEL = ParamSpec("kernel", "pair", 2, "Window height x width (F)", 1, 1024)
STRIDE = ParamSpec("stride", "pair", 2, "Step of the window (S)", 1, 1024)
PADDING = ParamSpec(
    "padding", "padding", "valid",
    "'valid' (none), 'same' (keep size / stride) or pixels (P)", 0, 1024,
)
CEIL = ParamSpec("ceil_mode", "bool", False,
                 "Round the output size up (keep a partial last window)")


def windowed(kind: str):  # type: ignore[no-untyped-def]
    def rule(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
        c, h, w = need_map(shapes, kind, f"{kind} works on feature maps; put it before Flatten.")
        (kh, kw), (sh, sw) = p["kernel"], p["stride"]
        ho, th = window("H", h, kh, sh, p["padding"], 0, 1, p["ceil_mode"], pool=True)
        wo, tw = window("W", w, kw, sw, p["padding"], 1, 1, p["ceil_mode"], pool=True)
        return Result((c, ho, wo), explanation=[th, tw, "params = 0 (pooling has no weights)"])

    return rule


def adaptive(kind: str):  # type: ignore[no-untyped-def]
    def rule(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
        c, h, w = need_map(shapes, kind)
        oh, ow = p["output_size"]
        return Result(
            (c, oh, ow),
            explanation=[f"{h}x{w} is pooled into a fixed {oh}x{ow} grid; channels stay {c}"],
        )

    return rule


def global_pool(kind: str):  # type: ignore[no-untyped-def]
    def rule(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
        c, h, w = need_map(shapes, kind)
        shape: Shape = (c, 1, 1) if p["keepdims"] else (c,)
        return Result(shape, explanation=[f"each of the {c} channels is reduced over {h}x{w}"])

    return rule


WINDOW = fields.windowed(False)
KEEPDIMS = ParamSpec("keepdims", "bool", False, "Keep a 1x1 map (C x 1 x 1) instead of a vector")
OUTPUT = ParamSpec("output_size", "pair", 1, "Output height x width", 1, 1024)

def adaptive_avg_saves(params: Mapping[str, Any]) -> tuple[str, ...]:
    """A 1x1 adaptive average is a mean, which keeps nothing; other grids keep the input."""
    return () if tuple(params["output_size"]) == (1, 1) else ("input",)


SPECS = [
    LayerSpec("MaxPool2d", "Pooling", "Largest value in each window", windowed("MaxPool2d"),
              (KERNEL, STRIDE, PADDING, CEIL), prefix="maxpool", window_pool=True,
              receptive=WINDOW, keras="MaxPooling2D", saves=("input", "indices")),
    LayerSpec("AvgPool2d", "Pooling", "Mean of each window", windowed("AvgPool2d"),
              (KERNEL, STRIDE, PADDING, CEIL,
               ParamSpec("count_include_pad", "bool", True,
                         "Count zero padding in the mean (ignored with 'same', as in Keras)")),
              prefix="avgpool", window_pool=True, receptive=WINDOW, keras="AveragePooling2D",
              saves=("input",)),
    LayerSpec("MinPool2d", "Pooling", "Smallest value in each window", windowed("MinPool2d"),
              (KERNEL, STRIDE, PADDING, CEIL), prefix="minpool", window_pool=True,
              receptive=WINDOW, saves=("copy", "indices")),
    LayerSpec("AdaptiveAvgPool2d", "Pooling", "Average into a fixed output grid",
              adaptive("AdaptiveAvgPool2d"), (OUTPUT,), prefix="adaptive_avgpool",
              after_classifier=True, receptive=fields.adaptive, saves=adaptive_avg_saves),
    LayerSpec("AdaptiveMaxPool2d", "Pooling", "Max into a fixed output grid",
              adaptive("AdaptiveMaxPool2d"), (OUTPUT,), prefix="adaptive_maxpool",
              after_classifier=True, receptive=fields.adaptive, saves=("input", "output")),
    LayerSpec("GlobalAvgPool", "Pooling", "Mean of each channel over the whole map",
              global_pool("GlobalAvgPool"), (KEEPDIMS,), prefix="global_avgpool",
              after_classifier=True, receptive=fields.whole, keras="GlobalAveragePooling2D",
              saves=()),
    LayerSpec("GlobalMaxPool", "Pooling", "Max of each channel over the whole map",
              global_pool("GlobalMaxPool"), (KEEPDIMS,), prefix="global_maxpool",
              after_classifier=True, receptive=fields.whole, keras="GlobalMaxPooling2D",
              saves=("input", "output")),
]
