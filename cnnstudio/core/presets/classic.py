"""The classic chains: LeNet-5, AlexNet, VGG (with and without BatchNorm), Network in Network.

AlexNet and VGG follow torchvision's definitions (``torchvision.models.alexnet`` /
``vgg*``) layer for layer, so torchvision weights load into them (see
``cnnstudio.presets_torch.mapping``).
"""

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


def _mlp_head(b: GraphBuilder, x: str, num_classes: int, units: int = 4096,
              dropout_first: bool = True) -> str:
    """fc6 -> fc7 -> fc8 with ReLU and dropout, as AlexNet and VGG end."""
    x = b.add("Flatten", x, name="flatten")
    if dropout_first:  # AlexNet drops before each hidden layer, VGG after
        x = b.add("Dropout", x, name="drop6", rate=0.5)
    x = b.add("Dense", x, name="fc6", units=units, activation="relu")
    x = b.add("Dropout", x, name="drop7", rate=0.5)
    x = b.add("Dense", x, name="fc7", units=units, activation="relu")
    if not dropout_first:
        x = b.add("Dropout", x, name="drop8", rate=0.5)
    return b.add("Dense", x, name="fc8", units=num_classes, activation="softmax")


def alexnet(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
    """AlexNet (Krizhevsky et al. 2012) in torchvision's single-tower form (no LRN)."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    with b.group("features"):
        x = b.add("Conv2d", x, name="conv1", filters=64, kernel=11, stride=4, padding=2,
                  activation="relu")
        x = b.add("MaxPool2d", x, name="pool1", kernel=3, stride=2)
        x = b.add("Conv2d", x, name="conv2", filters=192, kernel=5, padding=2, activation="relu")
        x = b.add("MaxPool2d", x, name="pool2", kernel=3, stride=2)
        x = b.add("Conv2d", x, name="conv3", filters=384, kernel=3, padding=1, activation="relu")
        x = b.add("Conv2d", x, name="conv4", filters=256, kernel=3, padding=1, activation="relu")
        x = b.add("Conv2d", x, name="conv5", filters=256, kernel=3, padding=1, activation="relu")
        x = b.add("MaxPool2d", x, name="pool5", kernel=3, stride=2)
    with b.group("classifier"):
        x = b.add("AdaptiveAvgPool2d", x, name="avgpool", output_size=6)
        _mlp_head(b, x, num_classes)
    return b.graph


#: convolutions per stage (all 3x3, widths 64, 128, 256, 512, 512), from the VGG paper's table 1
VGG_DEPTHS = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
VGG_WIDTHS = (64, 128, 256, 512, 512)


def vgg(depth: int, batch_norm: bool, input_shape: Shape, num_classes: int) -> Graph:
    """VGG-``depth`` (Simonyan & Zisserman 2015): stages of 3x3 convs, each ending in a max pool."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    for stage, (n, width) in enumerate(zip(VGG_DEPTHS[depth], VGG_WIDTHS, strict=True), 1):
        with b.group(f"stage{stage}"):
            for i in range(1, n + 1):
                name = f"{stage}_{i}"
                x = b.add("Conv2d", x, name=f"conv{name}", filters=width, kernel=3, padding=1,
                          activation="none" if batch_norm else "relu")
                if batch_norm:
                    x = b.add("BatchNorm", x, name=f"bn{name}")
                    x = b.add("ReLU", x, name=f"relu{name}")
            x = b.add("MaxPool2d", x, name=f"pool{stage}", kernel=2, stride=2)
    with b.group("classifier"):
        x = b.add("AdaptiveAvgPool2d", x, name="avgpool", output_size=7)
        _mlp_head(b, x, num_classes, dropout_first=False)
    return b.graph


def nin(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
    """Network in Network (Lin et al. 2014), the ImageNet model of the Caffe model zoo
    (``NIN-Imagenet``): each "mlpconv" is a conv followed by two 1x1 convs ("cccp"), and the
    last mlpconv has one map per class, averaged globally instead of dense layers."""
    b = GraphBuilder()
    x = b.input(*input_shape)
    stages = [(96, 11, 4, 0), (256, 5, 1, 2), (384, 3, 1, 1), (1024, 3, 1, 1)]
    for i, (width, kernel, stride, pad) in enumerate(stages, 1):
        last = i == len(stages)
        with b.group(f"mlpconv{i}"):
            x = b.add("Conv2d", x, name=f"conv{i}", filters=width, kernel=kernel, stride=stride,
                      padding=pad, activation="relu")
            x = b.add("Conv2d", x, name=f"cccp{2 * i - 1}", filters=width, kernel=1,
                      activation="relu")
            x = b.add("Conv2d", x, name=f"cccp{2 * i}", filters=num_classes if last else width,
                      kernel=1, activation="relu")
            if not last:
                x = b.add("MaxPool2d", x, name=f"pool{i}", kernel=3, stride=2, ceil_mode=True)
            if i == 3:
                x = b.add("Dropout", x, name="drop", rate=0.5)
    with b.group("classifier"):
        x = b.add("GlobalAvgPool", x, name="global_pool")
        b.add("Softmax", x, name="softmax")
    return b.graph


def _vgg_builder(depth: int, batch_norm: bool):  # type: ignore[no-untyped-def]
    def build(input_shape: Shape = (3, 224, 224), num_classes: int = 1000) -> Graph:
        return vgg(depth, batch_norm, input_shape, num_classes)

    build.__doc__ = f"VGG-{depth}{' with BatchNorm' if batch_norm else ''} (torchvision)."
    return build


VGG_PAPER = ("Simonyan, Zisserman: Very deep convolutional networks for large-scale image "
             "recognition (ICLR 2015)")

register_preset(Preset(
    "lenet5", "LeNet-5", "Two tanh convolutions with average pooling, three dense layers",
    "LeCun, Bottou, Bengio, Haffner: Gradient-based learning applied to document "
    "recognition (1998)", lenet5, (1, 32, 32), 10,
))
register_preset(Preset(
    "alexnet", "AlexNet", "Five convolutions with large early kernels, three dense layers "
    "(torchvision's variant)",
    "Krizhevsky, Sutskever, Hinton: ImageNet classification with deep convolutional neural "
    "networks (NeurIPS 2012); Krizhevsky: One weird trick (2014)", alexnet,
))
for _depth in VGG_DEPTHS:
    for _bn in (False, True):
        register_preset(Preset(
            f"vgg{_depth}{'_bn' if _bn else ''}", f"VGG-{_depth}{' (BatchNorm)' if _bn else ''}",
            f"{sum(VGG_DEPTHS[_depth])} 3x3 convolutions in five stages"
            f"{', each followed by BatchNorm' if _bn else ''}, three dense layers",
            VGG_PAPER, _vgg_builder(_depth, _bn),
        ))
register_preset(Preset(
    "nin", "Network in Network", "mlpconv stages (conv + two 1x1 convs), global average "
    "pooling instead of dense layers",
    "Lin, Chen, Yan: Network in network (ICLR 2014)", nin,
))
