"""NASNet-A Mobile, as ``keras.applications.NASNetMobile`` defines it (5,326,716 parameters
in Keras' count, BatchNorm moving statistics included).

A searched network: a 3x3 stem, two reduction cells, then three stacks of four normal cells
with a reduction cell between them. Every cell reads the two previous cells' outputs
(``x`` and ``p``); ``adjust`` first brings ``p`` to ``x``'s size and width (a factorised
reduction or a 1x1 projection). BatchNorm uses eps 1e-3 and Keras momentum 0.9997 (0.0003
in PyTorch's convention). Strided separable convolutions use 'same' padding, which equals
Keras' explicit ``correct_pad`` + 'valid' for every input size; the pools that Keras runs
after zero padding keep their explicit ZeroPad2d node (zeros, not -inf, enter the max).
"""

from __future__ import annotations

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.presets import Preset, register_preset

BN = {"eps": 1e-3, "momentum": 0.0003}
Size = tuple[int, int]


class Cells:
    """NASNet's cells over a builder, tracking each tensor's spatial size and width."""

    def __init__(self, b: GraphBuilder) -> None:
        self.b = b
        self.size: dict[str, Size] = {}
        self.width: dict[str, int] = {}

    def _bn(self, x: str, name: str) -> str:
        return self.b.add("BatchNorm", x, name=name, **BN)

    def relu_conv_bn(self, x: str, name: str, filters: int) -> str:
        """ReLU -> 1x1 conv (no bias) -> BN."""
        y = self.b.add("ReLU", x, name=f"{name}_act")
        y = self.b.add("Conv2d", y, name=name, filters=filters, kernel=1, bias=False)
        return self._bn(y, f"{name}_bn")

    def sep_block(self, x: str, name: str, filters: int, kernel: int, stride: int = 1) -> str:
        """Keras' _separable_conv_block: (ReLU -> separable conv -> BN) twice."""
        b = self.b
        for i, s in ((1, stride), (2, 1)):
            x = b.add("ReLU", x, name=f"{name}_act{i}")
            x = b.add("SeparableConv2d", x, name=f"{name}_sep{i}", filters=filters, kernel=kernel,
                      stride=s, padding="same", bias=False)
            x = self._bn(x, f"{name}_bn{i}")
        return x

    def adjust(self, p: str | None, x: str, name: str, filters: int) -> str:
        """Bring the previous-previous output ``p`` to ``x``'s size and ``filters`` maps
        (the first cell has no ``p`` and reads ``x`` unchanged, as in Keras)."""
        b = self.b
        if p is None:
            return x
        if self.size[p] != self.size[x]:  # factorised reduction: two shifted 1x1 paths
            r = b.add("ReLU", p, name=f"{name}_adjust_act")
            p1 = b.add("AvgPool2d", r, name=f"{name}_adjust_pool1", kernel=1, stride=2)
            p1 = b.add("Conv2d", p1, name=f"{name}_adjust_conv1", filters=filters // 2, kernel=1,
                       bias=False)
            p2 = b.add("ZeroPad2d", r, name=f"{name}_adjust_pad", padding=(0, 1, 0, 1))
            p2 = b.add("Cropping2d", p2, name=f"{name}_adjust_crop", cropping=(1, 0, 1, 0))
            p2 = b.add("AvgPool2d", p2, name=f"{name}_adjust_pool2", kernel=1, stride=2)
            p2 = b.add("Conv2d", p2, name=f"{name}_adjust_conv2", filters=filters // 2, kernel=1,
                       bias=False)
            p = b.add("Concat", p1, p2, name=f"{name}_adjust_concat")
            return self._bn(p, f"{name}_adjust_bn")
        if self.width[p] != filters:
            return self.relu_conv_bn(p, f"{name}_adjust_projection", filters)
        return p

    def normal(self, x: str, p: str | None, name: str, filters: int) -> tuple[str, str]:
        """Normal cell: five pairwise-added branches, joined with ``p`` (6 x filters maps)."""
        b = self.b
        p = self.adjust(p, x, name, filters)
        h = self.relu_conv_bn(x, f"{name}_conv1", filters)

        def pool(src: str, part: str) -> str:
            return b.add("AvgPool2d", src, name=f"{name}_{part}", kernel=3, stride=1,
                         padding="same")

        x1 = b.add("Add", self.sep_block(h, f"{name}_left1", filters, 5),
                   self.sep_block(p, f"{name}_right1", filters, 3), name=f"{name}_add1")
        x2 = b.add("Add", self.sep_block(p, f"{name}_left2", filters, 5),
                   self.sep_block(p, f"{name}_right2", filters, 3), name=f"{name}_add2")
        x3 = b.add("Add", pool(h, "left3"), p, name=f"{name}_add3")
        x4 = b.add("Add", pool(p, "left4"), pool(p, "right4"), name=f"{name}_add4")
        x5 = b.add("Add", self.sep_block(h, f"{name}_left5", filters, 3), h, name=f"{name}_add5")
        out = b.add("Concat", p, x1, x2, x3, x4, x5, name=f"{name}_concat")
        self.size[out], self.width[out] = self.size[x], 6 * filters
        return out, x

    def reduction(self, x: str, p: str | None, name: str, filters: int) -> tuple[str, str]:
        """Reduction cell: halves the size; four added branch pairs joined (4 x filters)."""
        b = self.b
        p = self.adjust(p, x, name, filters)
        h = self.relu_conv_bn(x, f"{name}_conv1", filters)
        hh, hw = self.size[x]
        h3 = b.add("ZeroPad2d", h, name=f"{name}_pad", padding=(hh % 2, 1, hw % 2, 1))

        def pool(kind: str, src: str, part: str, stride: int = 2) -> str:
            return b.add(kind, src, name=f"{name}_{part}", kernel=3, stride=stride,
                         padding="valid" if stride == 2 else "same")

        x1 = b.add("Add", self.sep_block(h, f"{name}_left1", filters, 5, 2),
                   self.sep_block(p, f"{name}_right1", filters, 7, 2), name=f"{name}_add1")
        x2 = b.add("Add", pool("MaxPool2d", h3, "left2"),
                   self.sep_block(p, f"{name}_right2", filters, 7, 2), name=f"{name}_add2")
        x3 = b.add("Add", pool("AvgPool2d", h3, "left3"),
                   self.sep_block(p, f"{name}_right3", filters, 5, 2), name=f"{name}_add3")
        x4 = b.add("Add", x2, pool("AvgPool2d", x1, "left4", 1), name=f"{name}_add4")
        x5 = b.add("Add", self.sep_block(x1, f"{name}_left5", filters, 3),
                   pool("MaxPool2d", h3, "right5"), name=f"{name}_add5")
        out = b.add("Concat", x2, x3, x4, x5, name=f"{name}_concat")
        self.size[out], self.width[out] = (-(-hh // 2), -(-hw // 2)), 4 * filters
        return out, x


def nasnet(input_shape: Shape, num_classes: int, penultimate: int = 1056, blocks: int = 4,
           stem_filters: int = 32, multiplier: int = 2) -> Graph:
    """NASNet-A (Keras' ``NASNet`` with ``skip_reduction=False``)."""
    b = GraphBuilder()
    cells = Cells(b)
    filters = penultimate // 24
    x = b.input(*input_shape)
    with b.group("stem"):
        x = b.add("Conv2d", x, name="stem_conv1", filters=stem_filters, kernel=3, stride=2,
                  bias=False)
        x = b.add("BatchNorm", x, name="stem_bn1", **BN)
    cells.size[x] = ((input_shape[1] - 3) // 2 + 1, (input_shape[2] - 3) // 2 + 1)
    cells.width[x] = stem_filters
    p: str | None = None
    for i, f in ((1, filters // multiplier**2), (2, filters // multiplier)):
        with b.group(f"stem_{i}"):
            x, p = cells.reduction(x, p, f"stem_{i}", f)
    for stage in range(3):
        f = filters * multiplier**stage
        if stage:
            with b.group(f"reduce_{stage * blocks}"):
                x, p = cells.reduction(x, p, f"reduce_{stage * blocks}", f)
        for i in range(blocks):
            cell = f"normal_{stage * (blocks + 1) + i}"
            with b.group(cell):
                x, p = cells.normal(x, p, cell, f)
    with b.group("head"):
        x = b.add("ReLU", x, name="head_act")
        x = b.add("GlobalAvgPool", x, name="global_pool")
        b.add("Dense", x, name="predictions", units=num_classes, activation="softmax")
    return b.graph


def nasnet_mobile(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
    """NASNet-A Mobile (4 @ 1056): 44 filters in the first normal stack."""
    return nasnet(input_shape, num_classes)


register_preset(Preset(
    "nasnet_mobile", "NASNet-A Mobile", "Cells found by neural architecture search: "
    "separable-convolution and pooling branches added pairwise (Keras applications)",
    "Zoph, Vasudevan, Shlens, Le: Learning transferable architectures for scalable image "
    "recognition (CVPR 2018)", nasnet_mobile,
))
