"""Densely connected networks (DenseNet-121/169/201), as torchvision defines them.

Each dense layer adds ``growth`` maps that every later layer of its block sees (a Concat
per layer); transitions halve the maps and the resolution. Node names are torchvision's
module paths without ``features.`` and with ``.`` replaced by ``_``
(``features.denseblock1.denselayer1.conv1`` -> ``denseblock1_denselayer1_conv1``).
"""

from __future__ import annotations

from cnnstudio.core.blocks import dense_layer, transition
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.presets import Preset, register_preset

#: layers per dense block (table 1 of the paper); growth rate 32, 64 initial maps
DENSENETS = {121: (6, 12, 24, 16), 169: (6, 12, 32, 32), 201: (6, 12, 48, 32)}
PAPER = ("Huang, Liu, van der Maaten, Weinberger: Densely connected convolutional networks "
         "(CVPR 2017)")


def densenet(depth: int, input_shape: Shape = (3, 224, 224), num_classes: int = 1000,
             growth: int = 32, init_features: int = 64, bn_size: int = 4) -> Graph:
    """DenseNet-``depth``: stem, four dense blocks joined by transitions, BN-ReLU, pooling."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("stem"):
        x = b.add("Conv2d", x, name="conv0", filters=init_features, kernel=7, stride=2,
                  padding=3, bias=False)
        x = b.add("BatchNorm", x, name="norm0")
        x = b.add("ReLU", x, name="relu0")
        x = b.add("MaxPool2d", x, name="pool0", kernel=3, stride=2, padding=1)
    channels = init_features
    blocks = DENSENETS[depth]
    for i, n in enumerate(blocks, 1):
        for j in range(1, n + 1):
            with b.group(f"denseblock{i}.denselayer{j}"):
                x = dense_layer(b, x, f"denseblock{i}_denselayer{j}", growth, bn_size)
        channels += n * growth
        if i < len(blocks):
            channels //= 2
            with b.group(f"transition{i}"):
                x = transition(b, x, f"transition{i}", channels)
    with b.group("head"):
        x = b.add("BatchNorm", x, name="norm5")
        x = b.add("ReLU", x, name="relu5")
        x = b.add("GlobalAvgPool", x, name="avgpool")
        b.add("Dense", x, name="classifier", units=num_classes, activation="softmax")
    return b.graph


def _builder(depth: int):  # type: ignore[no-untyped-def]
    def build(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
        return densenet(depth, input_shape, num_classes)

    build.__doc__ = f"DenseNet-{depth} (torchvision ``densenet{depth}``)."
    return build


for _depth, _blocks in DENSENETS.items():
    register_preset(Preset(
        f"densenet{_depth}", f"DenseNet-{_depth}",
        f"Four dense blocks of {', '.join(map(str, _blocks))} layers; every layer sees all "
        "earlier maps of its block", PAPER, _builder(_depth),
    ))
