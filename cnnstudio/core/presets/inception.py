"""GoogLeNet (Inception v1) and Inception v3, as torchvision defines them (auxiliary
classifiers off, ``transform_input=False``).

Every convolution is torchvision's ``BasicConv2d``: conv (no bias) -> BatchNorm (eps 0.001)
-> ReLU. Node names are torchvision's module paths with ``.`` replaced by ``_``
(``Mixed_5b.branch1x1.conv`` -> ``Mixed_5b_branch1x1_conv``).
"""

from __future__ import annotations

from cnnstudio.core.blocks import concat_branches, conv_bn, inception_module, join
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.presets import Preset, register_preset

Pair = int | tuple[int, int]


def basic_conv(b: GraphBuilder, x: str, name: str, filters: int, kernel: Pair,
               stride: int = 1, padding: Pair = 0) -> str:
    """torchvision's BasicConv2d: conv -> BatchNorm(eps=0.001) -> ReLU."""
    return conv_bn(b, x, name, filters, kernel, stride, padding, norm={"eps": 1e-3})


#: GoogLeNet's modules: name -> (1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5", pool proj)
GOOGLENET = {
    "inception3a": (64, 96, 128, 16, 32, 32), "inception3b": (128, 128, 192, 32, 96, 64),
    "inception4a": (192, 96, 208, 16, 48, 64), "inception4b": (160, 112, 224, 24, 64, 64),
    "inception4c": (128, 128, 256, 24, 64, 64), "inception4d": (112, 144, 288, 32, 64, 64),
    "inception4e": (256, 160, 320, 32, 128, 128), "inception5a": (256, 160, 320, 32, 128, 128),
    "inception5b": (384, 192, 384, 48, 128, 128),
}


