"""Hand-made graphs for the export tests: every layer kind at odd spatial sizes."""

from __future__ import annotations

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph


def kitchen_sink(h: int = 15, w: int = 13) -> Graph:
    """Every layer kind, 'same' padding with stride 2 on odd and even sizes, ceil-mode pools."""
    b = GraphBuilder()
    x = b.input(3, h, w)
    x = b.add("Conv2d", x, name="stem", filters=8, kernel=3, stride=2, padding="same",
              activation="relu")
    x = b.add("BatchNorm", x, name="bn", scale=False)
    x = b.add("MaxPool2d", x, name="pool_ceil", kernel=3, stride=2, padding=1, ceil_mode=True)
    x = b.add("AvgPool2d", x, name="avg_same", kernel=2, stride=1, padding="same")
    x = b.add("ZeroPad2d", x, name="pad", padding=(1, 2, 0, 1))
    x = b.add("Conv2d", x, name="conv_s2", filters=8, kernel=2, stride=2, padding="same")
    x = b.add("MinPool2d", x, name="min_same", kernel=2, stride=1, padding="same")
    y = b.add("DepthwiseConv2d", x, name="dw", kernel=3, padding="same", activation="relu6")
    y = b.add("LayerNorm", y, name="ln")
    y = b.add("LayerScale", y, name="scale", init_value=0.5)
    x = b.add("Add", x, y, name="residual")
    s = b.add("GlobalAvgPool", x, name="squeeze", keepdims=True)
    s = b.add("Conv2d", s, name="excite", filters=8, kernel=1, activation="hardsigmoid")
    x = b.add("Multiply", x, s, name="se")
    br1 = b.add("SeparableConv2d", x, name="branch_sep", filters=4, kernel=3, padding="same",
                activation="gelu")
    br2 = b.add("MaxPool2d", x, name="branch_pool", kernel=3, stride=1, padding="same")
    br3 = b.add("Conv2d", x, name="branch_dil", filters=4, kernel=3, dilation=2, padding="same",
                activation="silu")
    x = b.add("Concat", br1, br2, br3, name="mixed")
    x = b.add("LocalResponseNorm", x, name="lrn", size=3)
    x = b.add("AvgPool2d", x, name="avg_ceil", kernel=2, stride=2, ceil_mode=True,
              count_include_pad=False)
    x = b.add("Cropping2d", x, name="crop", cropping=(0, 1, 1, 0)) if h > 12 else x
    for kind in ("Hardswish", "ELU", "LeakyReLU", "Tanh", "Dropout2d", "ReLU", "ReLU6", "GELU",
                 "SiLU", "Hardsigmoid", "Identity"):
        x = b.add(kind, x, name=kind.lower())
    x = b.add("AdaptiveMaxPool2d", x, name="adapt_max", output_size=3)
    x = b.add("AdaptiveAvgPool2d", x, name="adapt", output_size=2)
    x = b.add("Flatten", x, name="flatten")
    x = b.add("Dropout", x, name="drop", rate=0.3)
    x = b.add("Dense", x, name="hidden", units=12, activation="elu")
    x = b.add("LayerNorm", x, name="ln_flat")
    x = b.add("BatchNorm", x, name="bn_flat")
    x = b.add("BatchNorm", x, name="bn_shift", scale=False)
    x = b.add("Sigmoid", x, name="sigmoid")
    b.add("Dense", x, name="classifier", units=5, activation="softmax")
    return b.graph


def clashing_names() -> Graph:
    """Node names that clash with module attributes and with the generated code's names."""
    b = GraphBuilder()
    x = b.input(1, 9, 9, name="x")
    x = b.add("Conv2d", x, name="training", filters=4, padding="same", activation="relu")
    x = b.add("MaxPool2d", x, name="forward", kernel=2, stride=2, ceil_mode=True)
    y = b.add("Conv2d", x, name="torch", filters=4, kernel=1)
    z = b.add("Conv2d", x, name="self", filters=4, kernel=1)
    x = b.add("Add", y, z, name="F")
    x = b.add("GlobalMaxPool", x, name="nn")
    x = b.add("Dense", x, name="logits", units=3)
    b.add("Softmax", x, name="_out")
    return b.graph
