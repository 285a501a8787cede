"""Convolution and pooling arithmetic in NumPy, and the terms of one output cell.

The playground (``cnnstudio.gui.playground``) shows what a Conv or pooling node computes on
an image; this module computes it, following the compiler exactly (tests hold it against
``torch.nn.functional``): a cross-correlation (what every framework calls a convolution)
with stride, padding, dilation and groups; max / average / min pooling with padding and
ceil mode; the fused activations. Padding takes the node's value: ``"valid"``, ``"same"``
(Keras: the odd pixel at the bottom / right; an average pool leaves it out of the mean) or
``(ph, pw)`` pixels on each side. Output sizes come from ``layers.window.window``, the shape
engine's own rule, so a window that does not fit raises its ``ShapeProblem`` with the
arithmetic and a fix.

``conv_cell`` and ``pool_cell`` return the terms of one output cell (each input value, where
it lies, its weight) and ``Cell.text()`` writes them out: ``1×0 + 2×1 + ... = 7``; a filter
over several input channels is written one channel at a time, then the total:
``R: ... = a,  G: ... = b,  B: ... = c;  a + b + c + bias = value`` (``Cell.channel_sums``).
``filter_map`` is one filter's output over all its input channels (a node's feature map).
Arrays are (C, H, W) float64: a grey image is (1, H, W), a colour one (3, H, W). Pure NumPy:
no torch, no Qt.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from cnnstudio.core.layers.window import same_pads, window

Array = npt.NDArray[np.float64]
#: a filter over more channels than this is written as its channel sums only (no products)
MAX_WRITTEN_CHANNELS = 4
Pair = tuple[int, int]
POOL_MODES = ("max", "avg", "min")
#: fill of the padding for each pooling mode: padding never wins a max or a min
_POOL_FILL = {"max": -math.inf, "min": math.inf, "avg": 0.0}


def pads(padding: Any, size: Pair, kernel: Pair, stride: Pair,
         dilation: Pair = (1, 1)) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) zero padding of a node's ``padding`` value."""
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        top, bottom = same_pads(size[0], kernel[0], stride[0], dilation[0])
        left, right = same_pads(size[1], kernel[1], stride[1], dilation[1])
        return top, bottom, left, right
    ph, pw = int(padding[0]), int(padding[1])
    return ph, ph, pw, pw


def output_size(size: Pair, kernel: Pair, stride: Pair, padding: Any, dilation: Pair = (1, 1),
                ceil_mode: bool = False, pool: bool = False) -> tuple[Pair, list[str]]:
    """(H_out, W_out) and the shape engine's explanation of each; ``ShapeProblem`` when the
    window does not fit."""
    ceil = ceil_mode and padding != "same"
    ho, th = window("H", size[0], kernel[0], stride[0], padding, 0, dilation[0], ceil, pool)
    wo, tw = window("W", size[1], kernel[1], stride[1], padding, 1, dilation[1], ceil, pool)
    return (ho, wo), [th, tw]


def _windows(x: Array, kernel: Pair, stride: Pair, padding: Any, dilation: Pair,
             fill: float, out: Pair) -> Array:
    """(C, H_out, W_out, kh, kw) views of the padded input, one window per output cell."""
    top, bottom, left, right = pads(padding, (x.shape[1], x.shape[2]), kernel, stride, dilation)
    eff = ((kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1)
    # ceil mode lets the last window overhang the padding: fill up to where it ends
    bottom = max(bottom, (out[0] - 1) * stride[0] + eff[0] - x.shape[1] - top)
    right = max(right, (out[1] - 1) * stride[1] + eff[1] - x.shape[2] - left)
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right)), constant_values=fill)
    views = sliding_window_view(xp, eff, axis=(1, 2))
    views = views[:, ::stride[0], ::stride[1], ::dilation[0], ::dilation[1]]
    return views[:, :out[0], :out[1]]


