"""ONNX export, verified: the file passes the full ONNX checker and onnxruntime matches PyTorch.

The dynamo exporter (``torch.onnx.export(..., dynamo=True)``) is used, in eval mode, as one
file (``external_data=False``) with a dynamic batch axis on the input ``x`` (height and width
stay fixed: 'same' padding and adaptive pools are computed for the project's input size).
Only when dynamo fails is the legacy TorchScript-based exporter tried, and the report says so
and why. The opset actually written is read back from the file.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from pathlib import Path

import onnx
import onnxruntime as ort
import torch
from torch import nn

from cnnstudio.compiler.errors import ExportError
from cnnstudio.compiler.to_torch import INPUT_NAME, compile_info
from cnnstudio.compiler.verify import ExportReport, compare, file_size

OUTPUT_NAME = "output"
#: the example batch the graph is traced with (a size other than 1 keeps the axis symbolic)
EXAMPLE_BATCH = 2
LEGACY_OPSET = 18


def _dynamo(model: nn.Module, x: torch.Tensor, path: Path, opset: int | None) -> None:
    batch = torch.export.Dim("batch", min=1, max=1 << 16)
    kwargs = {"opset_version": opset} if opset is not None else {}
    with contextlib.redirect_stdout(io.StringIO()):
        torch.onnx.export(model, (x,), str(path), dynamo=True, external_data=False,
                          input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_shapes={INPUT_NAME: {0: batch}}, verbose=False, **kwargs)


def _legacy(model: nn.Module, x: torch.Tensor, path: Path, opset: int | None) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        torch.onnx.export(model, (x,), str(path), dynamo=False,
                          opset_version=opset or LEGACY_OPSET,
                          input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}})


def written_opset(path: str | Path) -> int | None:
    model = onnx.load(str(path), load_external_data=False)
    for item in model.opset_import:
        if item.domain in ("", "ai.onnx"):
            return int(item.version)
    return None


def export_onnx(model: nn.Module, path: str | Path, *, opset: int | None = None,
                verify: bool = True, allow_legacy: bool = True) -> ExportReport:
    """Write ``model`` (made by ``build_model``) to ``path`` as ONNX and verify it.

    Raises ``ExportError`` when no exporter can write it and ``ExportVerificationError`` when
    the file fails the checker or onnxruntime disagrees with PyTorch.
    """
    start = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = compile_info(model)
    report = ExportReport("onnx", str(path), files=[str(path)])
    was_training = model.training
    model.eval()
    x = torch.randn(EXAMPLE_BATCH, *info.input_shape)
    try:
        try:
            _dynamo(model, x, path, opset)
            report.exporter = "dynamo"
        except Exception as exc:  # the exporter raises many types; all lead to the fallback
            if not allow_legacy:
                raise ExportError(f"the dynamo ONNX exporter failed: {exc}") from exc
            report.fallback_reason = (f"dynamo exporter failed ({type(exc).__name__}: "
                                      f"{str(exc).strip().splitlines()[0][:300]})")
            try:
                _legacy(model, x, path, opset)
            except Exception as exc2:
                raise ExportError(f"both ONNX exporters failed: dynamo: {exc}; "
                                  f"legacy: {exc2}") from exc2
            report.exporter = "legacy (TorchScript-based)"
        report.opset = written_opset(path)
        report.file_size = file_size(path)
        if verify:
            verify_onnx(model, path, report)
    finally:
        model.train(was_training)
    report.seconds = time.perf_counter() - start
    return report


def verify_onnx(model: nn.Module, path: Path, report: ExportReport) -> None:
    """The full ONNX checker, then onnxruntime (CPU) against PyTorch."""
    onnx.checker.check_model(str(path), full_check=True)
    report.checks.append("onnx.checker.check_model(full_check=True) passed")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(x: torch.Tensor):  # type: ignore[no-untyped-def]
        return session.run(None, {name: x.numpy()})[0]

    compare(report, model, run, "onnxruntime (CPUExecutionProvider)")
