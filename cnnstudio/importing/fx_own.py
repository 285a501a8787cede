"""CNN Studio's own modules (``cnnstudio.compiler.ops``) back to their layer kinds (torch).

A model compiled by CNN Studio, or the ``model.py`` its Python export writes (which copies
these classes' source), uses a few modules torch lacks. They are leaves for the tracer and
map straight back to their kinds, so such a model imports as the design it came from.
A class is recognised by its name *and* the attributes read here; the import's check
against the module's own outputs catches a same-named class that computes something else.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from cnnstudio.importing.fx_ops import tensor_values
from cnnstudio.importing.ops import Op
from cnnstudio.importing.ops import padding as pad_value

#: class name -> the attributes it must have to be taken for ours
OWN = {
    "SeparableConv2d": ("depthwise", "pointwise"),
    "MinPool2d": ("kernel_size", "stride", "padding", "ceil_mode"),
    "AvgPool2dSame": ("kernel_size", "stride", "pads", "input_size"),
    "AdaptiveMaxPool2d": ("output_size",),
    "GlobalAvgPool": ("keepdims",),
    "GlobalMaxPool": ("keepdims",),
    "BatchNormShift": ("bias", "running_mean", "running_var", "eps", "momentum"),
    "LayerNorm2d": ("weight", "bias", "eps"),
    "LayerScale": ("scale", "init_value"),
    "Cropping2d": ("cropping",),
}


def is_own(mod: nn.Module) -> bool:
    attrs = OWN.get(type(mod).__name__)
    return attrs is not None and all(hasattr(mod, a) for a in attrs)


def _pair(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, list | tuple) else (int(v), int(v))


def own_op(mod: Any) -> Op:
    """The op of one of CNN Studio's own modules (``is_own(mod)`` holds)."""
    name = type(mod).__name__
    if name == "SeparableConv2d":
        dw, pw = mod.depthwise, mod.pointwise
        weights = {"depthwise.weight": tensor_values(dw.weight),
                   "pointwise.weight": tensor_values(pw.weight)}
        if pw.bias is not None:
            weights["pointwise.bias"] = tensor_values(pw.bias)
        return Op("", "SeparableConv2d", params={
            "filters": pw.out_channels, "kernel": _pair(dw.kernel_size),
            "stride": _pair(dw.stride), "padding": pad_value(_pair(dw.padding)),
            "dilation": _pair(dw.dilation), "depth_multiplier": dw.out_channels // dw.in_channels,
            "bias": pw.bias is not None}, weights=weights)
    if name == "MinPool2d":
        return Op("", "MinPool2d", params={"kernel": _pair(mod.kernel_size),
                                           "stride": _pair(mod.stride),
                                           "padding": pad_value(_pair(mod.padding)),
                                           "ceil_mode": bool(mod.ceil_mode)})
    if name == "AvgPool2dSame":  # only ever made for Keras 'same' padding
        return Op("", "AvgPool2d", params={"kernel": _pair(mod.kernel_size),
                                           "stride": _pair(mod.stride), "padding": "same"})
    if name == "AdaptiveMaxPool2d":
        return Op("", "AdaptiveMaxPool2d", params={"output_size": _pair(mod.output_size)})
    if name in ("GlobalAvgPool", "GlobalMaxPool"):
        return Op("", name, params={"keepdims": bool(mod.keepdims)})
    if name == "BatchNormShift":
        return Op("", "BatchNorm", params={"eps": float(mod.eps), "momentum": float(
            mod.momentum), "scale": False}, weights={
            "bias": tensor_values(mod.bias), "running_mean": tensor_values(mod.running_mean),
            "running_var": tensor_values(mod.running_var),
            "num_batches_tracked": tensor_values(mod.num_batches_tracked)})
    if name == "LayerNorm2d":
        return Op("", "LayerNorm", params={"eps": float(mod.eps)},
                  weights={"weight": tensor_values(mod.weight), "bias": tensor_values(mod.bias)})
    if name == "LayerScale":
        return Op("", "LayerScale", params={"init_value": float(mod.init_value)},
                  weights={"scale": tensor_values(mod.scale)})
    return Op("", "Cropping2d", params={"cropping": tuple(int(c) for c in mod.cropping)})
