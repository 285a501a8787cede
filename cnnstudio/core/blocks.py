"""Reusable block builders: the building bricks of the preset architectures.

Each function adds one block to a ``GraphBuilder`` and returns the id of the block's output
node, so a network reads as a list of blocks, as in its paper. Node names are
``<prefix>_<part>`` (``layer1_0_conv1``) so they stay unique, readable Python identifiers
and map onto torchvision's module paths by replacing ``.`` with ``_`` (see
``cnnstudio.presets_torch.mapping``). Callers open ``b.group(...)`` around each block so
the canvas can fold it.

Padding is given in pixels (PyTorch style) unless a block says otherwise; the Keras-style
families (Xception, NASNet) pass ``"same"``.
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnstudio.core.builder import GraphBuilder

Padding = int | tuple[int, int] | str


def join(prefix: str, part: str) -> str:
    """``layer1_0`` + ``conv1`` -> ``layer1_0_conv1`` (an empty prefix or part is left out)."""
    return f"{prefix}_{part}" if prefix and part else prefix or part


def conv_bn(
    b: GraphBuilder, x: str, prefix: str, filters: int, kernel: int | tuple[int, int],
    stride: int = 1, padding: Padding = 0, *, groups: int = 1, act: str | None = "ReLU",
    norm: Mapping[str, float] | None = None,
    names: tuple[str, str, str] = ("conv", "bn", "relu"), depthwise: bool = False,
) -> str:
    """Convolution (no bias) -> BatchNorm -> activation (``act`` None: none).

    ``norm``: BatchNorm's ``eps`` / ``momentum`` (PyTorch's defaults when None)."""
    conv, bn, relu = (join(prefix, n) for n in names)
    if depthwise:
        x = b.add("DepthwiseConv2d", x, name=conv, kernel=kernel, stride=stride,
                  padding=padding, bias=False)
    else:
        x = b.add("Conv2d", x, name=conv, filters=filters, kernel=kernel, stride=stride,
                  padding=padding, groups=groups, bias=False)
    x = b.add("BatchNorm", x, name=bn, **(norm or {}))
    if act is not None:
        x = b.add(act, x, name=relu)
    return x


# --- ResNet (He et al. 2016) ---------------------------------------------------------------

def _shortcut(b: GraphBuilder, x: str, prefix: str, filters: int, stride: int,
              in_channels: int) -> str:
    """Identity, or a strided 1x1 projection when the shape changes."""
    if stride == 1 and in_channels == filters:
        return x
    return conv_bn(b, x, join(prefix, "downsample"), filters, 1, stride, act=None)


def basic_block(b: GraphBuilder, x: str, prefix: str, in_channels: int, filters: int,
                stride: int = 1) -> str:
    """Two 3x3 convolutions plus the shortcut (ResNet-18/34)."""
    y = conv_bn(b, x, prefix, filters, 3, stride, 1, names=("conv1", "bn1", "relu1"))
    y = conv_bn(b, y, prefix, filters, 3, 1, 1, act=None, names=("conv2", "bn2", ""))
    s = _shortcut(b, x, prefix, filters, stride, in_channels)
    y = b.add("Add", y, s, name=join(prefix, "add"))
    return b.add("ReLU", y, name=join(prefix, "relu"))


def bottleneck_block(b: GraphBuilder, x: str, prefix: str, in_channels: int, width: int,
                     stride: int = 1, expansion: int = 4) -> str:
    """1x1 reduce -> 3x3 (strided, as torchvision's ResNet v1.5) -> 1x1 expand, plus shortcut."""
    y = conv_bn(b, x, prefix, width, 1, names=("conv1", "bn1", "relu1"))
    y = conv_bn(b, y, prefix, width, 3, stride, 1, names=("conv2", "bn2", "relu2"))
    y = conv_bn(b, y, prefix, width * expansion, 1, act=None, names=("conv3", "bn3", ""))
    s = _shortcut(b, x, prefix, width * expansion, stride, in_channels)
    y = b.add("Add", y, s, name=join(prefix, "add"))
    return b.add("ReLU", y, name=join(prefix, "relu"))


# --- DenseNet (Huang et al. 2017) ----------------------------------------------------------

def dense_layer(b: GraphBuilder, x: str, prefix: str, growth: int, bn_size: int = 4) -> str:
    """BN-ReLU-1x1 conv (bottleneck) -> BN-ReLU-3x3 conv, its ``growth`` maps joined to x."""
    y = b.add("BatchNorm", x, name=join(prefix, "norm1"))
    y = b.add("ReLU", y, name=join(prefix, "relu1"))
    y = b.add("Conv2d", y, name=join(prefix, "conv1"), filters=bn_size * growth, kernel=1,
              bias=False)
    y = b.add("BatchNorm", y, name=join(prefix, "norm2"))
    y = b.add("ReLU", y, name=join(prefix, "relu2"))
    y = b.add("Conv2d", y, name=join(prefix, "conv2"), filters=growth, kernel=3, padding=1,
              bias=False)
    return b.add("Concat", x, y, name=join(prefix, "concat"))


def transition(b: GraphBuilder, x: str, prefix: str, filters: int) -> str:
    """BN-ReLU-1x1 conv to ``filters`` maps, then 2x2 average pooling."""
    x = b.add("BatchNorm", x, name=join(prefix, "norm"))
    x = b.add("ReLU", x, name=join(prefix, "relu"))
    x = b.add("Conv2d", x, name=join(prefix, "conv"), filters=filters, kernel=1, bias=False)
    return b.add("AvgPool2d", x, name=join(prefix, "pool"), kernel=2, stride=2)


# --- Inception (Szegedy et al. 2015) -------------------------------------------------------

def concat_branches(b: GraphBuilder, prefix: str, branches: list[str]) -> str:
    return b.add("Concat", *branches, name=join(prefix, "concat"))


def inception_module(b: GraphBuilder, x: str, prefix: str, c1: int, c3r: int, c3: int,
                     c5r: int, c5: int, pool_proj: int) -> str:
    """GoogLeNet's four parallel branches: 1x1 | 1x1-3x3 | 1x1-"5x5" | 3x3 max pool-1x1.

    The third branch uses a 3x3 kernel, as torchvision does (pytorch/vision#906).
    """
    def cbr(y: str, name: str, f: int, k: int, p: int = 0) -> str:
        return conv_bn(b, y, join(prefix, name), f, k, 1, p, norm={"eps": 1e-3})

    b1 = cbr(x, "branch1", c1, 1)
    b2 = cbr(cbr(x, "branch2_0", c3r, 1), "branch2_1", c3, 3, 1)
    b3 = cbr(cbr(x, "branch3_0", c5r, 1), "branch3_1", c5, 3, 1)
    p = b.add("MaxPool2d", x, name=join(prefix, "branch4_pool"), kernel=3, stride=1, padding=1,
              ceil_mode=True)
    b4 = cbr(p, "branch4_1", pool_proj, 1)
    return concat_branches(b, prefix, [b1, b2, b3, b4])


# --- Squeeze-excitation, inverted residuals, MBConv ------------------------------------------

def se_scale(b: GraphBuilder, x: str, prefix: str, channels: int, squeeze: int,
             act: str = "relu", gate: str = "hardsigmoid") -> str:
    """Squeeze-excitation (Hu et al. 2018): re-weight ``x``'s channels by a learned gate."""
    s = b.add("GlobalAvgPool", x, name=join(prefix, "pool"), keepdims=True)
    s = b.add("Conv2d", s, name=join(prefix, "fc1"), filters=squeeze, kernel=1, activation=act)
    s = b.add("Conv2d", s, name=join(prefix, "fc2"), filters=channels, kernel=1, activation=gate)
    return b.add("Multiply", x, s, name=join(prefix, "scale"))


def inverted_residual(
    b: GraphBuilder, x: str, prefix: str, in_channels: int, expanded: int, out_channels: int,
    kernel: int = 3, stride: int = 1, act: str = "ReLU6", se_squeeze: int = 0,
    se_act: str = "relu", se_gate: str = "hardsigmoid", norm: Mapping[str, float] | None = None,
) -> str:
    """MobileNetV2/V3 block and EfficientNet's MBConv: expand 1x1 -> depthwise kxk ->
    (squeeze-excitation) -> linear 1x1 projection, with a residual when shapes allow."""
    y = x
    if expanded != in_channels:
        y = conv_bn(b, y, join(prefix, "expand"), expanded, 1, act=act, norm=norm,
                    names=("conv", "bn", "act"))
    y = conv_bn(b, y, join(prefix, "dw"), expanded, kernel, stride, (kernel - 1) // 2, act=act,
                depthwise=True, norm=norm, names=("conv", "bn", "act"))
    if se_squeeze:
        y = se_scale(b, y, join(prefix, "se"), expanded, se_squeeze, se_act, se_gate)
    y = conv_bn(b, y, join(prefix, "project"), out_channels, 1, act=None, norm=norm,
                names=("conv", "bn", ""))
    if stride == 1 and in_channels == out_channels:
        y = b.add("Add", x, y, name=join(prefix, "add"))
    return y


# --- ConvNeXt (Liu et al. 2022) ------------------------------------------------------------

def convnext_block(b: GraphBuilder, x: str, prefix: str, dim: int,
                   layer_scale: float = 1e-6) -> str:
    """7x7 depthwise conv -> LayerNorm -> 1x1 conv to 4*dim -> GELU -> 1x1 conv back to
    dim -> LayerScale, plus the input (the 1x1 convs are torchvision's Linear layers)."""
    y = b.add("DepthwiseConv2d", x, name=join(prefix, "dwconv"), kernel=7, padding=3)
    y = b.add("LayerNorm", y, name=join(prefix, "norm"), eps=1e-6)
    y = b.add("Conv2d", y, name=join(prefix, "pwconv1"), filters=4 * dim, kernel=1)
    y = b.add("GELU", y, name=join(prefix, "gelu"))
    y = b.add("Conv2d", y, name=join(prefix, "pwconv2"), filters=dim, kernel=1)
    y = b.add("LayerScale", y, name=join(prefix, "layer_scale"), init_value=layer_scale)
    return b.add("Add", x, y, name=join(prefix, "add"))


# --- Separable convolutions (Xception, Chollet 2017) ---------------------------------------

def sep_bn(b: GraphBuilder, x: str, name: str, filters: int, kernel: int = 3,
           stride: int = 1, *, pre_relu: bool = False, post_relu: bool = False,
           eps: float = 1e-3, momentum: float = 0.01) -> str:
    """(ReLU ->) separable conv ('same', no bias) -> BatchNorm (-> ReLU); nodes ``name``,
    ``name_bn`` and ``name_act`` as Keras names them."""
    if pre_relu:
        x = b.add("ReLU", x, name=join(name, "act"))
    x = b.add("SeparableConv2d", x, name=name, filters=filters, kernel=kernel, stride=stride,
              padding="same", bias=False)
    x = b.add("BatchNorm", x, name=join(name, "bn"), eps=eps, momentum=momentum)
    if post_relu:
        x = b.add("ReLU", x, name=join(name, "act"))
    return x
