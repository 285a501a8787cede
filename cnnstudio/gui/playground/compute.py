"""The playground's arithmetic, in the form's terms (no Qt here): one kernel on the grey
image (``output_map``, ``region_cells``), or one filter of a node over all its input channels
(``filter_output``, ``filter_cells``: the node's own feature map for that image).

``settings`` is ``SettingsForm.values()``: ``op`` (``conv``, ``max``, ``avg``, ``min``),
``stride``, ``padding``, ``dilation``, ``activation``, ``ceil_mode``, ``count_include_pad``.
``kernel`` is (kh, kw): the weights of a convolution, only the window's size for a pool.
Everything is ``core.conv_arith``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnstudio.core import conv_arith as ca


def output_map(image: np.ndarray, kernel: np.ndarray, bias: float,
               s: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    """The output (H_out, W_out) and the shape engine's lines for its size; ``ShapeProblem``
    when the window does not fit."""
    x = image[None]
    if s["op"] == "conv":
        out = ca.correlate(x, kernel[None, None], np.array([bias]), s["stride"], s["padding"],
                           s["dilation"])
        _, lines = ca.output_size(image.shape, kernel.shape, s["stride"], s["padding"],
                                  s["dilation"])
        return ca.activate(out, s["activation"])[0], lines
    out = ca.pool(x, s["op"], kernel.shape, s["stride"], s["padding"], s["ceil_mode"],
                  s["count_include_pad"])
    _, lines = ca.output_size(image.shape, kernel.shape, s["stride"], s["padding"],
                              ceil_mode=s["ceil_mode"], pool=True)
    return out[0], lines


def region_cells(image: np.ndarray, kernel: np.ndarray, bias: float, s: dict[str, Any],
                 rows: range, cols: range) -> list[list[ca.Cell]]:
    """The terms of output cells ``rows`` x ``cols``, row by row."""
    x = image[None]
    if s["op"] == "conv":
        b = np.array([bias])
        return [[ca.conv_cell(x, kernel[None, None], i, j, b, s["stride"], s["padding"],
                              s["dilation"], s["activation"]) for j in cols] for i in rows]
    return [[ca.pool_cell(x, s["op"], i, j, kernel.shape, s["stride"], s["padding"],
                          s["ceil_mode"], s["count_include_pad"]) for j in cols] for i in rows]


def filter_output(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, index: int,
                  groups: int, s: dict[str, Any],
                  same_channels: bool = False) -> tuple[np.ndarray, list[str]]:
    """Filter ``index`` of ``weight`` (F, C / groups, kh, kw) over every input channel of
    ``x`` (C, H, W) in its group, with its bias and the activation: (H_out, W_out) and the
    shape engine's lines for its size; ``ShapeProblem`` when the window does not fit. The
    grey image on every channel (``x`` a broadcast view, ``same_channels``) is correlated
    once with the sum of the filter's slices: the same sum, without C copies of the image."""
    if same_channels:
        x, weight, groups = x[:1], weight.sum(axis=1, keepdims=True), 1
    out = ca.filter_map(x, weight, index, bias, s["stride"], s["padding"], s["dilation"],
                        groups, s["activation"])
    _, lines = ca.output_size(x.shape[1:], weight.shape[2:], s["stride"], s["padding"],
                              s["dilation"])
    return out, lines


def filter_cells(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, index: int,
                 groups: int, s: dict[str, Any], rows: range,
                 cols: range) -> list[list[ca.Cell]]:
    """The terms of output cells ``rows`` x ``cols`` of filter ``index``, every channel."""
    return [[ca.conv_cell(x, weight, i, j, bias, s["stride"], s["padding"], s["dilation"],
                          s["activation"], index, groups) for j in cols] for i in rows]
