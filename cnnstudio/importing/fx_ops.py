"""What each torch.nn module, function and tensor method becomes (torch).

``module_op(module, input_shape)`` and ``function_op(target, node, ...)`` return an ``Op``
without its name and inputs (the reader fills them in), or raise ``NoKind`` naming what has
no layer kind and why. The tables here are the whole mapping torch -> catalogue kind; a
completeness test holds them against the catalogue.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx, nn

from cnnstudio.importing.ops import Op
from cnnstudio.importing.ops import padding as pad_value


class NoKind(Exception):
    """A module or function with no layer kind (``op``), and why (``why``)."""

    def __init__(self, op: str, why: str = "") -> None:
        super().__init__(op)
        self.op = op
        self.why = why


def tensor_values(t: torch.Tensor) -> np.ndarray:
    """A tensor's values; on the meta device (structure only) a zero-stride view of 0."""
    if t.is_meta:
        dtype = np.float32 if t.is_floating_point() else np.int64
        return np.broadcast_to(np.zeros((), dtype), tuple(t.shape))
    return t.detach().to("cpu").numpy().copy()


#: modules without settings
PLAIN_MODULES: dict[type[nn.Module], str] = {
    nn.ReLU: "ReLU", nn.ReLU6: "ReLU6", nn.SiLU: "SiLU", nn.Hardswish: "Hardswish",
    nn.Hardsigmoid: "Hardsigmoid", nn.Sigmoid: "Sigmoid", nn.Tanh: "Tanh",
    nn.Identity: "Passthrough",
}

