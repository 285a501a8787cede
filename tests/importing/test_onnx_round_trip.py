"""Every preset survives export to ONNX and import: the same input and output shapes, the
same parameter count and the same outputs (max abs difference < 1e-4).

The export keeps BatchNorm layers (``onnx_helpers``); weights and BatchNorm statistics are
randomised first so that the comparison means something. CI runs one preset per family
(``CI``) at a small input; --runslow runs every preset at its own input size. A file written by
CNN Studio's own export (BatchNorm folded into the convolutions) imports too, with the same
outputs and the parameters the file holds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from cnnstudio.compiler import build_model
from cnnstudio.compiler.export_onnx import export_onnx
from cnnstudio.core.presets import PRESETS, build_preset
from cnnstudio.core.shapes import analyse
from cnnstudio.importing.importer import import_model
from tests.importing.onnx_helpers import export_keeping_batchnorm, randomise

#: CI: one preset per family, small inputs (the rest, and these at full size, --runslow)
CI = {"lenet5": (1, 32, 32), "resnet18": (3, 64, 64), "mobilenet_v3_small": (3, 64, 64),
      "convnext_tiny": (3, 64, 64), "xception": (3, 96, 96)}
ALL = [pytest.param(p, marks=() if p in CI else pytest.mark.slow) for p in PRESETS]


def _model(preset_id: str, shape: tuple[int, ...]) -> tuple[torch.nn.Module, object]:
    graph = build_preset(preset_id, input_shape=shape, num_classes=10, layout=False)
    torch.manual_seed(0)
    return randomise(build_model(graph)), graph


@pytest.mark.parametrize("preset_id", ALL)
def test_preset_round_trip(preset_id: str, tmp_path: Path,
                           request: pytest.FixtureRequest) -> None:
    slow = request.config.getoption("--runslow")
    shape = PRESETS[preset_id].input_shape if slow else CI[preset_id]
    model, graph = _model(preset_id, shape)
    path = export_keeping_batchnorm(model, tmp_path / f"{preset_id}.onnx")
    result = import_model(str(path))
    ours, theirs = analyse(graph), analyse(result.imported.graph)  # type: ignore[arg-type]
    assert theirs.input_shape == ours.input_shape == tuple(shape)
    assert theirs.output_shape == ours.output_shape == (10,)
    assert theirs.total("params") == ours.total("params")
    x = torch.randn(3, *shape)
    with torch.no_grad():
        diff = (result.model(x) - model(x)).abs().max().item()
    assert diff < 1e-4
    assert result.max_abs_diff < 1e-4  # the import's own check, against onnxruntime


def test_cnn_studio_export_with_folded_batchnorm(tmp_path: Path) -> None:
    model, graph = _model("resnet18", (3, 48, 48))
    path = tmp_path / "resnet18.onnx"
    export_onnx(model, path)
    proto = onnx.load(str(path))
    assert "BatchNormalization" not in {n.op_type for n in proto.graph.node}  # folded
    held = sum(int(np.prod(t.dims)) for t in proto.graph.initializer
               if t.data_type == onnx.TensorProto.FLOAT)
    result = import_model(str(path))
    assert result.params == held
    assert result.imported.graph.by_name("layer1_0_conv1").kind == "Conv2d"  # named after
    x = torch.randn(2, 3, 48, 48)
    with torch.no_grad():
        torch.testing.assert_close(result.model(x), model(x), atol=1e-4, rtol=1e-4)
