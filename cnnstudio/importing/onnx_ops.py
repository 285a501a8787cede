"""What each ONNX operator becomes (onnx and numpy only).

``convert(node, ctx)`` returns the node's ``Op`` (inputs are ONNX value names; the reader
renames them), ``None`` when the node was merged into the op that made its input (a MatMul's
bias Add), or raises ``NoKind`` (``onnx_context.py`` holds the reader's state and constant
folding). ``OPS`` lists every operator read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx

from cnnstudio.importing.onnx_context import FOLDABLE, Context, NoKind, attr, rounded
from cnnstudio.importing.ops import Op
from cnnstudio.importing.ops import padding as pad_value

PLAIN = {"Relu": "ReLU", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "HardSwish": "Hardswish",
         "Neg": "Neg", "Identity": "Passthrough"}


def _pair(v: list[int]) -> tuple[int, int]:
    return int(v[0]), int(v[1])


def _weight_name(name: str) -> tuple[str, str | None]:
    """(node label, group) from an initializer name ``a.b.conv.weight``."""
    path = name.rpartition(".")[0] or name
    return path.replace(".", "_"), path.rpartition(".")[0] or None


def _labelled(op: Op, node: onnx.NodeProto, ctx: Context) -> Op:
    if len(node.input) > 1 and node.input[1] in ctx.initializers:
        op.extra["label"], op.group = _weight_name(node.input[1])
    return op


def _conv(node: onnx.NodeProto, ctx: Context) -> Op:
    w = ctx.const(node, 1)
    if w.ndim != 4:
        raise NoKind(f"Conv ({w.ndim - 2}-D)", "only 2-D convolutions")
    b = ctx.optional(node, 2)
    group = int(attr(node, "group", 1))
    f, c = int(w.shape[0]), int(w.shape[1]) * group
    common: dict[str, Any] = {"kernel": _pair(w.shape[2:]),
                              "stride": _pair(attr(node, "strides", [1, 1])),
                              "dilation": _pair(attr(node, "dilations", [1, 1])),
                              "bias": b is not None}
    auto = attr(node, "auto_pad", "NOTSET")
    pads = attr(node, "pads", [0, 0, 0, 0])
    pad_op = None
    if auto == "SAME_UPPER":
        common["padding"] = "same"
    elif auto in ("NOTSET", "VALID"):
        top, left, bottom, right = pads if auto == "NOTSET" else [0, 0, 0, 0]
        if (top, left) == (bottom, right):
            common["padding"] = pad_value((top, left))
        else:
            common["padding"] = "valid"
            pad_op = (top, bottom, left, right)
    else:
        raise NoKind(f"Conv (auto_pad {auto})")
    weights = {"weight": w} | ({"bias": b} if b is not None else {})
    if group > 1 and group == c:
        op = Op(node.output[0], "DepthwiseConv2d", [node.input[0]],
                {**common, "depth_multiplier": f // c}, weights)
    else:
        op = Op(node.output[0], "Conv2d", [node.input[0]],
                {**common, "filters": f, "groups": group}, weights)
    if pad_op is not None:
        op.extra["pad_before"] = pad_op
    return _labelled(op, node, ctx)


def _batchnorm(node: onnx.NodeProto, ctx: Context) -> Op:
    if attr(node, "training_mode", 0):
        raise NoKind("BatchNormalization", "in training mode")
    scale, bias = ctx.const(node, 1), ctx.const(node, 2)
    mean, var = ctx.const(node, 3), ctx.const(node, 4)
    params = {"eps": rounded(attr(node, "epsilon", 1e-5)), "momentum": rounded(1 - attr(node,
                                                                               "momentum", 0.9))}
    weights = {"bias": bias, "running_mean": mean, "running_var": var,
               "num_batches_tracked": np.array(0, dtype=np.int64)}
    stored = node.input[1] in ctx.initializers and node.input[1].endswith(
        ("weight", "gamma", "scale"))
    if not stored and np.all(scale == 1):  # an exporter's constant: Keras' scale=False
        params["scale"] = False
    else:
        weights["weight"] = scale
    op = Op(node.output[0], "BatchNorm", [node.input[0]], params, weights)
    return _consistent(op, node, ctx, node.input[1:5])


def _consistent(op: Op, node: onnx.NodeProto, ctx: Context, names: Any) -> Op:
    """Label ``op`` after its tensors' names when they all share one module path (an
    optimiser may have merged equal tensors, such as fresh BatchNorm statistics, under the
    name of another node's)."""
    paths = {_weight_name(n) for n in names if n in ctx.initializers and "." in n}
    if len(paths) == 1:
        op.extra["label"], op.group = paths.pop()
    return op


