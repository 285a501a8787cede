"""Helpers for the import tests: an ONNX export that keeps BatchNorm, weights randomised
so that comparisons mean something, and a tiny hand-written ONNX file.

CNN Studio's own ONNX export lets onnxscript's optimiser fold each BatchNorm into the
convolution before it (fewer parameters, the same outputs). For a round trip that must give
back the same parameter counts, the tests export with that one rewrite left out: the dynamo
exporter without its optimiser, then the optimiser with its default rules minus the
BatchNorm fusions (the rule table is onnxscript's private ``_DEFAULT_REWRITE_RULES``; without
it the test helper fails loudly rather than testing something else).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from onnxscript import rewriter
from torch import nn

from cnnstudio.compiler.export_onnx import _torchlib_cache
from cnnstudio.compiler.to_torch import INPUT_NAME, compile_info
from tests.presets.torch_helpers import randomise_


def export_keeping_batchnorm(model: nn.Module, path: Path) -> Path:
    info = compile_info(model)
    x = torch.randn(2, *info.input_shape)
    batch = torch.export.Dim("batch", min=1, max=1 << 16)
    with contextlib.redirect_stdout(io.StringIO()), _torchlib_cache():
        program = torch.onnx.export(model.eval(), (x,), dynamo=True, optimize=False,
                                    input_names=[INPUT_NAME], output_names=["output"],
                                    dynamic_shapes={INPUT_NAME: {0: batch}})
    rules = rewriter._DEFAULT_REWRITE_RULES
    kept = tuple(r for r in rules if "BatchNorm" not in str(getattr(r, "name", "")))
    assert len(kept) < len(rules), "onnxscript's BatchNorm fusion rules were not found"
    rewriter._DEFAULT_REWRITE_RULES = kept
    try:
        program.optimize()
    finally:
        rewriter._DEFAULT_REWRITE_RULES = rules
    assert program.model_proto is not None
    onnx.save(program.model_proto, str(path))
    return path


@torch.no_grad()
def randomise(model: nn.Module) -> nn.Module:
    """``randomise_``, plus the statistics of shift-only BatchNorm (Keras' scale=False) and
    every parameter that starts constant (LayerNorm's ones): the exporter's optimiser merges
    equal tensors, which would hide which node a tensor belongs to."""
    randomise_(model)
    for p in model.parameters():
        if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
            p.uniform_(0.5, 1.5)
    for mod in model.modules():
        if isinstance(getattr(mod, "running_var", None), torch.Tensor):
            mod.running_mean.uniform_(-0.1, 0.1)
            mod.running_var.uniform_(0.5, 1.5)
    return model.eval()


def tiny_onnx(op: str = "Relu", **attrs: object) -> onnx.ModelProto:
    """Input N x 1 x 4 x 4 -> a 1x1 Conv named ``conv`` -> ``op`` (node ``strange``)."""
    w = numpy_helper.from_array(np.ones((2, 1, 1, 1), np.float32), "conv.weight")
    nodes = [helper.make_node("Conv", ["x", "conv.weight"], ["c"], name="conv"),
             helper.make_node(op, ["c"], ["y"], name="strange", **attrs)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, ["N", 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 4, 4])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
