"""Lowering: one graph node, with its input shapes, becomes one ``Step``.

A ``Step`` is what every back end interprets: the fx builder (``to_torch``), the node-by-node
reference runner used in tests, and the Python code writer (``export_python``). It says:
pad the input first (``pad``, in ``F.pad`` order left, right, top, bottom, with ``pad_value``),
run ``module`` (or merge the inputs), then apply a fused ``activation``.

Padding: ``valid`` and explicit pixels follow PyTorch. ``same`` follows Keras exactly:
the total padding of each axis is split with the odd pixel at the bottom/right. The even
part goes to the module's own symmetric ``padding``; the odd pixel, when there is one, is a
separate ``F.pad`` before it (zeros for convolutions and average pools, -inf for max pools,
+inf for min pools). Average pools with uneven 'same' padding use ``AvgPool2dSame``, which
leaves the padding out of the mean; even 'same' padding uses ``count_include_pad=False``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cnnstudio.compiler import ops
from cnnstudio.core.graph import Node
from cnnstudio.core.layers import Shape
from cnnstudio.core.layers.window import same_pads

#: fused activation name -> (function, keyword arguments); PyTorch defaults throughout
#: (leaky_relu slope 0.01, elu alpha 1, exact gelu); softmax is over the channels (dim 1)
ACTIVATIONS: dict[str, tuple[Callable[..., torch.Tensor], dict[str, Any]]] = {
    "relu": (F.relu, {}),
    "relu6": (F.relu6, {}),
    "leaky_relu": (F.leaky_relu, {}),
    "elu": (F.elu, {}),
    "gelu": (F.gelu, {}),
    "silu": (F.silu, {}),
    "hardswish": (F.hardswish, {}),
    "hardsigmoid": (F.hardsigmoid, {}),
    "sigmoid": (torch.sigmoid, {}),
    "tanh": (torch.tanh, {}),
    "softmax": (F.softmax, {"dim": 1}),
}


@dataclass
class Step:
    """How one node runs. ``module`` None with ``merge`` None: the input passes through
    (the Input node itself, or a final Softmax dropped for training)."""

    node_id: str
    name: str
    kind: str
    attr: str
    inputs: list[str] = field(default_factory=list)
    module: nn.Module | None = None
    pad: list[int] | None = None
    pad_value: float = 0.0
    merge: str | None = None
    activation: str | None = None


def _split_same(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """(symmetric part, extra after) of Keras same padding along one axis."""
    before, after = same_pads(n, k, s, d)
    return before, after - before


def window_padding(
    padding: Any, hw: tuple[int, int], k: tuple[int, int], s: tuple[int, int],
    d: tuple[int, int] = (1, 1),
) -> tuple[tuple[int, int], list[int] | None]:
    """The module's symmetric (ph, pw) and an extra ``F.pad`` list (or None)."""
    if padding == "valid":
        return (0, 0), None
    if padding != "same":
        return (int(padding[0]), int(padding[1])), None
    ph, eh = _split_same(hw[0], k[0], s[0], d[0])
    pw, ew = _split_same(hw[1], k[1], s[1], d[1])
    return (ph, pw), ([0, ew, 0, eh] if eh or ew else None)


def _conv(node: Node, c: int, hw: tuple[int, int]) -> tuple[nn.Module, list[int] | None]:
    p = node.params
    sym, extra = window_padding(p["padding"], hw, p["kernel"], p["stride"], p["dilation"])
    if node.kind == "Conv2d":
        module: nn.Module = nn.Conv2d(c, p["filters"], p["kernel"], p["stride"], sym,
                                      p["dilation"], groups=p["groups"], bias=p["bias"])
    elif node.kind == "DepthwiseConv2d":
        module = nn.Conv2d(c, c * p["depth_multiplier"], p["kernel"], p["stride"], sym,
                           p["dilation"], groups=c, bias=p["bias"])
    else:
        module = ops.SeparableConv2d(c, p["filters"], p["kernel"], p["stride"], sym,
                                     p["dilation"], p["depth_multiplier"], p["bias"])
    return module, extra


def _pool(node: Node, hw: tuple[int, int]) -> tuple[nn.Module, list[int] | None, float]:
    p = node.params
    k, s = p["kernel"], p["stride"]
    same = p["padding"] == "same"
    sym, extra = window_padding(p["padding"], hw, k, s)
    ceil = False if same else p["ceil_mode"]
    if node.kind == "MaxPool2d":
        return nn.MaxPool2d(k, s, sym, ceil_mode=ceil), extra, float("-inf")
    if node.kind == "MinPool2d":
        return ops.MinPool2d(k, s, sym, ceil), extra, float("inf")
    if not same:
        return nn.AvgPool2d(k, s, sym, ceil_mode=ceil,
                            count_include_pad=p["count_include_pad"]), None, 0.0
    if extra is None:
        return nn.AvgPool2d(k, s, sym, count_include_pad=False), None, 0.0
    pads = [sym[1], sym[1] + extra[1], sym[0], sym[0] + extra[3]]
    return ops.AvgPool2dSame(k, s, pads, hw), None, 0.0