def _pool(node: onnx.NodeProto, kind: str) -> Op:
    kernel = attr(node, "kernel_shape", [])
    if len(kernel) != 2 or any(d != 1 for d in attr(node, "dilations", [1, 1])):
        raise NoKind(node.op_type, "only 2-D windows without dilation")
    params: dict[str, Any] = {"kernel": _pair(kernel),
                              "stride": _pair(attr(node, "strides", [1, 1])),
                              "ceil_mode": bool(attr(node, "ceil_mode", 0))}
    auto = attr(node, "auto_pad", "NOTSET")
    top, left, bottom, right = attr(node, "pads", [0, 0, 0, 0]) if auto == "NOTSET" \
        else [0, 0, 0, 0]
    op = Op(node.output[0], kind, [node.input[0]], params)
    if auto == "SAME_UPPER":
        params["padding"] = "same"
    elif auto not in ("NOTSET", "VALID"):
        raise NoKind(f"{node.op_type} (auto_pad {auto})")
    elif (top, left) == (bottom, right):
        params["padding"] = pad_value((top, left))
    elif kind == "MaxPool2d":
        params["padding"] = "valid"
        op.extra["pad_before"] = (top, bottom, left, right)
        op.extra["pad_value"] = float("-inf")
    else:
        raise NoKind(node.op_type, "uneven padding")
    if kind == "AvgPool2d":
        params["count_include_pad"] = bool(attr(node, "count_include_pad", 0))
    return op


def _reduce(node: onnx.NodeProto, ctx: Context, kind: str) -> Op:
    axes = attr(node, "axes", None)
    if axes is None and len(node.input) > 1:
        axes = ctx.const(node, 1, "axes").tolist()
    rank = len(ctx.shapes.get(node.input[0], ()))
    if rank != 4 or {a % 4 for a in axes or []} != {2, 3}:
        raise NoKind(node.op_type, "only over height and width")
    return Op(node.output[0], kind, [node.input[0]],
              {"keepdims": bool(attr(node, "keepdims", 1))})


def _dense(node: onnx.NodeProto, ctx: Context, weight: np.ndarray,
           bias: np.ndarray | None) -> Op:
    rank = len(ctx.shapes.get(node.input[0], ()))
    weights = {"weight": weight} | ({"bias": bias} if bias is not None else {})
    op = Op(node.output[0], "Dense", [node.input[0]],
            {"units": int(weight.shape[0]), "bias": bias is not None}, weights,
            extra={"axis": "last"} if rank > 2 else {})
    return _labelled(op, node, ctx)


def _gemm(node: onnx.NodeProto, ctx: Context) -> Op:
    if attr(node, "transA", 0) or rounded(attr(node, "alpha", 1.0)) != 1 or \
            rounded(attr(node, "beta", 1.0)) != 1:
        raise NoKind("Gemm", "only x @ W^T + b")
    b = ctx.const(node, 1)
    weight = b if attr(node, "transB", 0) else b.T
    bias = ctx.optional(node, 2)
    if bias is not None:
        bias = np.broadcast_to(bias, (weight.shape[0],)).copy()
    return _dense(node, ctx, weight, bias)


def _binary(node: onnx.NodeProto, ctx: Context) -> Op | None:
    t = node.op_type
    a, b = node.input[0], node.input[1]
    const = [i for i in (a, b) if i in ctx.consts]
    kind = {"Add": "Add", "Mul": "Multiply"}.get(t)
    if kind is None:
        raise NoKind(t, "only Add and Mul of two tensors")
    if not const:
        return Op(node.output[0], kind, [a, b], {"inputs": 2})
    x = b if const[0] == a else a
    value = ctx.consts[const[0]]
    src = ctx.made.get(ctx.resolve(x))
    if (t == "Add" and src is not None and src.kind == "Dense" and not src.params["bias"]
            and ctx.uses.get(x, 0) == 1 and value.size == src.params["units"]):
        src.params["bias"] = True
        src.weights["bias"] = value.reshape(-1)
        ctx.alias[node.output[0]] = x
        return None
    shape = ctx.shapes.get(x, ())
    c = value.size
    if t == "Mul" and value.ndim >= 1 and c > 1:
        op = None
        if value.shape[-3:] == (c, 1, 1) and len(shape) == 4 and shape[1] == c:
            op = Op(node.output[0], "LayerScale", [x], weights={"scale": value.reshape(c, 1, 1)})
        elif value.shape[-1] == c and shape[-1:] == (c,):  # a vector, or channels-last
            op = Op(node.output[0], "LayerScale", [x], weights={"scale": value.reshape(c)},
                    extra={"axis": "last"})
        if op is not None:
            if const[0] in ctx.initializers:
                op.extra["label"], op.group = _weight_name(const[0])
            return op
    raise NoKind(t, "with a constant that is not a per-channel scale")


