"""An ``.onnx`` file -> ``Op`` list, with onnx and numpy only (no torch; nothing is run).

The file must be a regular file within ``core.limits.MAX_ONNX_BYTES`` (weights inside it, not in
external data files); it is parsed, checked with ``onnx.checker`` and its shapes inferred
by onnx. One image input (N, C, H, W) with fixed C, H, W (or the shape given), one output.
Each node becomes one ``Op`` (``onnx_ops.py`` holds the mapping); a few constant-only nodes
(Constant, Identity, Cast, Reshape, Unsqueeze, Squeeze, Concat, Expand of constants) are
evaluated with numpy on the spot. Ops are named after their weights' names where they have
weights (``layer1.0.conv1.weight`` -> ``layer1_0_conv1``), else after their output.
"""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import numpy_helper

from cnnstudio.core.limits import MAX_ONNX_BYTES, InputLimitError, read_capped
from cnnstudio.importing import onnx_ops
from cnnstudio.importing.onnx_context import Context, NoKind
from cnnstudio.importing.ops import ModelImportError, Op, Unsupported, UnsupportedOpsError

__all__ = ["MAX_ONNX_BYTES", "input_shape_of", "load", "read_onnx"]


def load(path: str | Path) -> onnx.ModelProto:
    """Parse and check a file (``ModelImportError`` naming the file and what is wrong)."""
    path = Path(path)
    try:
        data = read_capped(path, MAX_ONNX_BYTES, "ONNX file")
    except InputLimitError as exc:
        raise ModelImportError(f"{path}: {exc}") from None
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ModelImportError(f"{path}: not an ONNX file ({type(exc).__name__})") from None
    for tensor in model.graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            raise ModelImportError(f"{path}: its weights are in external data files; save it "
                                   "as one file (external_data=False) to import it")
    try:
        onnx.checker.check_model(model)
        return onnx.shape_inference.infer_shapes(model)
    except Exception as exc:  # onnx raises ValidationError / InferenceError and others
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelImportError(f"{path}: the ONNX checker refuses it: {first[:300]}") from None


def _shapes(graph: onnx.GraphProto) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        t = info.type.tensor_type
        if t.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else -1 for d in t.shape.dim]
            out[info.name] = tuple([1, *dims[1:]] if dims else dims)
    return out


def input_shape_of(model: onnx.ModelProto) -> tuple[str, tuple[int, ...]]:
    """The name of the one image input and its (C, H, W), -1 where not fixed."""
    inits = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise ModelImportError(f"the model has {len(inputs)} inputs; CNN Studio designs have "
                               "one image input")
    dims = _shapes(model.graph).get(inputs[0].name, ())
    if len(dims) != 4:
        raise ModelImportError(f"input {inputs[0].name!r} has {len(dims)} axes; an image "
                               "batch (N, C, H, W) is needed")
    return inputs[0].name, dims[1:]


def read_onnx(path: str | Path, input_shape: tuple[int, int, int] | None = None
              ) -> tuple[list[Op], str]:
    """The ops of the file at ``path`` and the name of the output op."""
    source = str(path)
    model = load(path)
    graph = model.graph
    try:
        name, dims = input_shape_of(model)
    except ModelImportError as exc:
        raise ModelImportError(f"{source}: {exc}") from None
    if input_shape is None:
        if min(dims) < 1:
            raise ModelImportError(f"{source}: the input's channels, height or width are not "
                                   "fixed in the file; give the input shape")
        input_shape = (int(dims[0]), int(dims[1]), int(dims[2]))
    elif any(d not in (-1, want) for d, want in zip(dims, input_shape, strict=True)):
        fixed = "x".join(str(d) if d > 0 else "?" for d in dims)
        raise ModelImportError(f"{source}: the file fixes its input at {fixed} (C x H x W); "
                               f"it cannot take {'x'.join(map(str, input_shape))}")
    if len(graph.output) != 1:
        raise ModelImportError(f"{source}: the model has {len(graph.output)} outputs; "
                               "CNN Studio designs have one")
    c, h, w = input_shape
    ctx = Context(
        consts={t.name: numpy_helper.to_array(t) for t in graph.initializer},
        shapes=_shapes(graph), uses=_uses(graph),
        initializers={t.name for t in graph.initializer})
    ops = [Op(name, "Input", params={"channels": c, "height": h, "width": w},
              shape=(1, c, h, w), where="the input")]
    bad: list[Unsupported] = []
    for node in graph.node:
        where = f"ONNX node {node.name or node.output[0]!r}"
        if not node.output:
            continue
        try:
            if ctx.fold(node):
                continue
            op = onnx_ops.convert(node, ctx)
        except NoKind as exc:
            bad.append(Unsupported(exc.op, where, exc.why))
            continue
        if op is None:  # merged into the op that made its input
            continue
        op.where = f"{where} ({node.op_type})"
        op.group = op.group or _group(node)
        op.shape = ctx.shapes.get(node.output[0])
        pad = op.extra.pop("pad_before", None)
        if pad is not None:  # uneven padding: a Pad before (joined again by the passes)
            ops.append(Op(f"{op.name}__pad", "Pad", [op.inputs[0]],
                          {"pads": pad, "value": op.extra.pop("pad_value", 0.0)},
                          group=op.group, where=op.where,
                          shape=None))
            op.inputs = [f"{op.name}__pad"]
        ctx.made[node.output[0]] = op
        ops.append(op)
    if bad:
        raise UnsupportedOpsError(source, bad)
    out = graph.output[0].name
    while out in ctx.alias:
        out = ctx.alias[out]
    names = _renamed(ops, ctx)
    return ops, names[out]


def _uses(graph: onnx.GraphProto) -> dict[str, int]:
    uses: dict[str, int] = {}
    for node in graph.node:
        for i in node.input:
            uses[i] = uses.get(i, 0) + 1
    for o in graph.output:
        uses[o.name] = uses.get(o.name, 0) + 1
    return uses


def _group(node: onnx.NodeProto) -> str | None:
    """The module path in an exporter's scoped node name (``/layer1/layer1.0/conv1/Conv``)."""
    parts = [p for p in node.name.split("/") if p][:-1]
    if not parts:
        return None
    if len(parts) > 1 and parts[1].startswith(parts[0] + "."):
        return parts[1]
    return parts[0]


def _renamed(ops: list[Op], ctx: Context) -> dict[str, str]:
    """Ops read value names as inputs; give each op its own name, rewire the inputs and
    return value name -> op name."""
    by_value: dict[str, str] = {}
    taken: set[str] = set()
    for op in ops:
        value = op.name
        label = op.extra.pop("label", value)
        op.name = label if label not in taken else value
        while op.name in taken:
            op.name += "_"
        taken.add(op.name)
        by_value[value] = op.name
    for op in ops:
        op.inputs = [by_value[ctx.resolve(i)] for i in op.inputs]
    return by_value


