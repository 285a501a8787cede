"""One entry point for every export format (the CLI and the GUI call it).

``export(model, fmt, out, project=None, opset=None)`` dispatches to the format's module and
returns its ``ExportReport``; every format verifies what it wrote and raises
``ExportVerificationError`` when it does not reproduce ``model``.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from cnnstudio.compiler.verify import ExportReport
from cnnstudio.core.project_io import Project

#: format -> what ``out`` names
FORMATS = {
    "onnx": "an .onnx file (one file, dynamic batch axis)",
    "torchscript": "a TorchScript archive (.pt)",
    "safetensors": "a .safetensors file or a folder (the project file is written beside)",
    "python": "a folder for model.py, model.safetensors and train.py",
}


def export(model: nn.Module, fmt: str, out: str | Path, project: Project | None = None,
           opset: int | None = None) -> ExportReport:
    """Export ``model`` (made by ``build_model``) as ``fmt`` to ``out`` and verify it."""
    if fmt == "onnx":
        from cnnstudio.compiler.export_onnx import export_onnx

        return export_onnx(model, out, opset=opset)
    if fmt == "torchscript":
        from cnnstudio.compiler.export_torchscript import export_torchscript

        return export_torchscript(model, out)
    if fmt == "safetensors":
        from cnnstudio.compiler.export_safetensors import export_safetensors

        if project is None:
            raise ValueError("the safetensors export writes the project beside: pass project")
        return export_safetensors(model, project, out)
    if fmt == "python":
        from cnnstudio.compiler.export_python import export_python

        return export_python(model, out, project)
    raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
