"""What the ONNX reader knows while it converts nodes, and constant folding (onnx, numpy).

``Context`` holds the constants (initializers and folded values), the inferred shapes, how
often each value is used, the ops made so far and the aliases of merged values. ``fold``
evaluates a constant-only node of ``FOLDABLE`` with numpy (the legacy torch exporter, without
constant folding, computes paddings from constant shapes this way). ``attr`` reads an attribute;
float attributes are rounded to 6 significant digits by ``rounded`` (ONNX stores float32:
momentum 0.99 is 0.9900000095...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx

from cnnstudio.importing.ops import Op

FOLDABLE = frozenset({"Constant", "Identity", "Cast", "CastLike", "Reshape", "Unsqueeze",
                      "Squeeze", "Concat", "Expand", "Shape", "Gather", "Add", "Sub", "Mul",
                      "Div", "ConstantOfShape", "Slice", "Transpose"})
#: element-wise arithmetic on constants (an exporter's padding computed at run time)
_ARITHMETIC = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}


class NoKind(Exception):
    def __init__(self, op: str, why: str = "") -> None:
        super().__init__(op)
        self.op = op
        self.why = why


@dataclass
class Context:
    consts: dict[str, np.ndarray]
    shapes: dict[str, tuple[int, ...]]
    uses: dict[str, int]
    initializers: set[str]
    made: dict[str, Op] = field(default_factory=dict)
    alias: dict[str, str] = field(default_factory=dict)

    def resolve(self, name: str) -> str:
        while name in self.alias:
            name = self.alias[name]
        return name

    def const(self, node: onnx.NodeProto, i: int, what: str = "weights") -> np.ndarray:
        if i >= len(node.input) or node.input[i] not in self.consts:
            raise NoKind(node.op_type, f"its {what} are computed while running, not stored")
        return self.consts[node.input[i]]

    def optional(self, node: onnx.NodeProto, i: int) -> np.ndarray | None:
        if i >= len(node.input) or not node.input[i]:
            return None
        return self.const(node, i)

    def fold(self, node: onnx.NodeProto) -> bool:
        """Evaluate a constant-only node; True when done."""
        if node.op_type not in FOLDABLE:
            return False
        ins = [i for i in node.input if i]
        if not all(i in self.consts for i in ins):
            return False
        self.consts[node.output[0]] = _evaluate(node, [self.consts[i] for i in ins])
        return True


def attr(node: onnx.NodeProto, name: str, default: Any) -> Any:
    for a in node.attribute:
        if a.name == name:
            value = onnx.helper.get_attribute_value(a)
            return value.decode() if isinstance(value, bytes) else value
    return default


def rounded(v: float) -> float:
    return float(f"{float(v):.6g}")


def _evaluate(node: onnx.NodeProto, xs: list[np.ndarray]) -> np.ndarray:
    t = node.op_type
    if t == "Constant":
        for a in node.attribute:
            if a.name == "value":
                return onnx.numpy_helper.to_array(a.t)
            if a.name in ("value_float", "value_int"):
                return np.array(onnx.helper.get_attribute_value(a))
            if a.name in ("value_floats", "value_ints"):
                return np.array(onnx.helper.get_attribute_value(a))
        raise NoKind("Constant", "without a value")
    if t == "Identity":
        return xs[0]
    if t == "Cast":
        to = onnx.helper.tensor_dtype_to_np_dtype(attr(node, "to", 1))
        return xs[0].astype(to)
    if t == "CastLike":
        return xs[0].astype(xs[1].dtype)
    if t == "Reshape":
        shape = [d if d != 0 else xs[0].shape[i] for i, d in enumerate(xs[1].tolist())]
        return xs[0].reshape(shape)
    if t in ("Unsqueeze", "Squeeze"):
        axes = xs[1].tolist() if len(xs) > 1 else attr(node, "axes", None)
        if t == "Squeeze":
            return np.squeeze(xs[0], axis=tuple(axes) if axes is not None else None)
        out = xs[0]
        for a in sorted(axes):
            out = np.expand_dims(out, a)
        return out
    if t == "Concat":
        return np.concatenate(xs, axis=attr(node, "axis", 0))
    if t == "Expand":
        return np.broadcast_to(xs[0], np.broadcast_shapes(xs[0].shape, tuple(xs[1].tolist())))
    return _evaluate_more(node, xs)


def _evaluate_more(node: onnx.NodeProto, xs: list[np.ndarray]) -> np.ndarray:
    t = node.op_type
    if t == "Shape":
        shape = np.array(xs[0].shape, dtype=np.int64)
        return shape[attr(node, "start", 0):attr(node, "end", None)]
    if t == "Gather":
        return np.take(xs[0], xs[1], axis=attr(node, "axis", 0))
    if t in _ARITHMETIC:
        return np.asarray(_ARITHMETIC[t](xs[0], xs[1])).astype(xs[0].dtype)
    if t == "Div":
        if np.issubdtype(xs[0].dtype, np.integer):
            return np.asarray(np.floor_divide(xs[0], xs[1]))  # ONNX integer division
        return np.asarray(np.divide(xs[0], xs[1]))
    if t == "ConstantOfShape":
        value = next((onnx.numpy_helper.to_array(a.t) for a in node.attribute
                      if a.name == "value"), np.zeros(1, np.float32))
        return np.full(tuple(xs[0].tolist()), value.reshape(-1)[0], dtype=value.dtype)
    if t == "Transpose":
        return np.transpose(xs[0], attr(node, "perm", None))
    starts, ends = xs[1].tolist(), xs[2].tolist()  # Slice
    axes = xs[3].tolist() if len(xs) > 3 else list(range(len(starts)))
    steps = xs[4].tolist() if len(xs) > 4 else [1] * len(starts)
    index = [slice(None)] * xs[0].ndim
    for a, lo, hi, step in zip(axes, starts, ends, steps, strict=True):
        index[a] = slice(lo, hi, step)
    return xs[0][tuple(index)]
