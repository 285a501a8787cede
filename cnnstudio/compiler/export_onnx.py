"""ONNX export, verified: the file passes the full ONNX checker and onnxruntime matches PyTorch.

The dynamo exporter (``torch.onnx.export(..., dynamo=True)``) is used, in eval mode, as one
file (``external_data=False``) with a dynamic batch axis on the input ``x`` (height and width
stay fixed: 'same' padding and adaptive pools are computed for the project's input size).
Only when dynamo fails is the legacy TorchScript-based exporter tried, and the report says so
and why. The opset actually written is read back from the file. A requested opset outside
``supported_opsets()`` is refused with ``ExportError`` before any exporter runs.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import onnx
import onnxruntime as ort
import torch
from torch import nn

from cnnstudio.compiler.errors import ExportError, ExportVerificationError
from cnnstudio.compiler.onnx_metadata import add_metadata
from cnnstudio.compiler.to_torch import INPUT_NAME, compile_info
from cnnstudio.compiler.verify import ExportReport, compare, file_size, on_cpu

OUTPUT_NAME = "output"
#: the example batch the graph is traced with (a size other than 1 keeps the axis symbolic)
EXAMPLE_BATCH = 2
LEGACY_OPSET = 18
#: the dynamo exporter's functions (torchlib) are written for opset 18; asked for less, it
#: writes 18 anyway (torch 2.14), so lower opsets are refused rather than silently changed
MIN_OPSET = 18


def _private_int(module: str, name: str) -> int | None:
    """An int constant of a private torch/onnxscript module, or None where it is gone."""
    try:
        return int(getattr(importlib.import_module(module), name))
    except (ImportError, AttributeError):
        return None


def supported_opsets() -> tuple[int, int]:
    """(lowest, highest) opset this installation can write: from ``MIN_OPSET`` (or torch's
    torchlib opset) to the lower of onnx's newest opset and onnxscript's version converter's
    newest (onnxscript 0.7: 25; beyond it the exporter fails)."""
    newest = onnx.defs.onnx_opset_version()
    torchlib = _private_int("torch.onnx._internal.exporter._constants", "TORCHLIB_OPSET")
    converter = _private_int("onnxscript.version_converter._version_converter",
                             "SUPPORTED_MAX_ONNX_OPSET")
    return max(MIN_OPSET, torchlib or MIN_OPSET), min(newest, converter or newest)


def check_opset(opset: object) -> None:
    """``ExportError`` saying the supported range unless ``opset`` is None or inside it."""
    if opset is None:
        return
    low, high = supported_opsets()
    if isinstance(opset, bool) or not isinstance(opset, int) or not low <= opset <= high:
        raise ExportError(f"ONNX opset {opset!r} is not supported: this installation writes "
                          f"opsets {low} to {high} (onnx {onnx.__version__}); leave the opset "
                          "unset for the exporter's default.")


_TORCHLIB_OPS: list[object] = []


@contextlib.contextmanager
def _torchlib_cache() -> Iterator[None]:
    """Reuse onnxscript's table of torchlib functions between exports in one process.

    The dynamo exporter rebuilds that table on every call by parsing the source of about
    500 functions (about 3 s here); the table is plain data, so it is read once and served
    from memory while an export runs. Where the private hook is missing, nothing changes.
    """
    try:
        from torch.onnx._internal.exporter import _registration

        apis = _registration.onnxscript_apis
        original = apis.get_torchlib_ops
    except (ImportError, AttributeError):
        yield
        return

    def cached() -> list[object]:
        if not _TORCHLIB_OPS:
            _TORCHLIB_OPS.extend(original())
        return list(_TORCHLIB_OPS)

    apis.get_torchlib_ops = cached
    try:
        yield
    finally:
        apis.get_torchlib_ops = original


def preload() -> None:
    """Read the exporter's function tables now (about 3 s), e.g. in a worker thread when an
    export dialog opens, so that the first ``export_onnx`` does not pay for it."""
    with _torchlib_cache():
        from torch.onnx._internal.exporter import _registration

        _registration.onnxscript_apis.get_torchlib_ops()


def _dynamo(model: nn.Module, x: torch.Tensor, path: Path, opset: int | None) -> None:
    batch = torch.export.Dim("batch", min=1, max=1 << 16)
    kwargs = {"opset_version": opset} if opset is not None else {}
    with contextlib.redirect_stdout(io.StringIO()), _torchlib_cache():
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
                verify: bool = True, allow_legacy: bool = True,
                metadata: dict[str, str] | None = None) -> ExportReport:
    """Write ``model`` (made by ``build_model``) to ``path`` as ONNX and verify it.

    ``metadata`` goes into the file's ``metadata_props`` (see onnx_metadata.py) before the
    checker and onnxruntime see it.

    Raises ``ExportError`` for an opset outside ``supported_opsets()`` or when no exporter
    can write it, and ``ExportVerificationError`` when
    the file fails the checker or onnxruntime disagrees with PyTorch.
    """
    check_opset(opset)
    start = time.perf_counter()
    model = on_cpu(model)
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
        except OSError:  # a full disk or a missing folder: the fallback would fail the same way
            raise
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
        if metadata:
            add_metadata(path, metadata)
            report.checks.append(f"metadata: {', '.join(sorted(metadata))}")
        report.opset = written_opset(path)
        report.file_size = file_size(path)
        report.timings["export"] = time.perf_counter() - start
        if verify:
            verify_onnx(model, path, report)
            report.timings["verify"] = time.perf_counter() - start - report.timings["export"]
    finally:
        model.train(was_training)
    report.seconds = time.perf_counter() - start
    return report


#: onnxruntime's PadFusion merges a zero Pad into the next pool even when the pool's pads then
#: reach its kernel size, which its pool kernels refuse (onnxruntime 1.30/1.31)
PAD_FUSION_BUG = "Pad should be smaller than kernel"


def session_options(threads: int = 0) -> ort.SessionOptions:
    """onnxruntime options for the checks and for predicting: quiet, with ``threads``
    intra-op threads (0: onnxruntime's choice) that sleep when idle instead of spinning
    (spinning threads take cores from a running training and from the GUI, and on a loaded
    machine slow everything down)."""
    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return options


def _session(path: Path, report: ExportReport) -> ort.InferenceSession:
    """A CPU session with default optimisations, or without them when (only) onnxruntime's
    PadFusion bug stops the default one; the report says so."""
    options = session_options()
    providers = ["CPUExecutionProvider"]
    try:
        return ort.InferenceSession(str(path), options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own exception types
        if PAD_FUSION_BUG not in str(exc):
            raise ExportVerificationError(f"onnxruntime cannot load {path}: {exc}",
                                          report) from exc
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    report.notes.append(
        "onnxruntime's graph optimisation (PadFusion) fails on a zero padding followed by a "
        "pool in this network (an onnxruntime bug): verified with graph_optimization_level="
        "ORT_DISABLE_ALL, and onnxruntime sessions need that setting for this file")
    return ort.InferenceSession(str(path), options, providers=providers)


def verify_onnx(model: nn.Module, path: Path, report: ExportReport) -> None:
    """The full ONNX checker, then onnxruntime (CPU) against PyTorch."""
    onnx.checker.check_model(str(path), full_check=True)
    report.checks.append("onnx.checker.check_model(full_check=True) passed")
    session = _session(path, report)
    name = session.get_inputs()[0].name

    def run(x: torch.Tensor):  # type: ignore[no-untyped-def]
        return session.run(None, {name: x.numpy()})[0]

    compare(report, model, run, "onnxruntime (CPUExecutionProvider)")
