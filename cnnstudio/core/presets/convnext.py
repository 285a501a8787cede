"""ConvNeXt-Tiny, as torchvision defines it (``convnext_tiny``).

A 4x4 stride-4 "patchify" stem, four stages of ConvNeXt blocks (``blocks.convnext_block``)
with LayerNorm + 2x2 stride-2 convolutions between them, and a LayerNorm head. torchvision
writes the block's pointwise layers as ``nn.Linear`` on channels-last tensors; here they are
1x1 convolutions (the same function), and ``cnnstudio.presets_torch.mapping`` reshapes their
weights. Stochastic depth is the identity at inference and is left out of the graph.
"""

from __future__ import annotations

from cnnstudio.core.blocks import convnext_block
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.presets import Preset, register_preset

#: (width, blocks) per stage
TINY = ((96, 3), (192, 3), (384, 9), (768, 3))


def convnext(stages: tuple[tuple[int, int], ...], input_shape: Shape, num_classes: int) -> Graph:
    """ConvNeXt: stem, stages of blocks with downsampling between, pooled LayerNorm head."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("stem"):
        x = b.add("Conv2d", x, name="stem_conv", filters=stages[0][0], kernel=4, stride=4)
        x = b.add("LayerNorm", x, name="stem_norm", eps=1e-6)
    for s, (width, n) in enumerate(stages, 1):
        if s > 1:
            with b.group(f"downsample{s - 1}"):
                x = b.add("LayerNorm", x, name=f"downsample{s - 1}_norm", eps=1e-6)
                x = b.add("Conv2d", x, name=f"downsample{s - 1}_conv", filters=width, kernel=2,
                          stride=2)
        for j in range(n):
            with b.group(f"stage{s}.{j}"):
                x = convnext_block(b, x, f"stage{s}_{j}", width)
    with b.group("head"):
        x = b.add("GlobalAvgPool", x, name="avgpool", keepdims=True)
        x = b.add("LayerNorm", x, name="head_norm", eps=1e-6)
        x = b.add("Flatten", x, name="flatten")
        b.add("Dense", x, name="classifier", units=num_classes, activation="softmax")
    return b.graph


def convnext_tiny(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
    """ConvNeXt-T: widths 96-192-384-768, blocks 3-3-9-3."""
    return convnext(TINY, input_shape, num_classes)


register_preset(Preset(
    "convnext_tiny", "ConvNeXt-T", "A ResNet modernised like a vision Transformer: patchify "
    "stem, 7x7 depthwise convolutions, LayerNorm, GELU, inverted bottlenecks",
    "Liu, Mao, Wu, Feichtenhofer, Darrell, Xie: A ConvNet for the 2020s (CVPR 2022)",
    convnext_tiny,
))