_SIMPLE: dict[str, Callable[[dict[str, Any]], nn.Module]] = {
    "Identity": lambda p: nn.Identity(),
    "Flatten": lambda p: nn.Flatten(),
    "Dropout": lambda p: nn.Dropout(p["rate"]),
    "Dropout2d": lambda p: nn.Dropout2d(p["rate"]),
    "AdaptiveAvgPool2d": lambda p: nn.AdaptiveAvgPool2d(p["output_size"]),
    "AdaptiveMaxPool2d": lambda p: ops.AdaptiveMaxPool2d(p["output_size"]),
    "GlobalAvgPool": lambda p: ops.GlobalAvgPool(p["keepdims"]),
    "GlobalMaxPool": lambda p: ops.GlobalMaxPool(p["keepdims"]),
    "LocalResponseNorm": lambda p: nn.LocalResponseNorm(p["size"], p["alpha"], p["beta"], p["k"]),
    "ZeroPad2d": lambda p: nn.ZeroPad2d((p["padding"][2], p["padding"][3],
                                         p["padding"][0], p["padding"][1])),
    "Cropping2d": lambda p: ops.Cropping2d(tuple(p["cropping"])),
    "ReLU": lambda p: nn.ReLU(),
    "ReLU6": lambda p: nn.ReLU6(),
    "LeakyReLU": lambda p: nn.LeakyReLU(p["negative_slope"]),
    "ELU": lambda p: nn.ELU(p["alpha"]),
    "GELU": lambda p: nn.GELU(p["approximate"]),
    "SiLU": lambda p: nn.SiLU(),
    "Hardswish": lambda p: nn.Hardswish(),
    "Hardsigmoid": lambda p: nn.Hardsigmoid(),
    "Sigmoid": lambda p: nn.Sigmoid(),
    "Tanh": lambda p: nn.Tanh(),
    "Softmax": lambda p: nn.Softmax(dim=1),
}


def lower(node: Node, shapes: list[Shape], attr: str, inputs: list[str],
          drop_softmax: bool = False) -> Step:
    """The ``Step`` of ``node`` fed by ``shapes``. ``drop_softmax``: this is the output node
    of a model built for training, so a Softmax (node or fused) is left out."""
    step = Step(node.id, node.name, node.kind, attr, list(inputs))
    p = node.params
    kind = node.kind
    if kind == "Input":
        return step
    spec = node.spec
    if spec.merge:
        step.merge = spec.merge
        return step
    if kind == "Softmax" and drop_softmax:
        return step
    shape = shapes[0]
    c = shape[0]
    hw = (shape[1], shape[2]) if len(shape) == 3 else (0, 0)
    if spec.conv:
        step.module, step.pad = _conv(node, c, hw)
    elif spec.window_pool:
        step.module, step.pad, step.pad_value = _pool(node, hw)
    elif kind == "Dense":
        step.module = nn.Linear(c, p["units"], bias=p["bias"])
    elif kind == "BatchNorm" and not p.get("scale", True):
        step.module = ops.BatchNormShift(c, eps=p["eps"], momentum=p["momentum"])
    elif kind == "BatchNorm":
        bn = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
        step.module = bn(c, eps=p["eps"], momentum=p["momentum"])
    elif kind == "LayerNorm":
        step.module = ops.LayerNorm2d(c, p["eps"]) if len(shape) == 3 else \
            nn.LayerNorm(c, eps=p["eps"])
    elif kind == "LayerScale":
        step.module = ops.LayerScale((c, 1, 1) if len(shape) == 3 else (c,), p["init_value"])
    else:
        step.module = _SIMPLE[kind](p)
    act = p.get("activation", "none")
    if act != "none" and not (act == "softmax" and drop_softmax):
        step.activation = act
    if not node.trainable:
        for param in step.module.parameters():
            param.requires_grad_(False)
    return step


def run_step(step: Step, module: nn.Module | None, xs: list[torch.Tensor]) -> torch.Tensor:
    """Run one step eagerly (the reference runner and ``node_outputs`` use it)."""
    if step.merge == "add":
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out
    if step.merge == "multiply":
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out
    if step.merge == "concat":
        return torch.cat(xs, dim=1)
    x = xs[0]
    if step.pad is not None:
        x = F.pad(x, step.pad, value=step.pad_value)
    if module is not None:
        x = module(x)
    if step.activation is not None:
        fn, kwargs = ACTIVATIONS[step.activation]
        x = fn(x, **kwargs)
    return x
