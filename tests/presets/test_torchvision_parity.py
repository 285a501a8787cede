"""Presets against torchvision: the same parameters, state dict and outputs.

The key mapping is checked for every torchvision preset on the meta device (no memory, no
init time). Output equality runs one preset per family in CI and all of them with
--runslow: torchvision's random-init weights (with randomised BatchNorm statistics) are
loaded through ``cnnstudio.presets_torch.mapping`` and both models run on the same input
in eval mode.
"""

from __future__ import annotations

import pytest
import torch

from cnnstudio.compiler import attribute_names, build_model
from cnnstudio.core.presets import PRESETS, build_preset
from cnnstudio.core.shapes import analyse
from cnnstudio.presets_torch.mapping import TORCHVISION_PRESETS, convert_state_dict, key_map
from tests.presets import refs
from tests.presets.torch_helpers import randomise_, torchvision_model

#: one preset per family runs in CI; the rest with --runslow
FAMILY = ("alexnet", "vgg11_bn", "resnet18", "densenet121", "googlenet", "inception_v3",
          "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "convnext_tiny")
ALL = [pytest.param(p, marks=() if p in FAMILY else pytest.mark.slow)
       for p in TORCHVISION_PRESETS]


def test_reference_table_covers_the_mapping() -> None:
    assert set(TORCHVISION_PRESETS) == set(refs.TORCHVISION)


@pytest.mark.parametrize("preset_id", TORCHVISION_PRESETS)
def test_mapping_is_complete_and_counts_agree(preset_id: str) -> None:
    with torch.device("meta"):
        ref = torchvision_model(preset_id)
        graph = build_preset(preset_id, layout=False)
        ours = build_model(graph)
    count = sum(p.numel() for p in ref.parameters())
    assert count == refs.TORCHVISION[preset_id]
    assert sum(p.numel() for p in ours.parameters()) == count
    assert analyse(graph).total("params") == count
    mapping = key_map(preset_id, ref.state_dict())
    assert len(set(mapping.values())) == len(mapping)  # one-to-one
    converted = convert_state_dict(preset_id, ref.state_dict(), ours.state_dict(),
                                   attribute_names(graph))
    assert set(converted) == set(ours.state_dict())
    for key, value in converted.items():
        assert value.shape == ours.state_dict()[key].shape, key


@pytest.mark.parametrize("preset_id", ALL)
def test_same_outputs_as_torchvision(preset_id: str) -> None:
    torch.manual_seed(0)
    ref = randomise_(torchvision_model(preset_id))
    graph = build_preset(preset_id, layout=False)
    ours = build_model(graph, for_training=True).eval()  # logits, as torchvision returns
    state = convert_state_dict(preset_id, ref.state_dict(), ours.state_dict(),
                               attribute_names(graph))
    ours.load_state_dict(state, strict=True)
    x = torch.randn(1, *PRESETS[preset_id].input_shape)
    with torch.no_grad():
        expected, got = ref(x), ours(x)
    assert got.shape == expected.shape == (1, 1000)
    scale = expected.abs().max().item()
    assert scale > 1e-3  # the comparison is not between two near-zero tensors
    torch.testing.assert_close(got, expected, atol=1e-4 * max(1.0, scale), rtol=1e-4)
