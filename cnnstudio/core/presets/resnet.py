"""Residual networks (ResNet-18 to 152), as torchvision defines them (v1.5: the stride of a
bottleneck sits on its 3x3 convolution).

Node names follow torchvision's module paths with ``.`` replaced by ``_``
(``layer1.0.conv1`` -> ``layer1_0_conv1``; ``downsample.0/1`` -> ``downsample_conv/bn``).
"""

from __future__ import annotations

from cnnstudio.core.blocks import basic_block, bottleneck_block, conv_bn
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.presets import Preset, register_preset

#: blocks per stage and whether the block is a bottleneck (table 1 of the paper)
RESNETS = {
    18: ((2, 2, 2, 2), False),
    34: ((3, 4, 6, 3), False),
    50: ((3, 4, 6, 3), True),
    101: ((3, 4, 23, 3), True),
    152: ((3, 8, 36, 3), True),
}
PAPER = "He, Zhang, Ren, Sun: Deep residual learning for image recognition (CVPR 2016)"
OPTIONS = {"cifar_stem": "3x3 stride-1 stem without max pooling, for small (e.g. 32x32) images"}


def resnet(depth: int, input_shape: Shape = (3, 224, 224), num_classes: int = 1000,
           cifar_stem: bool = False) -> Graph:
    """ResNet-``depth``: a stem, four stages of residual blocks, global pooling, one dense."""
    blocks, bottleneck = RESNETS[depth]
    expansion = 4 if bottleneck else 1
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("stem"):
        if cifar_stem:
            x = conv_bn(b, x, "", 64, 3, 1, 1, names=("conv1", "bn1", "relu"))
        else:
            x = conv_bn(b, x, "", 64, 7, 2, 3, names=("conv1", "bn1", "relu"))
            x = b.add("MaxPool2d", x, name="maxpool", kernel=3, stride=2, padding=1)
    channels = 64
    for stage, n in enumerate(blocks, 1):
        width = 64 * 2 ** (stage - 1)
        for i in range(n):
            stride = 2 if stage > 1 and i == 0 else 1
            prefix = f"layer{stage}_{i}"
            with b.group(f"layer{stage}.{i}"):
                if bottleneck:
                    x = bottleneck_block(b, x, prefix, channels, width, stride)
                else:
                    x = basic_block(b, x, prefix, channels, width, stride)
            channels = width * expansion
    with b.group("head"):
        x = b.add("GlobalAvgPool", x, name="avgpool")
        b.add("Dense", x, name="fc", units=num_classes, activation="softmax")
    return b.graph


def _builder(depth: int):  # type: ignore[no-untyped-def]
    def build(input_shape: Shape = (3, 224, 224), num_classes: int = 1000,
              cifar_stem: bool = False) -> Graph:
        return resnet(depth, input_shape, num_classes, cifar_stem)

    build.__doc__ = f"ResNet-{depth} (torchvision ``resnet{depth}``)."
    return build


for _depth, (_blocks, _bottle) in RESNETS.items():
    register_preset(Preset(
        f"resnet{_depth}", f"ResNet-{_depth}",
        f"{sum(_blocks)} {'bottleneck' if _bottle else 'basic'} residual blocks in four stages",
        PAPER, _builder(_depth), options=dict(OPTIONS),
    ))
