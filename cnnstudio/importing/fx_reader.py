"""A PyTorch module -> ``Op`` list, through torch.fx (torch).

The module is traced symbolically in eval mode (``torch.fx.Tracer``: torch.nn's own modules
and CNN Studio's (``fx_own``) are leaves, everything else, torchvision's blocks included, is
traced through), then run
once on zeros of the input shape (``ShapeProp``) so every value has a shape. Each call of a
torch.nn module, function or tensor method becomes one ``Op`` named after the fx node (the
module path with ``.`` -> ``_``: ``layer1_0_conv1``), grouped by the module that made it;
its weights are copied as numpy arrays. Anything without a layer kind is collected and
reported together (``UnsupportedOpsError``).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from cnnstudio.importing import fx_ops
from cnnstudio.importing.fx_own import is_own, own_op
from cnnstudio.importing.ops import ModelImportError, Op, Unsupported, UnsupportedOpsError


def _shape(node: fx.Node) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta")
    shape = getattr(meta, "shape", None)
    return tuple(int(d) for d in shape) if shape is not None else None


def _group(node: fx.Node) -> str | None:
    if node.op == "call_module":
        parent = str(node.target).rpartition(".")[0]
        return parent or None
    stack = node.meta.get("nn_module_stack") or {}
    paths = [v[0] for v in stack.values()]
    return paths[-1] if paths else None


def _where(node: fx.Node, root: nn.Module) -> str:
    if node.op == "call_module":
        return f"{node.target} ({type(root.get_submodule(str(node.target))).__name__})"
    inside = _group(node)
    return f"{node.name} in {inside}" if inside else f"{node.name} in forward()"


class _Tracer(fx.Tracer):
    """torch.fx's tracer, with CNN Studio's own modules as leaves too (``fx_own``)."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return is_own(m) or super().is_leaf_module(m, module_qualified_name)


def trace(module: nn.Module, source: str) -> fx.GraphModule:
    """The module traced by torch.fx (``ModelImportError`` saying why it cannot be)."""
    tracer = _Tracer()
    try:
        graph = tracer.trace(module)
    except Exception as exc:  # fx raises many types for untraceable code
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelImportError(
            f"{source}: torch.fx cannot trace this module ({first[:300]}); only modules "
            "whose forward has no data-dependent control flow can be imported") from None
    return fx.GraphModule(tracer.root, graph)


def read_module(module: nn.Module, input_shape: tuple[int, int, int],
                source: str) -> tuple[list[Op], str]:
    """The ops of ``module`` for inputs of ``input_shape`` (C, H, W), and the output's name."""
    module = module.eval()
    # a GraphModule (a model CNN Studio compiled, or one already transformed with fx) is
    # read as it is: its node names are the design's
    gm = module if isinstance(module, fx.GraphModule) else trace(module, source)
    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    try:
        with torch.no_grad():
            ShapeProp(gm).propagate(torch.zeros(1, *input_shape, device=device))
    except Exception as exc:  # the module's own code failed on this input
        raise ModelImportError(f"{source}: the module fails on an input of shape "
                               f"{'x'.join(map(str, input_shape))}: "
                               f"{type(exc).__name__}: {str(exc)[:300]}") from None
    ops: list[Op] = []
    bad: list[Unsupported] = []
    params: dict[str, np.ndarray] = {}
    tensors: set[str] = set()
    output = ""
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            if ops:
                bad.append(Unsupported("a second input", node.name))
                continue
            c, h, w = input_shape
            ops.append(Op(node.name, "Input", params={"channels": c, "height": h, "width": w},
                          shape=(1, c, h, w), where="the input"))
            tensors.add(node.name)
        elif node.op == "get_attr":
            value = _attr(gm, str(node.target))
            if isinstance(value, torch.Tensor):
                params[node.name] = fx_ops.tensor_values(value)
        elif node.op == "output":
            result = node.args[0]
            if not isinstance(result, fx.Node) or result.name not in tensors:
                bad.append(Unsupported("an output that is not one tensor", "the output"))
            else:
                output = result.name
        elif _shape(node) is None:
            continue  # sizes, shapes and other plain values: read where they are used
        else:
            where = _where(node, gm)
            try:
                op = _convert(gm, node, params, tensors)
            except fx_ops.NoKind as exc:
                bad.append(Unsupported(exc.op, where, exc.why))
                tensors.add(node.name)
                continue
            op.name, op.where, op.group, op.shape = node.name, where, _group(node), _shape(node)
            ops.append(op)
            tensors.add(node.name)
    if bad:
        raise UnsupportedOpsError(source, bad)
    return ops, output


