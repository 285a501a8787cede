"""Which preset a project was made from, and which presets have torchvision counterparts.

Torch-free, so the app can tell whether to offer the torch hub cache without loading torch.
A project made from a preset records it in ``metadata["preset"]`` (``cnnstudio train PRESET``
and the app's Presets menu write it); older files are recognised by a name that is a preset's
id or title.
"""

from __future__ import annotations

from typing import Any

from cnnstudio.core.presets.classic import VGG_DEPTHS

#: the preset ids with a torchvision counterpart of the same name (pretrained weights map)
TORCHVISION_PRESETS = (
    "alexnet", *[f"vgg{d}{s}" for d in VGG_DEPTHS for s in ("", "_bn")], "googlenet",
    "inception_v3", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "densenet121", "densenet169", "densenet201", "mobilenet_v2", "mobilenet_v3_small",
    "mobilenet_v3_large", "efficientnet_b0", "convnext_tiny",
)

#: the metadata key naming the preset a project was made from
PRESET_KEY = "preset"


def preset_of(name: str, metadata: dict[str, Any]) -> str | None:
    """The id of the preset a project (its ``name`` and ``metadata``) was made from, or None."""
    from cnnstudio.core.presets import PRESETS

    recorded = metadata.get(PRESET_KEY)
    if isinstance(recorded, str) and recorded in PRESETS:
        return recorded
    if name in PRESETS:
        return name
    return next((pid for pid, preset in PRESETS.items() if preset.title == name), None)
