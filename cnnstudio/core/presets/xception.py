"""Xception, as ``keras.applications.Xception`` defines it (22,910,480 parameters in Keras'
count, BatchNorm moving statistics included).

An entry flow of strided residual blocks, a middle flow of eight residual blocks of three
separable convolutions each, and an exit flow. Separable convolutions and the 1x1 shortcut
projections use 'same' padding and no bias; BatchNorm uses Keras' defaults (eps 1e-3,
momentum 0.99, i.e. 0.01 in PyTorch's convention). Node names are Keras' layer names.
"""

from __future__ import annotations

from cnnstudio.core.blocks import conv_bn, sep_bn
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.presets import Preset, register_preset

BN = {"eps": 1e-3, "momentum": 0.01}


def entry_block(b: GraphBuilder, x: str, block: str, widths: tuple[int, int],
                first_relu: bool = True) -> str:
    """Two separable convs and a strided max pool, plus a strided 1x1 projection shortcut."""
    s = conv_bn(b, x, f"{block}_residual", widths[1], 1, 2, "same", act=None, norm=BN,
                names=("conv", "bn", ""))
    x = sep_bn(b, x, f"{block}_sepconv1", widths[0], pre_relu=first_relu)
    x = sep_bn(b, x, f"{block}_sepconv2", widths[1], pre_relu=True)
    x = b.add("MaxPool2d", x, name=f"{block}_pool", kernel=3, stride=2, padding="same")
    return b.add("Add", x, s, name=f"{block}_add")


def middle_block(b: GraphBuilder, x: str, block: str, width: int = 728) -> str:
    """Three ReLU-separable conv-BN steps plus the identity."""
    y = x
    for i in (1, 2, 3):
        y = sep_bn(b, y, f"{block}_sepconv{i}", width, pre_relu=True)
    return b.add("Add", y, x, name=f"{block}_add")


def xception(input_shape: Shape = (3, 299, 299), num_classes: int = 1000) -> Graph:
    """Xception: entry flow (blocks 1-4), middle flow (5-12), exit flow (13-14)."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("block1"):
        x = conv_bn(b, x, "block1_conv1", 32, 3, 2, "valid", norm=BN, names=("", "bn", "act"))
        x = conv_bn(b, x, "block1_conv2", 64, 3, 1, "valid", norm=BN, names=("", "bn", "act"))
    for i, widths in ((2, (128, 128)), (3, (256, 256)), (4, (728, 728))):
        with b.group(f"block{i}"):
            x = entry_block(b, x, f"block{i}", widths, first_relu=i > 2)
    for i in range(5, 13):
        with b.group(f"block{i}"):
            x = middle_block(b, x, f"block{i}")
    with b.group("block13"):
        x = entry_block(b, x, "block13", (728, 1024))
    with b.group("block14"):
        x = sep_bn(b, x, "block14_sepconv1", 1536, post_relu=True)
        x = sep_bn(b, x, "block14_sepconv2", 2048, post_relu=True)
    with b.group("head"):
        x = b.add("GlobalAvgPool", x, name="avg_pool")
        b.add("Dense", x, name="predictions", units=num_classes, activation="softmax")
    return b.graph


register_preset(Preset(
    "xception", "Xception", "Depthwise-separable convolutions with residual connections "
    "throughout (Keras applications' Xception)",
    "Chollet: Xception: deep learning with depthwise separable convolutions (CVPR 2017)",
    xception, (3, 299, 299),
))
