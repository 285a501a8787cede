"""Inception-ResNet-v2, as ``keras.applications.InceptionResNetV2`` defines it (55,873,736
parameters in Keras' count, BatchNorm moving statistics included).

Every convolution is Keras' ``conv2d_bn``: conv ('same' unless stated, no bias) ->
BatchNorm without a learned scale (``scale=False``, eps 1e-3) -> ReLU. Each residual block
joins its branches, projects them back with a biased 1x1 convolution ("up") and adds the
result to its input. Keras multiplies "up" by a constant (0.17, 0.1, 0.2) before the sum;
a linear 1x1 convolution absorbs a constant factor, so here the factor lives in the "up"
convolution's weights (to import Keras weights, multiply that kernel and bias by it).
"""

from __future__ import annotations

from cnnstudio.core.blocks import concat_branches, join
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.presets import Preset, register_preset

Pair = int | tuple[int, int]


def conv2d_bn(b: GraphBuilder, x: str, name: str, filters: int, kernel: Pair,
              stride: int = 1, padding: str = "same") -> str:
    """Keras' conv2d_bn: conv (no bias) -> BatchNorm(scale=False) -> ReLU."""
    x = b.add("Conv2d", x, name=name, filters=filters, kernel=kernel, stride=stride,
              padding=padding, bias=False)
    x = b.add("BatchNorm", x, name=join(name, "bn"), eps=1e-3, momentum=0.01, scale=False)
    return b.add("ReLU", x, name=join(name, "ac"))


#: residual block kinds: branches as lists of (filters, kernel)
BLOCKS: dict[str, list[list[tuple[int, Pair]]]] = {
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, (1, 7)), (192, (7, 1))]],
    "block8": [[(192, 1)], [(192, 1), (224, (1, 3)), (256, (3, 1))]],
}


def inception_resnet_block(b: GraphBuilder, x: str, name: str, kind: str, channels: int,
                           activation: bool = True) -> str:
    """Parallel conv branches -> concat -> biased 1x1 "up" conv -> add the input (-> ReLU)."""
    ends = []
    for i, branch in enumerate(BLOCKS[kind]):
        y = x
        for j, (filters, kernel) in enumerate(branch):
            y = conv2d_bn(b, y, f"{name}_branch{i}_{j}", filters, kernel)
        ends.append(y)
    mixed = b.add("Concat", *ends, name=f"{name}_mixed")
    up = b.add("Conv2d", mixed, name=f"{name}_conv", filters=channels, kernel=1)
    x = b.add("Add", x, up, name=f"{name}_add")
    return b.add("ReLU", x, name=f"{name}_ac") if activation else x


def _branches(b: GraphBuilder, x: str, name: str,
              branches: list[list[tuple[int, int, int, str]]]) -> list[str]:
    """Conv branches given as (filters, kernel, stride, padding) steps."""
    ends = []
    for i, branch in enumerate(branches):
        y = x
        for j, (filters, kernel, stride, padding) in enumerate(branch):
            y = conv2d_bn(b, y, f"{name}_branch{i}_{j}", filters, kernel, stride, padding)
        ends.append(y)
    return ends


def inception_resnet_v2(input_shape: Shape = (3, 299, 299), num_classes: int = 1000) -> Graph:
    """Stem, mixed_5b, 10 x block35, mixed_6a, 20 x block17, mixed_7a, 10 x block8, conv_7b."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("stem"):
        x = conv2d_bn(b, x, "stem_conv1", 32, 3, 2, "valid")
        x = conv2d_bn(b, x, "stem_conv2", 32, 3, 1, "valid")
        x = conv2d_bn(b, x, "stem_conv3", 64, 3)
        x = b.add("MaxPool2d", x, name="stem_pool1", kernel=3, stride=2)
        x = conv2d_bn(b, x, "stem_conv4", 80, 1, 1, "valid")
        x = conv2d_bn(b, x, "stem_conv5", 192, 3, 1, "valid")
        x = b.add("MaxPool2d", x, name="stem_pool2", kernel=3, stride=2)
    with b.group("mixed_5b"):
        ends = _branches(b, x, "mixed_5b", [
            [(96, 1, 1, "same")], [(48, 1, 1, "same"), (64, 5, 1, "same")],
            [(64, 1, 1, "same"), (96, 3, 1, "same"), (96, 3, 1, "same")]])
        pool = b.add("AvgPool2d", x, name="mixed_5b_pool", kernel=3, stride=1, padding="same")
        x = concat_branches(b, "mixed_5b", [*ends, conv2d_bn(b, pool, "mixed_5b_branch3", 64, 1)])
    for i in range(1, 11):
        with b.group(f"block35_{i}"):
            x = inception_resnet_block(b, x, f"block35_{i}", "block35", 320)
    with b.group("mixed_6a"):
        ends = _branches(b, x, "mixed_6a", [
            [(384, 3, 2, "valid")],
            [(256, 1, 1, "same"), (256, 3, 1, "same"), (384, 3, 2, "valid")]])
        pool = b.add("MaxPool2d", x, name="mixed_6a_pool", kernel=3, stride=2)
        x = concat_branches(b, "mixed_6a", [*ends, pool])
    for i in range(1, 21):
        with b.group(f"block17_{i}"):
            x = inception_resnet_block(b, x, f"block17_{i}", "block17", 1088)
    with b.group("mixed_7a"):
        ends = _branches(b, x, "mixed_7a", [
            [(256, 1, 1, "same"), (384, 3, 2, "valid")],
            [(256, 1, 1, "same"), (288, 3, 2, "valid")],
            [(256, 1, 1, "same"), (288, 3, 1, "same"), (320, 3, 2, "valid")]])
        pool = b.add("MaxPool2d", x, name="mixed_7a_pool", kernel=3, stride=2)
        x = concat_branches(b, "mixed_7a", [*ends, pool])
    for i in range(1, 11):
        with b.group(f"block8_{i}"):
            x = inception_resnet_block(b, x, f"block8_{i}", "block8", 2080, activation=i < 10)
    with b.group("head"):
        x = conv2d_bn(b, x, "conv_7b", 1536, 1)
        x = b.add("GlobalAvgPool", x, name="avg_pool")
        b.add("Dense", x, name="predictions", units=num_classes, activation="softmax")
    return b.graph


register_preset(Preset(
    "inception_resnet_v2", "Inception-ResNet-v2", "Inception modules with residual "
    "connections: 10 + 20 + 10 residual blocks between reduction modules (Keras applications)",
    "Szegedy, Ioffe, Vanhoucke, Alemi: Inception-v4, Inception-ResNet and the impact of "
    "residual connections on learning (AAAI 2017)", inception_resnet_v2, (3, 299, 299),
))