def _clip(node: onnx.NodeProto, ctx: Context) -> Op:
    lo = ctx.optional(node, 1)
    hi = ctx.optional(node, 2)
    low = float(lo) if lo is not None else float(attr(node, "min", float("-inf")))
    high = float(hi) if hi is not None else float(attr(node, "max", float("inf")))
    if (low, high) == (0.0, 6.0):
        return Op(node.output[0], "ReLU6", [node.input[0]])
    if (low, high) == (0.0, float("inf")):
        return Op(node.output[0], "ReLU", [node.input[0]])
    raise NoKind("Clip", f"min {low}, max {high}: only ReLU and ReLU6")


def _reshape(node: onnx.NodeProto, ctx: Context) -> Op:
    x, out = ctx.shapes.get(node.input[0], ()), ctx.shapes.get(node.output[0], ())
    if x and out == x:
        return Op(node.output[0], "Passthrough", [node.input[0]])
    if len(out) == 2 and len(x) >= 2 and out[1] == int(np.prod(x[1:])):
        return Op(node.output[0], "Flatten", [node.input[0]])
    raise NoKind(node.op_type, f"{list(x)} -> {list(out)}; only flattening to (N, features)")


def _pad(node: onnx.NodeProto, ctx: Context) -> Op:
    if attr(node, "mode", "constant") != "constant":
        raise NoKind("Pad", "only constant padding")
    pads = ctx.const(node, 1, "pads").tolist() if len(node.input) > 1 else attr(node, "pads", [])
    value = ctx.optional(node, 2)
    axes = ctx.optional(node, 3)
    if len(pads) != 8 or axes is not None or any(pads[i] for i in (0, 1, 4, 5)):
        raise NoKind("Pad", "only of height and width")
    top, left, bottom, right = pads[2], pads[3], pads[6], pads[7]
    if min(top, left, bottom, right) < 0:
        raise NoKind("Pad", "negative padding (cropping)")
    return Op(node.output[0], "Pad", [node.input[0]],
              {"pads": (top, bottom, left, right),
               "value": float(value) if value is not None else 0.0})


def _slice(node: onnx.NodeProto, ctx: Context) -> Op:
    """A Slice of height and width with step 1: a Cropping2d."""
    shape = ctx.shapes.get(node.input[0], ())
    starts, ends = ctx.const(node, 1, "bounds"), ctx.const(node, 2, "bounds")
    axes = ctx.optional(node, 3)
    steps = ctx.optional(node, 4)
    axes_list = axes.tolist() if axes is not None else list(range(len(starts)))
    crop = [0, 0, 0, 0]  # top, bottom, left, right
    if len(shape) != 4 or (steps is not None and any(int(v) != 1 for v in steps.tolist())):
        raise NoKind("Slice", "only cropping height and width, step 1")
    for a, start, end in zip(axes_list, starts.tolist(), ends.tolist(), strict=True):
        a = a % 4
        n = shape[a]
        lo = min(max(start + n if start < 0 else start, 0), n)
        hi = min(max(end + n if end < 0 else end, 0), n)
        if a not in (2, 3) or hi <= lo:
            if (lo, hi) == (0, n):
                continue
            raise NoKind("Slice", "only cropping height and width, step 1")
        crop[(a - 2) * 2], crop[(a - 2) * 2 + 1] = lo, n - hi
    return Op(node.output[0], "Cropping2d", [node.input[0]], {"cropping": tuple(crop)})


