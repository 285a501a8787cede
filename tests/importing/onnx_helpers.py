"""Exporting a compiled design to ONNX with its BatchNorm layers kept.

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

import onnx
import torch
from onnxscript import rewriter
from torch import nn

from cnnstudio.compiler.export_onnx import _torchlib_cache
from cnnstudio.compiler.to_torch import INPUT_NAME, compile_info


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