#: functions and tensor methods without settings (the first argument is the tensor)
PLAIN_FUNCTIONS: dict[Any, str] = {
    F.relu: "ReLU", torch.relu: "ReLU", "relu": "ReLU", F.relu6: "ReLU6", F.silu: "SiLU",
    F.hardswish: "Hardswish", F.hardsigmoid: "Hardsigmoid", torch.sigmoid: "Sigmoid",
    F.sigmoid: "Sigmoid", "sigmoid": "Sigmoid", torch.tanh: "Tanh", F.tanh: "Tanh",
    "tanh": "Tanh", torch.neg: "Neg", "neg": "Neg", "__neg__": "Neg",
    "contiguous": "Passthrough", "clone": "Passthrough", "detach": "Passthrough",
    torch.clone: "Passthrough",
}


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, list | tuple):
        if len(v) != 2:
            raise NoKind(f"window {v}", "two spatial sizes expected")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _conv(mod: nn.Conv2d) -> Op:
    if mod.padding_mode != "zeros":
        raise NoKind("Conv2d", f"padding_mode={mod.padding_mode!r}")
    padding: Any = mod.padding if isinstance(mod.padding, str) else pad_value(_pair(mod.padding))
    common = {"kernel": _pair(mod.kernel_size), "stride": _pair(mod.stride), "padding": padding,
              "dilation": _pair(mod.dilation), "bias": mod.bias is not None}
    weights = {"weight": tensor_values(mod.weight)}
    if mod.bias is not None:
        weights["bias"] = tensor_values(mod.bias)
    c, f, g = mod.in_channels, mod.out_channels, mod.groups
    if g > 1 and g == c:
        return Op("", "DepthwiseConv2d", params={**common, "depth_multiplier": f // c},
                  weights=weights)
    return Op("", "Conv2d", params={**common, "filters": f, "groups": g}, weights=weights)


def _batchnorm(mod: nn.modules.batchnorm._BatchNorm) -> Op:
    if not mod.affine or not mod.track_running_stats or mod.momentum is None:
        raise NoKind(type(mod).__name__, "only affine BatchNorm with running statistics and a "
                     "momentum")
    assert mod.running_mean is not None and mod.running_var is not None
    tracked = mod.num_batches_tracked
    weights = {"weight": tensor_values(mod.weight), "bias": tensor_values(mod.bias),
               "running_mean": tensor_values(mod.running_mean),
               "running_var": tensor_values(mod.running_var),
               "num_batches_tracked": tensor_values(tracked) if tracked is not None
               else np.array(0, dtype=np.int64)}
    return Op("", "BatchNorm", params={"eps": float(mod.eps), "momentum": float(mod.momentum)},
              weights=weights)


def _pool(kind: str, mod: Any) -> Op:
    if getattr(mod, "dilation", 1) not in (1, (1, 1)) or getattr(mod, "return_indices", False):
        raise NoKind(type(mod).__name__, "dilation or return_indices")
    stride = mod.stride if mod.stride not in (None, ()) else mod.kernel_size
    params: dict[str, Any] = {"kernel": _pair(mod.kernel_size), "stride": _pair(stride),
                              "padding": pad_value(_pair(mod.padding)),
                              "ceil_mode": bool(mod.ceil_mode)}
    if kind == "AvgPool2d":
        if getattr(mod, "divisor_override", None):
            raise NoKind("AvgPool2d", "divisor_override")
        params["count_include_pad"] = bool(mod.count_include_pad)
    return Op("", kind, params=params)


def _adaptive(avg: bool, size: Any) -> Op:
    out = _pair(size if size is not None else 0)
    if 0 in out:
        raise NoKind("adaptive pool with a free axis")
    if out == (1, 1):
        return Op("", "GlobalAvgPool" if avg else "GlobalMaxPool", params={"keepdims": True})
    return Op("", "AdaptiveAvgPool2d" if avg else "AdaptiveMaxPool2d",
              params={"output_size": out})


def _softmax(dim: Any, rank: int) -> Op:
    if dim != 1 and not (rank == 2 and dim == -1):
        raise NoKind(f"Softmax(dim={dim})", "only over the channels")
    return Op("", "Softmax")


def module_op(mod: nn.Module, x_shape: tuple[int, ...] | None) -> Op:
    rank = len(x_shape or ())
    plain = PLAIN_MODULES.get(type(mod))
    if plain is not None:
        return Op("", plain)
    if type(mod) is nn.Conv2d:
        return _conv(mod)
    if type(mod) is nn.Linear:
        weights = {"weight": tensor_values(mod.weight)}
        if mod.bias is not None:
            weights["bias"] = tensor_values(mod.bias)
        return Op("", "Dense", params={"units": mod.out_features, "bias": mod.bias is not None},
                  weights=weights, extra={"axis": "last"} if rank > 2 else {})
    if type(mod) in (nn.BatchNorm1d, nn.BatchNorm2d):
        return _batchnorm(mod)  # type: ignore[arg-type]
    if type(mod) is nn.LayerNorm:
        if len(mod.normalized_shape) != 1 or not mod.elementwise_affine or mod.bias is None:
            raise NoKind("LayerNorm", "only over one axis, with weight and bias")
        return Op("", "LayerNorm", params={"eps": float(mod.eps)},
                  weights={"weight": tensor_values(mod.weight), "bias": tensor_values(mod.bias)},
                  extra={"axis": "last"})
    if type(mod) is nn.MaxPool2d:
        return _pool("MaxPool2d", mod)
    if type(mod) is nn.AvgPool2d:
        return _pool("AvgPool2d", mod)
    if type(mod) in (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d):
        return _adaptive(type(mod) is nn.AdaptiveAvgPool2d, mod.output_size)
    if type(mod) is nn.Flatten:
        if mod.start_dim != 1 or mod.end_dim != -1:
            raise NoKind(f"Flatten({mod.start_dim}, {mod.end_dim})", "only from the channels on")
        return Op("", "Flatten")
    if type(mod) in (nn.Dropout, nn.Dropout2d):
        return Op("", type(mod).__name__, params={"rate": float(mod.p)})
    if type(mod) is nn.LeakyReLU:
        return Op("", "LeakyReLU", params={"negative_slope": float(mod.negative_slope)})
    if type(mod) is nn.ELU:
        return Op("", "ELU", params={"alpha": float(mod.alpha)})
    if type(mod) is nn.GELU:
        return Op("", "GELU", params={"approximate": mod.approximate})
    if type(mod) is nn.Hardtanh and (mod.min_val, mod.max_val) == (0.0, 6.0):
        return Op("", "ReLU6")
    if type(mod) is nn.Softmax:
        return _softmax(mod.dim, rank)
    if type(mod) is nn.LocalResponseNorm:
        return Op("", "LocalResponseNorm", params={"size": mod.size, "alpha": float(mod.alpha),
                                                   "beta": float(mod.beta), "k": float(mod.k)})
    if type(mod) in (nn.ZeroPad2d, nn.ConstantPad2d):
        left, right, top, bottom = mod.padding
        value = float(getattr(mod, "value", 0.0))
        return Op("", "Pad", params={"pads": (top, bottom, left, right), "value": value})
    raise NoKind(type(mod).__name__)


def _arg(node: fx.Node, i: int, key: str, default: Any) -> Any:
    return node.args[i] if len(node.args) > i else node.kwargs.get(key, default)


def _dims(node: fx.Node) -> tuple[int, ...]:
    rest = node.args[1:] if len(node.args) > 1 else (node.kwargs.get("dims"),)
    if len(rest) == 1 and isinstance(rest[0], list | tuple):
        rest = tuple(rest[0])
    return tuple(int(d) for d in rest)  # type: ignore[arg-type]


def _reduce(node: fx.Node, kind: str, x: tuple[int, ...]) -> Op:
    dim = _arg(node, 1, "dim", None)
    dims = {d % len(x) for d in (dim if isinstance(dim, list | tuple) else [dim])} \
        if dim is not None and len(x) == 4 else set()
    if dims != {2, 3}:
        raise NoKind(f"{getattr(node.target, '__name__', node.target)}(dim={dim})",
                     "only over height and width")
    return Op("", kind, params={"keepdims": bool(_arg(node, 2, "keepdim", False))})


def function_op(target: Any, node: fx.Node, x: tuple[int, ...] | None,
                out: tuple[int, ...] | None, params: dict[str, np.ndarray]) -> Op:
    """The op of a call_function / call_method ``node`` whose first tensor has shape ``x``."""
    x = x or ()
    name = target if isinstance(target, str) else getattr(target, "__name__", str(target))
    plain = PLAIN_FUNCTIONS.get(target)
    if plain is not None:
        return Op("", plain)
    if name == "stochastic_depth":  # torchvision.ops: the identity in eval mode
        return Op("", "Passthrough")
    if target is F.leaky_relu:
        return Op("", "LeakyReLU", params={"negative_slope": float(_arg(node, 1,
                                                                        "negative_slope", 0.01))})
    if target is F.elu:
        return Op("", "ELU", params={"alpha": float(_arg(node, 1, "alpha", 1.0))})
    if target is F.gelu:
        return Op("", "GELU", params={"approximate": _arg(node, 1, "approximate", "none")})
    if target is F.hardtanh and (_arg(node, 1, "min_val", -1.0), _arg(node, 2, "max_val", 1.0)) \
            == (0.0, 6.0):
        return Op("", "ReLU6")
    if target in (F.softmax, torch.softmax, "softmax"):
        return _softmax(_arg(node, 1, "dim", None), len(x))
    if target in (F.dropout, torch.dropout, F.dropout2d):
        kind = "Dropout2d" if target is F.dropout2d else "Dropout"
        return Op("", kind, params={"rate": float(_arg(node, 1, "p", 0.5))})
    if target in (F.max_pool2d, torch.max_pool2d, F.avg_pool2d):
        return _function_pool(target, node)
    if target in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        return _adaptive(target is F.adaptive_avg_pool2d, _arg(node, 1, "output_size", None))
    if target in (torch.mean, "mean"):
        return _reduce(node, "GlobalAvgPool", x)
    if target in (torch.amax, "amax"):
        return _reduce(node, "GlobalMaxPool", x)
    if target in (torch.flatten, "flatten", "view", "reshape", torch.reshape, "squeeze",
                  torch.squeeze):
        return _reshape(name, node, x, out or ())
    if target in (torch.permute, "permute"):
        return Op("", "Permute", params={"dims": _dims(node)})
    if target is F.layer_norm:
        return _layer_norm(node, params)
    if target is F.pad:
        pad = list(_arg(node, 1, "pad", []))
        mode = _arg(node, 2, "mode", "constant")
        value = _arg(node, 3, "value", None)
        if mode != "constant" or len(pad) != 4 or len(x) != 4:
            raise NoKind(f"pad(mode={mode!r})", "only constant padding of height and width")
        left, right, top, bottom = (int(p) for p in pad)
        return Op("", "Pad", params={"pads": (top, bottom, left, right),
                                     "value": float(value or 0.0)})
    raise NoKind(f"{name}()")


def _function_pool(target: Any, node: fx.Node) -> Op:
    kernel = _arg(node, 1, "kernel_size", None)
    stride = _arg(node, 2, "stride", None) or kernel
    padding = _arg(node, 3, "padding", 0)
    if target is F.avg_pool2d:
        ceil = _arg(node, 4, "ceil_mode", False)
        include = _arg(node, 5, "count_include_pad", True)
        if _arg(node, 6, "divisor_override", None):
            raise NoKind("avg_pool2d", "divisor_override")
        return Op("", "AvgPool2d", params={"kernel": _pair(kernel), "stride": _pair(stride),
                                           "padding": pad_value(_pair(padding)),
                                           "ceil_mode": bool(ceil),
                                           "count_include_pad": bool(include)})
    if _arg(node, 4, "dilation", 1) not in (1, (1, 1), [1, 1]):
        raise NoKind("max_pool2d", "dilation")
    return Op("", "MaxPool2d", params={"kernel": _pair(kernel), "stride": _pair(stride),
                                       "padding": pad_value(_pair(padding)),
                                       "ceil_mode": bool(_arg(node, 5, "ceil_mode", False))})


def _reshape(name: str, node: fx.Node, x: tuple[int, ...], out: tuple[int, ...]) -> Op:
    if out == x:
        return Op("", "Passthrough")
    if len(out) == 2 and len(x) >= 2 and out[0] == x[0] and out[1] == int(np.prod(x[1:])):
        return Op("", "Flatten")
    raise NoKind(f"{name}()", f"{list(x)} -> {list(out)}; only flattening to (N, features)")


def _layer_norm(node: fx.Node, params: dict[str, np.ndarray]) -> Op:
    shape = _arg(node, 1, "normalized_shape", ())
    weight, bias = _arg(node, 2, "weight", None), _arg(node, 3, "bias", None)
    eps = _arg(node, 4, "eps", 1e-5)
    if (len(shape) != 1 or not isinstance(weight, fx.Node) or not isinstance(bias, fx.Node)
            or weight.name not in params or bias.name not in params):
        raise NoKind("layer_norm", "only over one axis, with weight and bias")
    return Op("", "LayerNorm", params={"eps": float(eps)},
              weights={"weight": params[weight.name], "bias": params[bias.name]},
              extra={"axis": "last"})
