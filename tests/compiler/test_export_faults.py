"""Faults an export or a compile must refuse clearly: non-finite weights or outputs, an opset
the installed exporter cannot write, weights larger than the machine's memory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import onnx
import pytest
import torch
from torch import nn

from cnnstudio.compiler import build_model
from cnnstudio.compiler.errors import CompileError, ExportError, ExportVerificationError
from cnnstudio.compiler.export_onnx import export_onnx, supported_opsets
from cnnstudio.compiler.export_python import export_python
from cnnstudio.compiler.export_torchscript import export_torchscript
from cnnstudio.compiler.memory import physical_memory, weights_issue
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.shapes import analyse


def small_graph() -> Graph:
    b = GraphBuilder()
    x = b.input(1, 6, 6)
    x = b.add("Conv2d", x, name="conv1", filters=2, kernel=3, activation="relu")
    x = b.add("Flatten", x, name="flatten")
    b.add("Dense", x, name="fc", units=3)
    return b.graph


EXPORTS: dict[str, Callable[[nn.Module, Path], object]] = {
    "onnx": lambda m, d: export_onnx(m, d / "m.onnx"),
    "torchscript": lambda m, d: export_torchscript(m, d / "m.pt"),
    "python": lambda m, d: export_python(m, d / "py"),
}


@pytest.mark.parametrize("fmt", list(EXPORTS))
def test_nan_weights_fail_verification_naming_the_node(fmt: str, tmp_path: Path) -> None:
    model = build_model(small_graph())
    with torch.no_grad():
        model.get_submodule("conv1").weight[0, 0, 0, 0] = float("nan")
    with pytest.raises(ExportVerificationError, match=r"NaN or Inf.*'conv1' \(weight\)"):
        EXPORTS[fmt](model, tmp_path)


@pytest.mark.parametrize("fmt", list(EXPORTS))
def test_non_finite_outputs_fail_verification(fmt: str, tmp_path: Path) -> None:
    """Finite weights whose outputs overflow to Inf (and NaN after the Dense)."""
    model = build_model(small_graph())
    with torch.no_grad():
        model.get_submodule("conv1").weight.fill_(3e38)
    with pytest.raises(ExportVerificationError, match="the PyTorch model gives (NaN|Inf)"):
        EXPORTS[fmt](model, tmp_path)


def test_nan_in_a_buffer_names_its_node(tmp_path: Path) -> None:
    b = GraphBuilder()
    x = b.input(2, 4, 4)
    b.add("BatchNorm", x, name="bn")
    model = build_model(b.graph)
    model.get_buffer("bn.running_var").fill_(float("inf"))
    with pytest.raises(ExportVerificationError, match=r"'bn' \(running_var\)"):
        export_torchscript(model, tmp_path / "m.pt")


@pytest.mark.parametrize("opset", [999, 0, -1, 7, 17, supported_opsets()[1] + 1])
def test_an_unsupported_opset_is_refused_before_exporting(opset: int, tmp_path: Path) -> None:
    low, high = supported_opsets()
    with pytest.raises(ExportError, match=f"opset {opset} is not supported.*{low} to {high}"):
        export_onnx(build_model(small_graph()), tmp_path / "m.onnx", opset=opset)
    assert not (tmp_path / "m.onnx").exists()


def test_supported_opsets_span_what_the_exporter_writes(tmp_path: Path) -> None:
    low, high = supported_opsets()
    assert low == 18 and low <= high <= onnx.defs.onnx_opset_version()
    report = export_onnx(build_model(small_graph()), tmp_path / "m.onnx", opset=high,
                         allow_legacy=False)
    assert report.opset == high and report.exporter == "dynamo"


def huge_graph() -> Graph:
    """A 65,536-filter 3x3 convolution on 65,536 channels: 38.7 G parameters."""
    b = GraphBuilder()
    x = b.input(3, 8, 8)
    x = b.add("Conv2d", x, name="wide", filters=65536, kernel=1)
    x = b.add("Conv2d", x, name="conv1", filters=65536, kernel=3)
    x = b.add("GlobalAvgPool", x, name="gap")
    b.add("Dense", x, name="fc", units=10)
    return b.graph


def test_weights_larger_than_memory_are_refused_before_allocation() -> None:
    with pytest.raises(CompileError) as info:
        build_model(huge_graph())
    message = str(info.value)
    assert "conv1 needs 38.7 G parameters (155 GB as float32)" in message
    assert f"this machine has {physical_memory() / 1e9:.3g} GB of memory" in message
    assert info.value.node_names == ["conv1"]


def test_the_weight_bound_is_a_function_of_the_graph() -> None:
    graph = small_graph()
    analysis = analyse(graph)  # conv1: 20 parameters, fc: 99 -> 119 float32 = 476 bytes
    assert weights_issue(graph, analysis, 952) is None
    issue = weights_issue(graph, analysis, 951)
    assert issue is not None and issue.node_id == graph.by_name("fc").id
    assert "the network needs 119 (4.76e-07 GB)" in issue.message
