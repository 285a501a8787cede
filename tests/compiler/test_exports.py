"""Verified exports: ONNX parity for every example project and registered preset, TorchScript,
safetensors, and the generated Python (model.py + train.py), and failed verification."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from safetensors import safe_open

from cnnstudio.compiler import ExportVerificationError, build_model
from cnnstudio.compiler.export_onnx import export_onnx, verify_onnx
from cnnstudio.compiler.export_safetensors import export_safetensors
from cnnstudio.compiler.export_torchscript import export_torchscript
from cnnstudio.compiler.verify import ExportReport
from cnnstudio.core import project_io
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.presets import PRESETS, build_preset
from cnnstudio.core.project_io import Project
from cnnstudio.core.shapes import analyse
from tests.compiler.sample_graphs import clashing_names, kitchen_sink

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "resources" / "examples").glob("*.cnnproj"))

#: presets exported in CI (the rest run with --runslow): small ones, and ResNet-18
CI_PARAMS = 2_000_000
CI_ALSO = {"resnet18"}
TOO_SLOW = {}  # preset id -> reason, for presets not exported even with --runslow


def small_shape(preset_id: str) -> tuple[int, int, int]:
    """The smallest input (of a few) at which the preset is valid."""
    c = PRESETS[preset_id].input_shape[0]
    for side in (32, 64, 96, 128, 160, 224, 299):
        if analyse(build_preset(preset_id, (c, side, side), 10, layout=False)).ok:
            return (c, side, side)
    return PRESETS[preset_id].input_shape


def preset_cases() -> list[object]:
    cases = []
    for pid in sorted(PRESETS):
        shape = small_shape(pid)
        params = analyse(build_preset(pid, shape, 10, layout=False)).total("params")
        marks = []
        if pid in TOO_SLOW:
            marks.append(pytest.mark.skip(reason=TOO_SLOW[pid]))
        elif params > CI_PARAMS and pid not in CI_ALSO:
            marks.append(pytest.mark.slow)
        cases.append(pytest.param(pid, shape, marks=marks, id=pid))
    return cases


def check_onnx(model: torch.nn.Module, path: Path) -> ExportReport:
    report = export_onnx(model, path)
    assert report.exporter == "dynamo", report.fallback_reason
    assert report.opset and report.opset >= 17
    assert set(report.max_abs_diff) == {1, 3}
    assert report.file_size == path.stat().st_size
    assert not path.with_name(path.name + ".data").exists()
    return report


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_onnx_parity_examples(path: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    check_onnx(build_model(project_io.load(path).graph), tmp_path / "model.onnx")


def randomise_statistics(model: torch.nn.Module) -> torch.nn.Module:
    """Give BatchNorm layers trained-looking statistics, so outputs are not near-constant."""
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if name.endswith("running_mean"):
                value.normal_(0, 0.1)
            elif name.endswith("running_var"):
                value.uniform_(0.5, 1.5)
    return model


@pytest.mark.parametrize(("preset_id", "shape"), preset_cases())
def test_onnx_parity_presets(preset_id: str, shape: tuple[int, int, int],
                             tmp_path: Path) -> None:
    torch.manual_seed(0)
    graph = build_preset(preset_id, shape, 10, layout=False)
    # the logits (no final Softmax) make the comparison sharper; the Softmax itself is
    # covered by the example projects
    model = randomise_statistics(build_model(graph, for_training=True))
    check_onnx(model, tmp_path / "model.onnx")


@pytest.mark.parametrize("size", [(15, 13), (11, 12)])
def test_onnx_every_kind_at_odd_sizes(size: tuple[int, int], tmp_path: Path) -> None:
    report = check_onnx(build_model(kitchen_sink(*size)), tmp_path / "model.onnx")
    assert not report.notes


def test_onnx_dynamic_batch_after_zero_pad_and_ceil_pool(tmp_path: Path) -> None:
    """A zero pad before a ceil-mode pool exports and agrees at a new batch size, whether or
    not this onnxruntime has its PadFusion bug (1.30/1.31; the export then notes the
    workaround, and only then does a session need optimisations off)."""
    b = GraphBuilder()
    x = b.input(2, 5, 5)
    x = b.add("ZeroPad2d", x, padding=2)
    b.add("AvgPool2d", x, kernel=2, stride=2, ceil_mode=True)
    model = build_model(b.graph)
    report = export_onnx(model, tmp_path / "m.onnx")
    options = ort.SessionOptions()
    if any("PadFusion" in n for n in report.notes):
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), options,
                                   providers=["CPUExecutionProvider"])
    x7 = torch.randn(7, 2, 5, 5)
    got = session.run(None, {"x": x7.numpy()})[0]
    np.testing.assert_allclose(got, model(x7).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_failed_onnx_verification_raises(tmp_path: Path) -> None:
    graph = kitchen_sink()
    model = build_model(graph)
    export_onnx(model, tmp_path / "m.onnx")
    other = build_model(graph)  # fresh weights: the file no longer matches
    with pytest.raises(ExportVerificationError, match="differs from PyTorch") as info:
        verify_onnx(other.eval(), tmp_path / "m.onnx", ExportReport("onnx", "m.onnx"))
    assert info.value.report.max_abs_diff


@pytest.mark.parametrize("graph", [kitchen_sink, clashing_names])
def test_torchscript(graph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = export_torchscript(build_model(graph()), tmp_path / "model.pt")
    assert report.exporter == "torch.jit.script", report.fallback_reason
    assert report.max_abs_diff[3] <= 1e-5


def test_clashing_names_export_to_onnx(tmp_path: Path) -> None:
    check_onnx(build_model(clashing_names()), tmp_path / "model.onnx")


def test_safetensors_with_project_beside(tmp_path: Path) -> None:
    project = Project(kitchen_sink(), "sink")
    model = build_model(project.graph)
    report = export_safetensors(model, project, tmp_path / "out")
    weights = tmp_path / "out" / "model.safetensors"
    assert report.path == str(weights)
    assert (tmp_path / "out" / "model.cnnproj").is_file()
    with safe_open(str(weights), framework="pt") as f:
        assert set(f.keys()) == set(model.state_dict())
        meta = f.metadata()
    assert json.loads(meta["input_shape"]) == [3, 15, 13]
    assert weights.read_bytes()[8:9] == b"{"  # a safetensors header, not a pickle
    assert report.max_abs_diff == {1: 0.0, 3: 0.0}


def test_legacy_exporter_is_a_reported_fallback(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from cnnstudio.compiler import export_onnx as module

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("dynamo cannot trace this\nsecond line")

    monkeypatch.setattr(module, "_dynamo", broken)
    graph = project_io.load(EXAMPLES[0]).graph
    report = export_onnx(build_model(graph), tmp_path / "m.onnx")
    assert report.exporter.startswith("legacy")
    assert report.fallback_reason == "dynamo exporter failed (RuntimeError: dynamo cannot " \
        "trace this)"
    assert report.opset == module.LEGACY_OPSET and report.max_abs_diff
    monkeypatch.setattr(module, "_dynamo", broken)
    with pytest.raises(module.ExportError, match="dynamo ONNX exporter failed"):
        export_onnx(build_model(graph), tmp_path / "n.onnx", allow_legacy=False)


def test_preload_reads_the_exporter_tables_once() -> None:
    from cnnstudio.compiler import export_onnx as module

    module.preload()
    assert module._TORCHLIB_OPS
    count = len(module._TORCHLIB_OPS)
    module.preload()
    assert len(module._TORCHLIB_OPS) == count


def test_export_dispatch_refuses_unknown_formats(tmp_path: Path) -> None:
    from cnnstudio.compiler.exporting import FORMATS, export

    model = build_model(kitchen_sink())
    assert set(FORMATS) == {"onnx", "torchscript", "safetensors", "python"}
    with pytest.raises(ValueError, match="unknown export format"):
        export(model, "tflite", tmp_path / "m")
    with pytest.raises(ValueError, match="pass project"):
        export(model, "safetensors", tmp_path / "m")
    report = export(model, "torchscript", tmp_path / "m.pt")
    assert report.format == "torchscript"
