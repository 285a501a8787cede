"""Shared torch-side helpers for the preset tests: torchvision references with
randomised statistics, so that output comparisons mean something."""

from __future__ import annotations

import torch
import torchvision.models as tvm
from torch import nn

#: constructor arguments that make torchvision's model match the preset
TV_KWARGS = {
    "googlenet": {"aux_logits": False, "init_weights": False, "transform_input": False},
    "inception_v3": {"aux_logits": False, "init_weights": False, "transform_input": False},
}


def torchvision_model(preset_id: str, num_classes: int = 1000) -> nn.Module:
    return getattr(tvm, preset_id)(weights=None, num_classes=num_classes,
                                   **TV_KWARGS.get(preset_id, {}))


@torch.no_grad()
def randomise_(model: nn.Module, seed: int = 0) -> nn.Module:
    """Non-trivial BatchNorm statistics, biases and layer scales (torchvision initialises
    them to 0 / 1 / 1e-6, which would hide mistakes in the mapping)."""
    gen = torch.Generator().manual_seed(seed)

    def fill(t: torch.Tensor, low: float, high: float) -> None:
        t.copy_(torch.rand(t.shape, generator=gen) * (high - low) + low)

    for mod in model.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            fill(mod.weight, 0.5, 1.5)
            fill(mod.bias, -0.1, 0.1)
            fill(mod.running_mean, -0.1, 0.1)
            fill(mod.running_var, 0.5, 1.5)
        elif isinstance(mod, nn.Linear | nn.Conv2d | nn.LayerNorm) and mod.bias is not None:
            fill(mod.bias, -0.1, 0.1)
    for name, p in model.named_parameters():
        if name.endswith("layer_scale"):
            fill(p, 0.5, 1.5)
    return model.eval()