def _attr(root: nn.Module, target: str) -> Any:
    obj: Any = root
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


def _convert(gm: fx.GraphModule, node: fx.Node, params: dict[str, np.ndarray],
             tensors: set[str]) -> Op:
    if node.op == "call_module":
        mod = gm.get_submodule(str(node.target))
        x = node.args[0]
        if not isinstance(x, fx.Node) or len(node.args) != 1 or node.kwargs:
            raise fx_ops.NoKind(type(mod).__name__, "called with several arguments")
        op = own_op(mod) if is_own(mod) else fx_ops.module_op(mod, _shape(x))
        op.inputs = [x.name]
        return op
    return _function(node, params, tensors)


_ADD = (operator.add, operator.iadd, torch.add, "add", "add_", "__add__")
_MUL = (operator.mul, operator.imul, torch.mul, "mul", "mul_", "__mul__")


def _function(node: fx.Node, params: dict[str, np.ndarray], tensors: set[str]) -> Op:
    target = node.target
    name = target if isinstance(target, str) else getattr(target, "__name__", str(target))
    args = list(node.args)
    nodes = [a for a in args if isinstance(a, fx.Node)]
    if target in _ADD or target in _MUL:
        return _binary(node, "Add" if target in _ADD else "Multiply", params, tensors)
    if target in (torch.cat, torch.concat, torch.concatenate):
        items = args[0] if args else node.kwargs.get("tensors")
        dim = _arg(node, 1, "dim", 0)
        x0 = items[0] if isinstance(items, list | tuple) and items else None
        rank = len(_shape(x0) or ()) if isinstance(x0, fx.Node) else 0
        if dim not in (1, 1 - rank) or not all(isinstance(i, fx.Node) and i.name in tensors
                                               for i in items):
            raise fx_ops.NoKind(f"cat(dim={dim})", "only the channel axis can be joined")
        return Op("", "Concat", [i.name for i in items], {"inputs": max(2, len(items))})
    if not nodes or nodes[0].name not in tensors:
        raise fx_ops.NoKind(str(name))
    x = nodes[0]
    op = fx_ops.function_op(target, node, _shape(x), _shape(node), params)
    op.inputs = [x.name]
    return op


def _arg(node: fx.Node, i: int, key: str, default: Any) -> Any:
    return node.args[i] if len(node.args) > i else node.kwargs.get(key, default)


def _binary(node: fx.Node, kind: str, params: dict[str, np.ndarray], tensors: set[str]) -> Op:
    a, b = _arg(node, 0, "input", None), _arg(node, 1, "other", None)
    if node.kwargs.get("alpha", 1) != 1:
        raise fx_ops.NoKind("add(alpha=...)")
    pair = [v for v in (a, b) if isinstance(v, fx.Node) and v.name in tensors]
    if len(pair) == 2:
        return Op("", kind, [pair[0].name, pair[1].name], {"inputs": 2})
    scale = next((params[v.name] for v in (a, b) if isinstance(v, fx.Node)
                  and v.name in params), None)
    if kind == "Multiply" and len(pair) == 1 and scale is not None:
        c = int(np.prod(scale.shape))
        x_shape = _shape(pair[0]) or ()
        if scale.shape in ((c, 1, 1), (1, c, 1, 1)) and x_shape[1:2] == (c,):
            return Op("", "LayerScale", [pair[0].name], weights={"scale": scale.reshape(c, 1, 1)})
        if scale.shape == (c,) and x_shape[-1:] == (c,):  # a vector, or channels-last
            return Op("", "LayerScale", [pair[0].name], weights={"scale": scale},
                      extra={"axis": "last"})
    what = "add" if kind == "Add" else "mul"
    raise fx_ops.NoKind(f"{what} with a constant", "only two tensors, or a per-channel scale")


