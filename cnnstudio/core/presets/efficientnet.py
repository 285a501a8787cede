"""EfficientNet-B0, as torchvision defines it (``efficientnet_b0``).

Seven stages of MBConv blocks (``blocks.inverted_residual`` with SiLU and a sigmoid
squeeze-excitation). torchvision's B0 uses PyTorch's BatchNorm defaults (eps 1e-5,
momentum 0.1); stochastic depth is the identity at inference and is left out of the graph.
Node names: ``stem_*``, ``stage<s>_<j>_*`` (torchvision ``features.<s>.<j>``), ``head_*``.
"""

from __future__ import annotations

from cnnstudio.core.blocks import conv_bn, inverted_residual
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.presets import Preset, register_preset

#: expansion, kernel, stride, input, output, repeats (table 1 of the paper)
B0_STAGES = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
             (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
             (6, 3, 1, 192, 320, 1))


def efficientnet_b0(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
    """EfficientNet-B0: a 3x3 stem, 16 MBConv blocks, a 1x1 head to 1280 maps, classifier."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("stem"):
        x = conv_bn(b, x, "stem", 32, 3, 2, 1, act="SiLU", names=("conv", "bn", "act"))
    for s, (t, k, stride, cin, cout, n) in enumerate(B0_STAGES, 1):
        for j in range(n):
            inp = cin if j == 0 else cout
            with b.group(f"stage{s}.{j}"):
                x = inverted_residual(b, x, f"stage{s}_{j}", inp, inp * t, cout, k,
                                      stride if j == 0 else 1, act="SiLU",
                                      se_squeeze=max(1, inp // 4), se_act="silu",
                                      se_gate="sigmoid")
    with b.group("head"):
        x = conv_bn(b, x, "head", 1280, 1, act="SiLU", names=("conv", "bn", "act"))
        x = b.add("GlobalAvgPool", x, name="avgpool")
        x = b.add("Dropout", x, name="dropout", rate=0.2)
        b.add("Dense", x, name="classifier", units=num_classes, activation="softmax")
    return b.graph


register_preset(Preset(
    "efficientnet_b0", "EfficientNet-B0", "16 MBConv blocks (inverted residuals with "
    "squeeze-excitation and SiLU) found by architecture search",
    "Tan, Le: EfficientNet: rethinking model scaling for convolutional neural networks "
    "(ICML 2019)", efficientnet_b0,
))