def convert(node: onnx.NodeProto, ctx: Context) -> Op | None:
    t = node.op_type
    x = node.input[0] if node.input else ""
    rank = len(ctx.shapes.get(x, ()))
    if t in PLAIN:
        return Op(node.output[0], PLAIN[t], [x])
    if t == "Dropout":  # an inference graph's no-op, kept as the layer it stands for
        ratio = ctx.optional(node, 1)
        rate = float(ratio) if ratio is not None else float(attr(node, "ratio", 0.5))
        return Op(node.output[0], "Dropout", [x], {"rate": rounded(rate)})
    if t == "Conv":
        return _conv(node, ctx)
    if t == "BatchNormalization":
        return _batchnorm(node, ctx)
    if t == "MaxPool":
        return _pool(node, "MaxPool2d")
    if t == "AveragePool":
        return _pool(node, "AvgPool2d")
    if t in ("GlobalAveragePool", "GlobalMaxPool"):
        kind = "GlobalAvgPool" if t == "GlobalAveragePool" else "GlobalMaxPool"
        return Op(node.output[0], kind, [x], {"keepdims": True})
    if t in ("ReduceMean", "ReduceMax"):
        return _reduce(node, ctx, "GlobalAvgPool" if t == "ReduceMean" else "GlobalMaxPool")
    if t == "Gemm":
        return _gemm(node, ctx)
    if t == "MatMul":
        w = ctx.const(node, 1)
        if w.ndim != 2:
            raise NoKind("MatMul", "only with a stored 2-D weight")
        return _dense(node, ctx, w.T.copy(), None)
    if t in ("Add", "Mul", "Sub", "Div"):
        return _binary(node, ctx)
    if t == "Concat":
        axis = attr(node, "axis", 0)
        if axis not in (1, 1 - rank):
            raise NoKind(f"Concat (axis {axis})", "only the channel axis")
        return Op(node.output[0], "Concat", list(node.input), {"inputs": len(node.input)})
    if t == "Flatten":
        if attr(node, "axis", 1) != 1:
            raise NoKind("Flatten", "only from axis 1")
        return Op(node.output[0], "Flatten", [x])
    if t in ("Reshape", "Squeeze"):
        return _reshape(node, ctx)
    if t == "Transpose":
        return Op(node.output[0], "Permute", [x], {"dims": tuple(attr(node, "perm", []))})
    if t == "Clip":
        return _clip(node, ctx)
    if t == "Pad":
        return _pad(node, ctx)
    if t == "Slice":
        return _slice(node, ctx)
    return _activation_or_norm(node, ctx, x, rank)


def _activation_or_norm(node: onnx.NodeProto, ctx: Context, x: str, rank: int) -> Op:
    t = node.op_type
    out = node.output[0]
    if t == "LeakyRelu":
        return Op(out, "LeakyReLU", [x], {"negative_slope": rounded(attr(node, "alpha", 0.01))})
    if t == "Elu":
        return Op(out, "ELU", [x], {"alpha": rounded(attr(node, "alpha", 1.0))})
    if t == "Gelu":
        return Op(out, "GELU", [x], {"approximate": attr(node, "approximate", "none")})
    if t == "HardSigmoid":
        alpha, beta = rounded(attr(node, "alpha", 0.2)), rounded(attr(node, "beta", 0.5))
        if (alpha, beta) != (rounded(1 / 6), 0.5):
            raise NoKind("HardSigmoid", "only alpha 1/6, beta 0.5 (PyTorch's)")
        return Op(out, "Hardsigmoid", [x])
    if t == "Softmax":
        axis = attr(node, "axis", -1)
        if axis != 1 and not (rank == 2 and axis == -1):
            raise NoKind(f"Softmax (axis {axis})", "only over the channels")
        return Op(out, "Softmax", [x])
    if t == "LayerNormalization":
        if attr(node, "axis", -1) not in (-1, rank - 1):
            raise NoKind("LayerNormalization", "only over the last axis")
        op = Op(out, "LayerNorm", [x], {"eps": rounded(attr(node, "epsilon", 1e-5))},
                {"weight": ctx.const(node, 1), "bias": ctx.const(node, 2)},
                extra={"axis": "last"})
        return _consistent(op, node, ctx, node.input[1:3])
    if t == "LRN":
        return Op(out, "LocalResponseNorm", [x], {
            "size": int(attr(node, "size", 5)), "alpha": rounded(attr(node, "alpha", 1e-4)),
            "beta": rounded(attr(node, "beta", 0.75)), "k": rounded(attr(node, "bias", 1.0))})
    raise NoKind(t)


#: every ONNX operator ``convert`` reads
OPS = ("Relu", "Sigmoid", "Tanh", "HardSwish", "Neg", "Identity", "Dropout", "Conv",
       "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
       "ReduceMean", "ReduceMax", "Gemm", "MatMul", "Add", "Mul", "Concat", "Flatten",
       "Reshape", "Squeeze", "Transpose", "Clip", "Pad", "LeakyRelu", "Elu", "Gelu",
       "HardSigmoid", "Softmax", "LayerNormalization", "LRN", "Slice", *FOLDABLE)