def correlate(x: Array, weight: Array, bias: Array | None = None, stride: Pair = (1, 1),
              padding: Any = "valid", dilation: Pair = (1, 1), groups: int = 1) -> Array:
    """``F.conv2d`` for one image: ``x`` (C, H, W), ``weight`` (F, C / groups, kh, kw),
    ``bias`` (F,) or None -> (F, H_out, W_out)."""
    x, weight = np.asarray(x, np.float64), np.asarray(weight, np.float64)
    filters, per_group, kh, kw = weight.shape
    if x.shape[0] != per_group * groups or filters % groups:
        raise ValueError(f"a {x.shape[0]}-channel input does not fit weights of shape "
                         f"{tuple(weight.shape)} in {groups} group(s)")
    out, _ = output_size((x.shape[1], x.shape[2]), (kh, kw), stride, padding, dilation)
    views = _windows(x, (kh, kw), stride, padding, dilation, 0.0, out)
    result = np.empty((filters, *out), np.float64)
    fg = filters // groups
    for g in range(groups):
        part = views[g * per_group:(g + 1) * per_group]
        result[g * fg:(g + 1) * fg] = np.einsum("chwij,fcij->fhw", part,
                                                weight[g * fg:(g + 1) * fg])
    if bias is not None:
        result += np.asarray(bias, np.float64).reshape(-1, 1, 1)
    return result


def filter_map(x: Array, weight: Array, index: int, bias: Array | None = None,
               stride: Pair = (1, 1), padding: Any = "valid", dilation: Pair = (1, 1),
               groups: int = 1, activation: str = "none") -> Array:
    """Filter ``index``'s output (H_out, W_out): the sum over the input channels of its group
    of each channel correlated with its slice, plus its bias, then the activation; exactly
    channel ``index`` of the node's feature map, computed for that filter alone."""
    x, weight = np.asarray(x, np.float64), np.asarray(weight, np.float64)
    filters, per_group = weight.shape[:2]
    if not 0 <= index < filters:
        raise ValueError(f"filter {index} is not one of the {filters} filter(s)")
    first = index // (filters // groups) * per_group
    if x.shape[0] != per_group * groups:
        raise ValueError(f"a {x.shape[0]}-channel input does not fit weights of shape "
                         f"{tuple(weight.shape)} in {groups} group(s)")
    b = None if bias is None else np.asarray(bias, np.float64)[index:index + 1]
    out = correlate(x[first:first + per_group], weight[index:index + 1], b, stride, padding,
                    dilation)
    return np.asarray(activate(out, activation)[0], np.float64)


def pool(x: Array, mode: str, kernel: Pair, stride: Pair, padding: Any = "valid",
         ceil_mode: bool = False, count_include_pad: bool = True) -> Array:
    """Max / average / min pooling of ``x`` (C, H, W), as the compiled pooling nodes do
    (Keras 'same' padding: no ceil mode, and the padding is left out of an average)."""
    if mode not in POOL_MODES:
        raise ValueError(f"pooling mode {mode!r} is not one of {', '.join(POOL_MODES)}")
    x = np.asarray(x, np.float64)
    size = (x.shape[1], x.shape[2])
    out, _ = output_size(size, kernel, stride, padding, ceil_mode=ceil_mode, pool=True)
    views = _windows(x, kernel, stride, padding, (1, 1), _POOL_FILL[mode], out)
    if mode == "max":
        return np.asarray(views.max(axis=(3, 4)), np.float64)
    if mode == "min":
        return np.asarray(views.min(axis=(3, 4)), np.float64)
    return np.asarray(views.sum(axis=(3, 4)) / _counts(size, kernel, stride, padding, ceil_mode,
                                                       count_include_pad, out), np.float64)


def _counts(size: Pair, kernel: Pair, stride: Pair, padding: Any, ceil_mode: bool,
            count_include_pad: bool, out: Pair) -> Array:
    """How many values each average divides by: the window without the ceil-mode overhang,
    and without the padding unless ``count_include_pad`` (never with 'same')."""
    top, bottom, left, right = pads(padding, size, kernel, stride)
    counted = np.ones((1, *size), np.float64)
    if count_include_pad and padding != "same":
        counted = np.pad(counted, ((0, 0), (top, bottom), (left, right)), constant_values=1.0)
        padding = "valid"
    views = _windows(counted, kernel, stride, padding, (1, 1), 0.0, out)
    return np.asarray(views.sum(axis=(3, 4))[0], np.float64)


