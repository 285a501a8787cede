"""The compiler: graph -> PyTorch module, weight transfer, and verified exports.

Public API (torch is imported here, never by the core):

- ``build_model(graph, *, for_training=False)`` -> ``torch.fx.GraphModule``; ``CompileError``.
- ``compile_info(model)``, ``node_outputs(model, x)``, ``attribute_names(graph)``.
- ``transfer_weights(old, new)``, ``rebuild(graph, old, *, for_training=False)``,
  ``load_weights(model, path)`` (a .safetensors file or a checkpoint folder).
- Exports (each verifies what it wrote and returns an ``ExportReport``; a mismatch raises
  ``ExportVerificationError``): ``export_onnx``, ``export_torchscript``,
  ``export_safetensors``, ``export_python``.
"""

from cnnstudio.compiler.errors import CompileError, ExportError, ExportVerificationError
from cnnstudio.compiler.to_torch import (
    CompileInfo,
    attribute_names,
    build_model,
    compile_info,
    node_outputs,
)

__all__ = [
    "CompileError",
    "CompileInfo",
    "ExportError",
    "ExportVerificationError",
    "attribute_names",
    "build_model",
    "compile_info",
    "node_outputs",
]
