"""MobileNets: v1 (Keras applications), v2 and v3 small / large (torchvision).

v1 is a chain of depthwise-separable pairs (3x3 depthwise, 1x1 pointwise, each with BN and
ReLU6). v2 and v3 stack inverted residual blocks (``blocks.inverted_residual``); v3 adds
squeeze-excitation and hard-swish. Node names for v2/v3: ``stem_*``, ``block<i>_*`` (for
torchvision's ``features.<i>``), ``head_*``; ``cnnstudio.presets_torch.mapping`` pairs them
with torchvision's keys.
"""

from __future__ import annotations

from cnnstudio.core.blocks import conv_bn, inverted_residual
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.presets import Preset, register_preset

#: MobileNet v1 pointwise widths and depthwise strides (table 1 of the paper)
V1_LAYERS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
             (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))
KERAS_BN = {"eps": 1e-3, "momentum": 0.01}  # Keras BatchNormalization defaults


def mobilenet_v1(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
    """MobileNet v1 (alpha 1.0) as in ``keras.applications.MobileNet``: BN after every
    convolution, ReLU6, 'same' padding, global pooling, dropout 0.001, classifier."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("stem"):
        x = conv_bn(b, x, "conv1", 32, 3, 2, "same", act="ReLU6", norm=KERAS_BN,
                    names=("conv", "bn", "relu"))
    for i, (width, stride) in enumerate(V1_LAYERS, 1):
        with b.group(f"block{i}"):
            x = conv_bn(b, x, f"conv_dw_{i}", 0, 3, stride, "same", act="ReLU6", norm=KERAS_BN,
                        depthwise=True, names=("conv", "bn", "relu"))
            x = conv_bn(b, x, f"conv_pw_{i}", width, 1, act="ReLU6", norm=KERAS_BN,
                        names=("conv", "bn", "relu"))
    with b.group("head"):
        x = b.add("GlobalAvgPool", x, name="global_pool")
        x = b.add("Dropout", x, name="dropout", rate=1e-3)
        b.add("Dense", x, name="predictions", units=num_classes, activation="softmax")
    return b.graph


#: MobileNetV2 stages: expansion t, width c, repeats n, first stride s (table 2 of the paper)
V2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
             (6, 160, 3, 2), (6, 320, 1, 1))


def mobilenet_v2(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
    """MobileNetV2 (torchvision ``mobilenet_v2``): 17 inverted residual blocks, ReLU6."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("stem"):
        x = conv_bn(b, x, "stem", 32, 3, 2, 1, act="ReLU6", names=("conv", "bn", "act"))
    channels, i = 32, 1
    for t, c, n, s in V2_STAGES:
        for j in range(n):
            with b.group(f"block{i}"):
                x = inverted_residual(b, x, f"block{i}", channels, channels * t, c,
                                      stride=s if j == 0 else 1)
            channels, i = c, i + 1
    with b.group("head"):
        x = conv_bn(b, x, "head", 1280, 1, act="ReLU6", names=("conv", "bn", "act"))
        x = b.add("GlobalAvgPool", x, name="avgpool")
        x = b.add("Dropout", x, name="dropout", rate=0.2)
        b.add("Dense", x, name="classifier", units=num_classes, activation="softmax")
    return b.graph


def make_divisible(v: float, divisor: int = 8) -> int:
    """Round ``v`` to a multiple of ``divisor`` without going below 90% of it (MobileNet)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


#: MobileNetV3 blocks: input, kernel, expanded, output, squeeze-excite, activation, stride
#: (tables 1 and 2 of the paper; "RE" ReLU, "HS" hard-swish)
V3_LARGE = (
    (16, 3, 16, 16, False, "RE", 1), (16, 3, 64, 24, False, "RE", 2),
    (24, 3, 72, 24, False, "RE", 1), (24, 5, 72, 40, True, "RE", 2),
    (40, 5, 120, 40, True, "RE", 1), (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2), (80, 3, 200, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1), (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 480, 112, True, "HS", 1), (112, 3, 672, 112, True, "HS", 1),
    (112, 5, 672, 160, True, "HS", 2), (160, 5, 960, 160, True, "HS", 1),
    (160, 5, 960, 160, True, "HS", 1),
)
V3_SMALL = (
    (16, 3, 16, 16, True, "RE", 2), (16, 3, 72, 24, False, "RE", 2),
    (24, 3, 88, 24, False, "RE", 1), (24, 5, 96, 40, True, "HS", 2),
    (40, 5, 240, 40, True, "HS", 1), (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 120, 48, True, "HS", 1), (48, 5, 144, 48, True, "HS", 1),
    (48, 5, 288, 96, True, "HS", 2), (96, 5, 576, 96, True, "HS", 1),
    (96, 5, 576, 96, True, "HS", 1),
)
V3_BN = {"eps": 1e-3, "momentum": 0.01}


def mobilenet_v3(large: bool, input_shape: Shape, num_classes: int) -> Graph:
    """MobileNetV3 (torchvision): inverted residuals with optional squeeze-excitation."""
    config, last = (V3_LARGE, 1280) if large else (V3_SMALL, 1024)
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("stem"):
        x = conv_bn(b, x, "stem", 16, 3, 2, 1, act="Hardswish", norm=V3_BN,
                    names=("conv", "bn", "act"))
    for i, (cin, k, exp, cout, se, act, s) in enumerate(config, 1):
        with b.group(f"block{i}"):
            x = inverted_residual(b, x, f"block{i}", cin, exp, cout, k, s,
                                  "ReLU" if act == "RE" else "Hardswish",
                                  make_divisible(exp // 4) if se else 0, norm=V3_BN)
    head = 6 * config[-1][3]
    with b.group("head"):
        x = conv_bn(b, x, "head", head, 1, act="Hardswish", norm=V3_BN, names=("conv", "bn", "act"))
        x = b.add("GlobalAvgPool", x, name="avgpool")
        x = b.add("Dense", x, name="pre_classifier", units=last, activation="hardswish")
        x = b.add("Dropout", x, name="dropout", rate=0.2)
        b.add("Dense", x, name="classifier", units=num_classes, activation="softmax")
    return b.graph


def mobilenet_v3_small(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
    """MobileNetV3-Small (torchvision ``mobilenet_v3_small``)."""
    return mobilenet_v3(False, input_shape, num_classes)


def mobilenet_v3_large(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
    """MobileNetV3-Large (torchvision ``mobilenet_v3_large``)."""
    return mobilenet_v3(True, input_shape, num_classes)


register_preset(Preset(
    "mobilenet_v1", "MobileNet v1", "13 depthwise-separable convolution pairs (Keras "
    "applications' MobileNet, alpha 1.0)",
    "Howard et al.: MobileNets: efficient convolutional neural networks for mobile vision "
    "applications (2017)", mobilenet_v1,
))
register_preset(Preset(
    "mobilenet_v2", "MobileNetV2", "17 inverted residual blocks with linear bottlenecks",
    "Sandler, Howard, Zhu, Zhmoginov, Chen: MobileNetV2: inverted residuals and linear "
    "bottlenecks (CVPR 2018)", mobilenet_v2,
))
_V3_PAPER = "Howard et al.: Searching for MobileNetV3 (ICCV 2019)"
register_preset(Preset(
    "mobilenet_v3_small", "MobileNetV3-Small", "11 inverted residual blocks with "
    "squeeze-excitation and hard-swish, for low-resource devices", _V3_PAPER, mobilenet_v3_small,
))
register_preset(Preset(
    "mobilenet_v3_large", "MobileNetV3-Large", "15 inverted residual blocks with "
    "squeeze-excitation and hard-swish", _V3_PAPER, mobilenet_v3_large,
))