def _sigmoid(x: Array) -> Array:
    return np.asarray(np.exp(-np.logaddexp(0.0, -x)), np.float64)


def _gelu(x: Array) -> Array:
    erf = np.asarray(np.frompyfunc(math.erf, 1, 1)(x / math.sqrt(2.0)), np.float64)
    return np.asarray(0.5 * x * (1.0 + erf), np.float64)


def _softmax(x: Array) -> Array:
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return np.asarray(e / e.sum(axis=0, keepdims=True), np.float64)


_ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "none": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.01 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "gelu": _gelu,
    "silu": lambda x: x * _sigmoid(x),
    "hardswish": lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0,
    "hardsigmoid": lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0,
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": _softmax,  # over the channels (axis 0 of a (C, H, W) map), as the compiler
}


def activate(x: Array, name: str) -> Array:
    """A node's fused activation (the catalogue's names; PyTorch's defaults)."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}")
    return np.asarray(_ACTIVATIONS[name](np.asarray(x, np.float64)), np.float64)


def fmt(v: float) -> str:
    """A number as the worked example writes it: ``7``, ``-0.25``, ``0.333``, ``(-2)`` not."""
    if math.isinf(v):
        return "-inf" if v < 0 else "inf"
    if float(v).is_integer() and abs(v) < 1e9:
        return str(int(v))
    return f"{v:.3g}"


@dataclass(frozen=True)
class Term:
    """One input value of a window: where it lies (``row``, ``col`` in the unpadded input;
    outside it for padding), its ``weight`` (None in a pool) and whether it is padding."""

    channel: int
    row: int
    col: int
    value: float
    weight: float | None = None
    padding: bool = False


@dataclass
class Cell:
    """One output cell and how it is computed."""

    row: int
    col: int
    op: str  # "conv", "max", "avg" or "min"
    terms: list[Term] = field(default_factory=list)
    bias: float = 0.0
    total: float = 0.0  # before the activation
    activation: str = "none"
    value: float = 0.0  # the output
    divisor: int = 1  # of an average

    def channel_sums(self) -> list[tuple[int, float]]:
        """(channel, the sum of its products) for each input channel of a conv cell, in
        order: they add up to ``total - bias``."""
        sums: dict[int, float] = {}
        for t in self.terms:
            sums[t.channel] = sums.get(t.channel, 0.0) + t.value * (t.weight or 0.0)
        return list(sums.items())

    def text(self, names: Sequence[str] | None = None) -> str:
        """The arithmetic: ``1×0 + 2×1 + ... = 7`` (then the bias and the activation). A conv
        cell over several channels is written a channel at a time (``names[c]`` or ``c0``,
        ``c1``, ...): ``R: ... = a,  G: ... = b;  a + b + bias = total``."""
        if self.op == "conv" and len(self.channel_sums()) > 1:
            return self._channels_text(names)
        if self.op == "conv":
            parts = [f"{fmt(t.value)}×{_paren(t.weight or 0.0)}" for t in self.terms]
            sums = " + ".join(parts) or "0"
            if self.bias:
                sums += f" + {_paren(self.bias)}"
        elif self.op == "avg":
            sums = f"({' + '.join(fmt(t.value) for t in self.terms)}) / {self.divisor}"
        else:
            sums = f"{self.op}({', '.join(fmt(t.value) for t in self.terms)})"
        text = f"{sums} = {fmt(self.total)}"
        if self.activation != "none":
            text += f";  {self.activation}({fmt(self.total)}) = {fmt(self.value)}"
        return text

    def _channels_text(self, names: Sequence[str] | None) -> str:
        sums = self.channel_sums()
        products: dict[int, list[str]] = {}
        if len(sums) <= MAX_WRITTEN_CHANNELS:
            for t in self.terms:
                products.setdefault(t.channel, []).append(
                    f"{fmt(t.value)}×{_paren(t.weight or 0.0)}")
        parts = []
        for channel, total in sums:
            name = names[channel] if names is not None and channel < len(names) \
                else f"c{channel}"
            parts.append(f"{name}: {' + '.join(products[channel])} = {fmt(total)}"
                         if products else f"{name} = {fmt(total)}")
        added = " + ".join(_paren(total) for _, total in sums)
        if self.bias:
            added += f" + {_paren(self.bias)}"
        text = ",  ".join(parts) + f";  {added} = {fmt(self.total)}"
        if self.activation != "none":
            text += f";  {self.activation}({fmt(self.total)}) = {fmt(self.value)}"
        return text


def _paren(v: float) -> str:
    return f"({fmt(v)})" if v < 0 else fmt(v)


def _origin(x: Array, kernel: Pair, stride: Pair, padding: Any, dilation: Pair, row: int,
            col: int, out: Pair) -> tuple[int, int]:
    if not (0 <= row < out[0] and 0 <= col < out[1]):
        raise ValueError(f"output cell ({row}, {col}) is outside the {out[0]}x{out[1]} output")
    top, _, left, _ = pads(padding, (x.shape[1], x.shape[2]), kernel, stride, dilation)
    return row * stride[0] - top, col * stride[1] - left


def conv_cell(x: Array, weight: Array, row: int, col: int, bias: Array | None = None,
              stride: Pair = (1, 1), padding: Any = "valid", dilation: Pair = (1, 1),
              activation: str = "none", filter_index: int = 0, groups: int = 1) -> Cell:
    """The terms of output cell (``row``, ``col``) of filter ``filter_index``."""
    x, weight = np.asarray(x, np.float64), np.asarray(weight, np.float64)
    filters, per_group, kh, kw = weight.shape
    out, _ = output_size((x.shape[1], x.shape[2]), (kh, kw), stride, padding, dilation)
    r0, c0 = _origin(x, (kh, kw), stride, padding, dilation, row, col, out)
    first = filter_index // (filters // groups) * per_group
    cell = Cell(row, col, "conv", activation=activation,
                bias=0.0 if bias is None else float(bias[filter_index]))
    for c in range(per_group):
        for a in range(kh):
            for b in range(kw):
                r, q = r0 + a * dilation[0], c0 + b * dilation[1]
                inside = 0 <= r < x.shape[1] and 0 <= q < x.shape[2]
                value = float(x[first + c, r, q]) if inside else 0.0
                cell.terms.append(Term(first + c, r, q, value,
                                       float(weight[filter_index, c, a, b]), not inside))
    cell.total = sum(t.value * (t.weight or 0.0) for t in cell.terms) + cell.bias
    cell.value = float(activate(np.array([[[cell.total]]]), activation)[0, 0, 0])
    return cell


def pool_cell(x: Array, mode: str, row: int, col: int, kernel: Pair, stride: Pair,
              padding: Any = "valid", ceil_mode: bool = False, count_include_pad: bool = True,
              channel: int = 0) -> Cell:
    """The values pooled into output cell (``row``, ``col``) of ``channel``: the padding is
    listed (as 0) only where an average counts it."""
    x = np.asarray(x, np.float64)
    size = (x.shape[1], x.shape[2])
    out, _ = output_size(size, kernel, stride, padding, ceil_mode=ceil_mode, pool=True)
    r0, c0 = _origin(x, kernel, stride, padding, (1, 1), row, col, out)
    top, bottom, left, right = pads(padding, size, kernel, stride)
    counted = mode == "avg" and count_include_pad and padding != "same"
    cell = Cell(row, col, mode)
    for r in range(r0, r0 + kernel[0]):
        for q in range(c0, c0 + kernel[1]):
            if 0 <= r < size[0] and 0 <= q < size[1]:
                cell.terms.append(Term(channel, r, q, float(x[channel, r, q])))
            elif counted and -top <= r < size[0] + bottom and -left <= q < size[1] + right:
                cell.terms.append(Term(channel, r, q, 0.0, padding=True))
    values = [t.value for t in cell.terms]
    cell.divisor = len(values)
    if mode == "avg":
        cell.total = sum(values) / len(values)
    else:
        cell.total = max(values) if mode == "max" else min(values)
    cell.value = cell.total
    return cell
