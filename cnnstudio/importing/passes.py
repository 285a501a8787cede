"""Simplifications every import goes through, whatever the reader (torch-free).

``simplify(ops, output, source)`` runs, in order:

1. pass-throughs are removed (their consumers read the pass-through's input);
2. channels-last regions (``Permute`` 0,2,3,1 ... 0,3,1,2, as torchvision's ConvNeXt and
   LayerNorm2d write them) become channels-first: a Linear there is a 1x1 Conv2d (weights
   ``(out, in)`` -> ``(out, in, 1, 1)``), a LayerNorm over the last axis is the catalogue's
   channel LayerNorm, a per-channel scale is a LayerScale of shape ``(C, 1, 1)``;
3. patterns: ``-max_pool(-x)`` is a MinPool2d, ``x * sigmoid(x)`` a SiLU, a zero ``Pad``
   (or a -inf one before a max pool, +inf before a min pool) joins the next convolution or
   pool when the padding then is symmetric or Keras ``same``, else stays a ZeroPad2d;
4. a global pool that keeps its 1x1 map, followed (through Dropout) by a flatten, becomes a
   global pool without the map;
5. concatenations that repeat an earlier one's inputs and add more (DenseNet's growing
   ``torch.cat(features)``) are chained onto it: ``cat(a, b, c)`` after ``cat(a, b)`` is
   ``Concat(cat(a, b), c)``;
6. ``(a + b) + c`` is one Add of three inputs (Multiply likewise), as CNN Studio compiles
   merges of more than two inputs; a crop of a crop (ONNX slices one axis at a time) is one
   Cropping2d;
7. an activation without settings (ReLU, ReLU6, SiLU, Hardswish, Hardsigmoid, Sigmoid, Tanh,
   Softmax) whose input is a layer with a fused ``activation`` that feeds nothing else is
   fused into it; activations with a setting (LeakyReLU, ELU, GELU) stay nodes, unless the
   names show a CNN Studio-compiled fused pair (``conv1_conv2d`` then ``conv1``), which
   comes back as ``conv1`` with its activation;
8. ops the output does not depend on are dropped.

Any internal kind left afterwards, or an op a pass cannot carry over, is reported in one
``UnsupportedOpsError``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnnstudio.core.layers import get_layer
from cnnstudio.core.layers.window import same_pads
from cnnstudio.importing.ops import (
    INTERNAL,
    ModelImportError,
    Op,
    Unsupported,
    UnsupportedOpsError,
)

#: activation kind -> the fused ``activation`` value
FUSABLE = {"ReLU": "relu", "ReLU6": "relu6", "SiLU": "silu", "Hardswish": "hardswish",
           "Hardsigmoid": "hardsigmoid", "Sigmoid": "sigmoid", "Tanh": "tanh",
           "Softmax": "softmax"}
#: activations with a setting, fused only back into a layer CNN Studio compiled with them
#: (its fused form uses PyTorch's defaults)
WITH_SETTING: dict[str, tuple[str, dict[str, object]]] = {
    "GELU": ("gelu", {"approximate": "none"}),
    "LeakyReLU": ("leaky_relu", {"negative_slope": 0.01}),
    "ELU": ("elu", {"alpha": 1.0})}
#: kinds that work unchanged on a channels-last tensor
_ELEMENTWISE = frozenset({"ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Hardswish",
                          "Hardsigmoid", "Sigmoid", "Tanh", "Dropout", "Add", "Multiply",
                          "Neg"})
NCHW, NHWC = (0, 2, 3, 1), (0, 3, 1, 2)


def consumers(ops: list[Op]) -> dict[str, list[Op]]:
    out: dict[str, list[Op]] = {op.name: [] for op in ops}
    for op in ops:
        for name in op.inputs:
            out.setdefault(name, []).append(op)
    return out


def _rewire(ops: list[Op], alias: dict[str, str], output: str) -> tuple[list[Op], str]:
    """Drop the ops named in ``alias`` and point their consumers at what they alias."""

    def resolve(name: str) -> str:
        while name in alias:
            name = alias[name]
        return name

    kept = [op for op in ops if op.name not in alias]
    for op in kept:
        op.inputs = [resolve(i) for i in op.inputs]
    return kept, resolve(output)


def drop_passthroughs(ops: list[Op], output: str) -> tuple[list[Op], str]:
    alias = {op.name: op.inputs[0] for op in ops if op.kind == "Passthrough"}
    return _rewire(ops, alias, output)


def resolve_layout(ops: list[Op], output: str,
                   bad: list[Unsupported]) -> tuple[list[Op], str]:
    """Channels-last regions back to channels-first kinds (see the module docstring)."""
    last: set[str] = set()
    alias: dict[str, str] = {}
    for op in ops:
        inside = [i in last for i in op.inputs]
        if op.kind == "Permute":
            dims = tuple(op.params["dims"])
            if not any(inside) and dims == NCHW and (op.shape is None or len(op.shape) == 4):
                alias[op.name] = op.inputs[0]
                last.add(op.name)
            elif all(inside) and dims == NHWC:
                alias[op.name] = op.inputs[0]
            else:
                bad.append(Unsupported(f"Permute {list(dims)}", op.where,
                                       "only channels-last and back are supported"))
            continue
        axis_last = op.extra.get("axis") == "last"
        if any(inside):
            if op.kind == "Dense":
                op.kind = "Conv2d"
                op.params = {"filters": op.params["units"], "kernel": 1,
                             "bias": op.params.get("bias", True)}
                w = op.weights["weight"]
                op.weights["weight"] = w.reshape(*w.shape, 1, 1)
            elif op.kind == "LayerScale":
                op.weights["scale"] = op.weights["scale"].reshape(-1, 1, 1)
            elif op.kind not in _ELEMENTWISE and not (op.kind == "LayerNorm" and axis_last):
                bad.append(Unsupported(op.kind, op.where, "on a channels-last tensor"))
            last.add(op.name)
        elif axis_last and op.shape is not None and len(op.shape) == 4:
            bad.append(Unsupported(op.kind, op.where, "over the width of a feature map"))
    if output in last or alias.get(output, "") in last:
        bad.append(Unsupported("channels-last output", output))
    return _rewire(ops, alias, output)


def _single(users: dict[str, list[Op]], name: str) -> Op | None:
    found = users.get(name, [])
    return found[0] if len(found) == 1 else None


def _pad_into(pad: Op, nxt: Op, by_name: dict[str, Op]) -> bool:
    """Join a Pad into the convolution / pool after it when the sum is symmetric or 'same'."""
    src = by_name[pad.inputs[0]]
    if src.shape is None or len(src.shape) != 4:
        return False
    t, b, left, r = pad.params["pads"]
    own = nxt.params.get("padding", (0, 0))
    if isinstance(own, str):
        if own != "valid":
            return False
        own = (0, 0)
    if isinstance(own, int):
        own = (own, own)
    top, bottom, lft, rgt = t + own[0], b + own[0], left + own[1], r + own[1]
    if top == bottom and lft == rgt:
        nxt.params["padding"] = (top, lft)
        return True
    k = _pair(nxt.params.get("kernel", 1))
    s = _pair(nxt.params.get("stride", 1))
    d = _pair(nxt.params.get("dilation", 1))
    h, w = src.shape[2], src.shape[3]
    if ((top, bottom) == same_pads(h, k[0], s[0], d[0])
            and (lft, rgt) == same_pads(w, k[1], s[1], d[1])
            and not nxt.params.get("ceil_mode", False)):
        nxt.params["padding"] = "same"
        return True
    return False


def _pair(v: object) -> tuple[int, int]:
    if isinstance(v, list | tuple):
        return int(v[0]), int(v[1])
    return int(v), int(v)  # type: ignore[call-overload]


def merge_patterns(ops: list[Op], output: str) -> tuple[list[Op], str]:
    by_name = {op.name: op for op in ops}
    users = consumers(ops)
    alias: dict[str, str] = {}
    for op in ops:
        if op.kind == "Neg":
            pool = _single(users, op.name)
            after = _single(users, pool.name) if pool and pool.kind == "MaxPool2d" else None
            if pool is not None and after is not None and after.kind == "Neg":
                pool.kind = "MinPool2d"
                alias[op.name] = op.inputs[0]
                alias[after.name] = pool.name
        elif op.kind == "Multiply" and len(op.inputs) == 2:
            a, b = (by_name.get(i) for i in op.inputs)
            for x, sig in ((a, b), (b, a)):
                if (sig is not None and x is not None and sig.kind == "Sigmoid"
                        and sig.inputs == [x.name] and len(users[sig.name]) == 1):
                    op.kind, op.inputs, op.params = "SiLU", [x.name], {}
                    alias[sig.name] = x.name
                    break
        elif op.kind == "Pad":
            nxt = _single(users, op.name)
            value = float(op.params["value"])
            joinable = nxt is not None and nxt.kind not in INTERNAL and (
                (value == 0.0 and get_layer(nxt.kind).conv)
                or (value == float("-inf") and nxt.kind == "MaxPool2d")
                or (value == float("inf") and nxt.kind == "MinPool2d"))
            if joinable and nxt is not None and _pad_into(op, nxt, by_name):
                alias[op.name] = op.inputs[0]
            elif value == 0.0:
                op.kind, op.params = "ZeroPad2d", {"padding": tuple(op.params["pads"])}
    return _rewire(ops, alias, output)


def global_pool_flatten(ops: list[Op], output: str) -> tuple[list[Op], str]:
    by_name = {op.name: op for op in ops}
    users = consumers(ops)
    alias: dict[str, str] = {}
    for op in ops:
        if op.kind != "Flatten":
            continue
        src = by_name[op.inputs[0]]
        while src.kind == "Dropout" and len(users[src.name]) == 1:
            src = by_name[src.inputs[0]]
        if (src.kind in ("GlobalAvgPool", "GlobalMaxPool") and src.params.get("keepdims")
                and len(users[src.name]) == 1):
            src.params["keepdims"] = False
            alias[op.name] = op.inputs[0]
    return _rewire(ops, alias, output)


def chain_concats(ops: list[Op], output: str) -> tuple[list[Op], str]:
    seen: dict[tuple[str, ...], str] = {}
    alias: dict[str, str] = {}
    for op in ops:
        if op.kind != "Concat":
            continue
        flat = tuple(alias.get(i, i) for i in op.inputs)
        op.inputs = list(flat)
        if len(flat) == 1:
            alias[op.name] = flat[0]
            continue
        for n in range(len(flat) - 1, 1, -1):
            if flat[:n] in seen:
                op.inputs = [seen[flat[:n]], *flat[n:]]
                break
        op.params["inputs"] = len(op.inputs)
        seen.setdefault(flat, op.name)
    return _rewire(ops, alias, output)


def fuse_activations(ops: list[Op], output: str) -> tuple[list[Op], str]:
    by_name = {op.name: op for op in ops}
    users = consumers(ops)
    alias: dict[str, str] = {}
    renamed: dict[str, str] = {}
    for op in ops:
        if len(op.inputs) != 1 or op.inputs[0] not in by_name:
            continue
        src = by_name[op.inputs[0]]
        compiled = src.name == f"{op.name}_{src.kind.lower()}"  # CNN Studio's own naming
        value = FUSABLE.get(op.kind)
        if value is None and compiled and op.kind in WITH_SETTING:
            value, defaults = WITH_SETTING[op.kind]
            value = value if op.params == defaults else None
        spec = get_layer(src.kind) if src.kind not in INTERNAL else None
        if (value is not None and spec is not None
                and any(p.name == "activation" for p in spec.params)
                and src.params.get("activation", "none") == "none"
                and len(users[src.name]) == 1 and src.name != output):
            src.params["activation"] = value
            alias[op.name] = src.name
            if compiled:
                renamed[src.name] = op.name
    ops, output = _rewire(ops, alias, output)
    for op in ops:
        op.name = renamed.get(op.name, op.name)
        op.inputs = [renamed.get(i, i) for i in op.inputs]
    return ops, renamed.get(output, output)


def merge_chains(ops: list[Op], output: str) -> tuple[list[Op], str]:
    """``(a + b) + c`` is one Add of three inputs (likewise Multiply), and a crop of a crop
    one Cropping2d, when the inner one feeds nothing else."""
    by_name = {op.name: op for op in ops}
    users = consumers(ops)
    alias: dict[str, str] = {}
    for op in ops:
        inner = by_name.get(op.inputs[0]) if op.inputs else None
        if (op.kind == "Cropping2d" and inner is not None and inner.kind == "Cropping2d"
                and len(users[inner.name]) == 1 and inner.name != output):
            op.params["cropping"] = tuple(a + b for a, b in zip(
                inner.params["cropping"], op.params["cropping"], strict=True))
            op.inputs = list(inner.inputs)
            alias[inner.name] = inner.name
            continue
        if op.kind not in ("Add", "Multiply") or not op.inputs:
            continue
        if (inner is not None and inner.kind == op.kind and len(users[inner.name]) == 1
                and inner.name != output):
            op.inputs = [*inner.inputs, *op.inputs[1:]]
            op.params["inputs"] = len(op.inputs)
            alias[inner.name] = inner.name  # dropped: nothing reads it any more
    kept = [op for op in ops if op.name not in alias]
    return kept, output


def prune(ops: list[Op], output: str) -> list[Op]:
    by_name = {op.name: op for op in ops}
    needed: set[str] = set()
    stack = [output]
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        needed.add(name)
        stack.extend(by_name[name].inputs)
    kept = [op for op in ops if op.name in needed]
    if not any(op.kind == "Input" for op in kept):
        raise ModelImportError("the model's output does not depend on its input")
    return kept


Pass = Callable[[list[Op], str], tuple[list[Op], str]]


def simplify(ops: list[Op], output: str, source: str) -> tuple[list[Op], str]:
    """All passes in order; ``UnsupportedOpsError`` for whatever has no layer kind."""
    bad: list[Unsupported] = []
    ops, output = drop_passthroughs(ops, output)
    ops, output = resolve_layout(ops, output, bad)
    steps: list[Pass] = [merge_patterns, global_pool_flatten, chain_concats, merge_chains,
                         fuse_activations]
    for step in steps:
        ops, output = step(ops, output)
    ops = prune(ops, output)
    bad += [Unsupported(op.kind if op.kind != "Pad" else
                        f"Pad with value {op.params['value']}", op.where)
            for op in ops if op.kind in INTERNAL]
    if bad:
        raise UnsupportedOpsError(source, bad)
    return ops, output


def as_float32(a: np.ndarray) -> np.ndarray:
    """Floating tensors as float32 (the compiler's dtype); integer ones unchanged."""
    return a.astype(np.float32) if np.issubdtype(a.dtype, np.floating) else a