def googlenet(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
    """GoogLeNet: a stem, nine inception modules with max pools between, global pooling."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("stem"):
        x = basic_conv(b, x, "conv1", 64, 7, 2, 3)
        x = b.add("MaxPool2d", x, name="maxpool1", kernel=3, stride=2, ceil_mode=True)
        x = basic_conv(b, x, "conv2", 64, 1)
        x = basic_conv(b, x, "conv3", 192, 3, 1, 1)
        x = b.add("MaxPool2d", x, name="maxpool2", kernel=3, stride=2, ceil_mode=True)
    for name, widths in GOOGLENET.items():
        with b.group(name):
            x = inception_module(b, x, name, *widths)
        if name in ("inception3b", "inception4e"):
            pool = "maxpool3" if name == "inception3b" else "maxpool4"
            kernel = 3 if name == "inception3b" else 2
            with b.group(pool):
                x = b.add("MaxPool2d", x, name=pool, kernel=kernel, stride=2, ceil_mode=True)
    with b.group("head"):
        x = b.add("GlobalAvgPool", x, name="avgpool")
        x = b.add("Dropout", x, name="dropout", rate=0.2)
        b.add("Dense", x, name="fc", units=num_classes, activation="softmax")
    return b.graph


# --- Inception v3 modules (Szegedy et al. 2016, figures 5-7 and 10) -----------------------

def _avg_pool_branch(b: GraphBuilder, x: str, p: str, filters: int) -> str:
    y = b.add("AvgPool2d", x, name=join(p, "branch_pool_avg"), kernel=3, stride=1, padding=1)
    return basic_conv(b, y, join(p, "branch_pool"), filters, 1)


def inception_a(b: GraphBuilder, x: str, p: str, pool_features: int) -> str:
    """35x35 module: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avg pool-1x1."""
    b1 = basic_conv(b, x, join(p, "branch1x1"), 64, 1)
    b5 = basic_conv(b, x, join(p, "branch5x5_1"), 48, 1)
    b5 = basic_conv(b, b5, join(p, "branch5x5_2"), 64, 5, padding=2)
    b3 = basic_conv(b, x, join(p, "branch3x3dbl_1"), 64, 1)
    b3 = basic_conv(b, b3, join(p, "branch3x3dbl_2"), 96, 3, padding=1)
    b3 = basic_conv(b, b3, join(p, "branch3x3dbl_3"), 96, 3, padding=1)
    return concat_branches(b, p, [b1, b5, b3, _avg_pool_branch(b, x, p, pool_features)])


def inception_b(b: GraphBuilder, x: str, p: str) -> str:
    """Grid reduction 35 -> 17: strided 3x3 | 1x1-3x3-strided 3x3 | max pool."""
    b3 = basic_conv(b, x, join(p, "branch3x3"), 384, 3, 2)
    bd = basic_conv(b, x, join(p, "branch3x3dbl_1"), 64, 1)
    bd = basic_conv(b, bd, join(p, "branch3x3dbl_2"), 96, 3, padding=1)
    bd = basic_conv(b, bd, join(p, "branch3x3dbl_3"), 96, 3, 2)
    pool = b.add("MaxPool2d", x, name=join(p, "branch_pool"), kernel=3, stride=2)
    return concat_branches(b, p, [b3, bd, pool])


def inception_c(b: GraphBuilder, x: str, p: str, c7: int) -> str:
    """17x17 module with factorised 7x7 convolutions (1x7 then 7x1)."""
    row: tuple[Pair, Pair] = ((1, 7), (0, 3))  # (kernel, padding) of a 1x7 convolution
    col: tuple[Pair, Pair] = ((7, 1), (3, 0))
    b1 = basic_conv(b, x, join(p, "branch1x1"), 192, 1)
    b7 = basic_conv(b, x, join(p, "branch7x7_1"), c7, 1)
    b7 = basic_conv(b, b7, join(p, "branch7x7_2"), c7, row[0], padding=row[1])
    b7 = basic_conv(b, b7, join(p, "branch7x7_3"), 192, col[0], padding=col[1])
    bd = basic_conv(b, x, join(p, "branch7x7dbl_1"), c7, 1)
    for i, (kernel, pad) in enumerate((col, row, col, row), 2):
        bd = basic_conv(b, bd, join(p, f"branch7x7dbl_{i}"), 192 if i == 5 else c7, kernel,
                        padding=pad)
    return concat_branches(b, p, [b1, b7, bd, _avg_pool_branch(b, x, p, 192)])


def inception_d(b: GraphBuilder, x: str, p: str) -> str:
    """Grid reduction 17 -> 8: 1x1-strided 3x3 | 1x1-1x7-7x1-strided 3x3 | max pool."""
    b3 = basic_conv(b, x, join(p, "branch3x3_1"), 192, 1)
    b3 = basic_conv(b, b3, join(p, "branch3x3_2"), 320, 3, 2)
    b7 = basic_conv(b, x, join(p, "branch7x7x3_1"), 192, 1)
    b7 = basic_conv(b, b7, join(p, "branch7x7x3_2"), 192, (1, 7), padding=(0, 3))
    b7 = basic_conv(b, b7, join(p, "branch7x7x3_3"), 192, (7, 1), padding=(3, 0))
    b7 = basic_conv(b, b7, join(p, "branch7x7x3_4"), 192, 3, 2)
    pool = b.add("MaxPool2d", x, name=join(p, "branch_pool"), kernel=3, stride=2)
    return concat_branches(b, p, [b3, b7, pool])


def _split_1x3_3x1(b: GraphBuilder, x: str, p: str) -> str:
    a = basic_conv(b, x, f"{p}a", 384, (1, 3), padding=(0, 1))
    c = basic_conv(b, x, f"{p}b", 384, (3, 1), padding=(1, 0))
    return b.add("Concat", a, c, name=f"{p}_concat")


def inception_e(b: GraphBuilder, x: str, p: str) -> str:
    """8x8 module with expanded filter banks: the 3x3s split into parallel 1x3 and 3x1."""
    b1 = basic_conv(b, x, join(p, "branch1x1"), 320, 1)
    b3 = basic_conv(b, x, join(p, "branch3x3_1"), 384, 1)
    b3 = _split_1x3_3x1(b, b3, join(p, "branch3x3_2"))
    bd = basic_conv(b, x, join(p, "branch3x3dbl_1"), 448, 1)
    bd = basic_conv(b, bd, join(p, "branch3x3dbl_2"), 384, 3, padding=1)
    bd = _split_1x3_3x1(b, bd, join(p, "branch3x3dbl_3"))
    return concat_branches(b, p, [b1, b3, bd, _avg_pool_branch(b, x, p, 192)])


def inception_v3(input_shape: Shape = (3, 299, 299), num_classes: int = 1000) -> Graph:
    """Inception v3: a stem of plain convolutions, then modules A x3, B, C x4, D, E x2."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("stem"):
        x = basic_conv(b, x, "Conv2d_1a_3x3", 32, 3, 2)
        x = basic_conv(b, x, "Conv2d_2a_3x3", 32, 3)
        x = basic_conv(b, x, "Conv2d_2b_3x3", 64, 3, padding=1)
        x = b.add("MaxPool2d", x, name="maxpool1", kernel=3, stride=2)
        x = basic_conv(b, x, "Conv2d_3b_1x1", 80, 1)
        x = basic_conv(b, x, "Conv2d_4a_3x3", 192, 3)
        x = b.add("MaxPool2d", x, name="maxpool2", kernel=3, stride=2)
    for name, pool in (("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)):
        with b.group(name):
            x = inception_a(b, x, name, pool)
    with b.group("Mixed_6a"):
        x = inception_b(b, x, "Mixed_6a")
    for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        with b.group(name):
            x = inception_c(b, x, name, c7)
    with b.group("Mixed_7a"):
        x = inception_d(b, x, "Mixed_7a")
    for name in ("Mixed_7b", "Mixed_7c"):
        with b.group(name):
            x = inception_e(b, x, name)
    with b.group("head"):
        x = b.add("GlobalAvgPool", x, name="avgpool")
        x = b.add("Dropout", x, name="dropout", rate=0.5)
        b.add("Dense", x, name="fc", units=num_classes, activation="softmax")
    return b.graph


register_preset(Preset(
    "googlenet", "GoogLeNet (Inception v1)",
    "Nine inception modules: parallel 1x1, 3x3, 5x5 and pooling branches joined by channels",
    "Szegedy et al.: Going deeper with convolutions (CVPR 2015)", googlenet,
))
register_preset(Preset(
    "inception_v3", "Inception v3",
    "Factorised inception modules (1x7 + 7x1, 1x3 + 3x1) with grid-reduction modules",
    "Szegedy, Vanhoucke, Ioffe, Shlens, Wojna: Rethinking the inception architecture for "
    "computer vision (CVPR 2016)", inception_v3, (3, 299, 299),
))
