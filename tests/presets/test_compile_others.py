"""The presets without a torchvision counterpart compile and run; the compiled parameter
count equals the core's (and so the reference's, see test_presets_core)."""

from __future__ import annotations

import pytest
import torch

from cnnstudio.compiler import build_model
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.presets import PRESETS, build_preset
from cnnstudio.core.shapes import analyse

OTHERS = ["lenet5", "nin", "mobilenet_v1", "xception", "inception_resnet_v2", "nasnet_mobile"]
SMALL = {"xception": (3, 96, 96), "inception_resnet_v2": (3, 96, 96), "nasnet_mobile": (3, 64, 64),
         "nin": (3, 96, 96), "mobilenet_v1": (3, 64, 64)}


def _compiler_honours_bn_scale() -> bool:
    b = GraphBuilder()
    x = b.input(2, 4, 4)
    b.add("BatchNorm", x, scale=False)
    return sum(p.numel() for p in build_model(b.graph).parameters()) == 2


@pytest.mark.parametrize("preset_id", OTHERS)
def test_compiles_runs_and_counts_like_the_core(preset_id: str) -> None:
    if preset_id == "inception_resnet_v2" and not _compiler_honours_bn_scale():
        pytest.xfail("the compiler does not yet honour BatchNorm scale=False")
    shape = SMALL.get(preset_id, PRESETS[preset_id].input_shape)
    graph = build_preset(preset_id, shape, 10, layout=False)
    model = build_model(graph, for_training=True).eval()
    assert sum(p.numel() for p in model.parameters()) == analyse(graph).total("params")
    with torch.no_grad():
        out = model(torch.randn(2, *shape))
    assert out.shape == (2, 10)
    assert torch.isfinite(out).all()
