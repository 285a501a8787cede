"""Merge nodes with several inputs: Add, Concat (channels), Multiply (broadcasting)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnnstudio.core.layers.fields import merge
from cnnstudio.core.layers.spec import LayerSpec, ParamSpec, Result, Shape, ShapeProblem, fmt_shape


def add(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    first = shapes[0]
    for i, s in enumerate(shapes[1:], start=1):
        if s == first:
            continue
        if len(s) == len(first) == 3 and s[1:] == first[1:]:
            raise ShapeProblem(
                f"Add needs equal shapes, but input 1 has {first[0]} channels and input "
                f"{i + 1} has {s[0]}.",
                formula=f"{fmt_shape(first)} + {fmt_shape(s)}",
                fix=f"Insert a 1x1 Conv2d with {first[0]} filters on input {i + 1}'s path "
                "(a projection shortcut), or use Concat.",
                port=i,
            )
        raise ShapeProblem(
            f"Add needs equal shapes, but input 1 is {fmt_shape(first)} and input {i + 1} is "
            f"{fmt_shape(s)}.",
            formula=f"{fmt_shape(first)} != {fmt_shape(s)}",
            fix="Make both paths downsample by the same amount (a strided 1x1 Conv2d on the "
            "shortcut), or use the same padding on both.",
            port=i,
        )
    return Result(first, explanation=[f"element-wise sum of {len(shapes)} inputs"])


def concat(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    first = shapes[0]
    for i, s in enumerate(shapes[1:], start=1):
        if len(s) != len(first):
            raise ShapeProblem(
                f"Concat cannot join a {fmt_shape(first)} input with a {fmt_shape(s)} input "
                f"(input {i + 1}): one is flat, the other a feature map.",
                fix="Flatten both inputs, or concatenate before flattening.",
                port=i,
            )
        if s[1:] != first[1:]:
            raise ShapeProblem(
                f"Concat joins channels, so every input needs the same height and width: input 1 "
                f"is {first[1]}x{first[2]} but input {i + 1} is {s[1]}x{s[2]}.",
                formula=f"{fmt_shape(first)} vs {fmt_shape(s)}",
                fix="Use the same strides and padding on every branch (padding 'same' keeps "
                "sizes equal).",
                port=i,
            )
    c = sum(s[0] for s in shapes)
    text = " + ".join(str(s[0]) for s in shapes)
    return Result((c, *first[1:]), explanation=[f"channels = {text} = {c}"])


def multiply(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    out = list(shapes[0])
    for i, s in enumerate(shapes[1:], start=1):
        if len(s) != len(out):
            raise ShapeProblem(
                f"Multiply needs inputs with the same number of axes: {fmt_shape(tuple(out))} "
                f"and {fmt_shape(s)} (input {i + 1}).",
                fix="Use GlobalAvgPool with keepdims (C x 1 x 1) for squeeze-excitation.",
                port=i,
            )
        for a, (x, y) in enumerate(zip(out, s, strict=True)):
            if x != y and 1 not in (x, y):
                raise ShapeProblem(
                    f"Multiply broadcasts only sizes that are equal or 1: axis {a} is {x} on "
                    f"one input and {y} on input {i + 1}.",
                    formula=f"{fmt_shape(tuple(out))} * {fmt_shape(s)}",
                    fix="Make the channel counts equal (squeeze-excitation multiplies C x H x W "
                    "by C x 1 x 1).",
                    port=i,
                )
            out[a] = max(x, y)
    return Result(tuple(out), explanation=["element-wise product, broadcasting sizes of 1"])


INPUTS = ParamSpec("inputs", "int", 2, "Number of input ports", 2, 64)

SPECS = [
    LayerSpec("Add", "Merge", "Element-wise sum (residual / skip connections)", add, (INPUTS,),
              inputs=-1, prefix="add", merge="add", receptive=merge, saves=()),
    LayerSpec("Concat", "Merge", "Join inputs along the channels (Inception, DenseNet)", concat,
              (INPUTS,), inputs=-1, prefix="concat", merge="concat", receptive=merge,
              keras="Concatenate", saves=()),
    LayerSpec("Multiply", "Merge", "Element-wise product with broadcasting (squeeze-excitation)",
              multiply, (INPUTS,), inputs=-1, prefix="multiply", merge="multiply",
              receptive=merge, saves=("input",)),
]
