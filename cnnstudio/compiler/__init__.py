"""The compiler: graph -> PyTorch module, weight transfer, and verified exports.

Public API (torch is imported here, never by the core):

- ``build_model(graph, *, for_training=False)`` -> ``torch.fx.GraphModule``; raises
  ``CompileError`` (``.issues``, ``.node_names``) for an invalid graph.
- ``compile_info(model)`` (input/output shapes, node name -> attribute name, ...),
  ``node_outputs(model, x)`` (every node's output by node name), ``attribute_names(graph)``.
- ``transfer_weights(old, new)``, ``rebuild(graph, old, *, for_training=False)`` ->
  ``(model, TransferReport)``, ``load_weights(model, path)`` (a .safetensors file or a
  checkpoint folder), ``save_weights(model, path)``.
- Exports, each verifying what it wrote and returning an ``ExportReport`` (a mismatch raises
  ``ExportVerificationError``), one module each (the module and the function share a name):
  ``cnnstudio.compiler.export_onnx.export_onnx(model, path)``,
  ``...export_torchscript.export_torchscript(model, path)``,
  ``...export_safetensors.export_safetensors(model, project, path)``,
  ``...export_python.export_python(model, folder, project=None)``.

The weight functions are imported on first use; onnx and onnxruntime load only when an
export needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

from cnnstudio.compiler.errors import CompileError, ExportError, ExportVerificationError
from cnnstudio.compiler.to_torch import (
    CompileInfo,
    attribute_names,
    build_model,
    compile_info,
    node_outputs,
)

_LAZY = {
    "transfer_weights": "weights",
    "rebuild": "weights",
    "load_weights": "weights",
    "TransferReport": "weights",
    "save_weights": "export_safetensors",
    "ExportReport": "verify",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"cnnstudio.compiler.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'cnnstudio.compiler' has no attribute {name!r}")


__all__ = [
    "CompileError",
    "CompileInfo",
    "ExportError",
    "ExportVerificationError",
    "attribute_names",
    "build_model",
    "compile_info",
    "node_outputs",
    *_LAZY,
]
