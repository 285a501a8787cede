"""The classic chains: LeNet-5."""

from __future__ import annotations

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.presets import Preset, register_preset


def lenet5(input_shape: Shape = (1, 32, 32), num_classes: int = 10) -> Graph:
    """LeNet-5 (LeCun et al. 1998) as usually taught: tanh units, average pooling, softmax."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("features"):
        x = b.add("Conv2d", x, name="c1", filters=6, kernel=5, activation="tanh")
        x = b.add("AvgPool2d", x, name="s2", kernel=2, stride=2)
        x = b.add("Conv2d", x, name="c3", filters=16, kernel=5, activation="tanh")
        x = b.add("AvgPool2d", x, name="s4", kernel=2, stride=2)
    with b.group("classifier"):
        x = b.add("Flatten", x, name="flatten")
        x = b.add("Dense", x, name="c5", units=120, activation="tanh")
        x = b.add("Dense", x, name="f6", units=84, activation="tanh")
        x = b.add("Dense", x, name="output", units=num_classes, activation="softmax")
    return b.graph


register_preset(Preset(
    "lenet5", "LeNet-5", "Two tanh convolutions with average pooling, three dense layers",
    "LeCun, Bottou, Bengio, Haffner: Gradient-based learning applied to document "
    "recognition (1998)", lenet5, (1, 32, 32), 10,
))
