"""Modules the compiler needs where torch has no exact built-in equivalent.

Each class uses only the names ``torch``, ``nn`` and ``F`` (imported below as a user would),
because ``export_python`` copies the source of the classes a graph uses verbatim into the
generated ``model.py``: the exported code runs exactly the code that was verified. Keep them
scriptable (``torch.jit.script``) and traceable (``torch.export``).
"""

import torch
import torch.nn.functional as F
from torch import nn


class SeparableConv2d(nn.Module):
    """Depthwise convolution (no bias) followed by a 1x1 pointwise convolution (Xception)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, int],
                 stride: tuple[int, int] = (1, 1), padding: tuple[int, int] = (0, 0),
                 dilation: tuple[int, int] = (1, 1), depth_multiplier: int = 1,
                 bias: bool = True) -> None:
        super().__init__()
        mid = in_channels * depth_multiplier
        self.depthwise = nn.Conv2d(in_channels, mid, kernel_size, stride, padding, dilation,
                                   groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(mid, out_channels, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class MinPool2d(nn.Module):
    """Smallest value in each window, as -max_pool(-x): padding never wins the minimum."""

    def __init__(self, kernel_size: tuple[int, int], stride: tuple[int, int],
                 padding: tuple[int, int] = (0, 0), ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.ceil_mode = ceil_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -F.max_pool2d(-x, self.kernel_size, self.stride, self.padding,
                             ceil_mode=self.ceil_mode)


class AvgPool2dSame(nn.Module):
    """Keras 'same' average pooling with uneven padding: the zero padding (left, right, top,
    bottom) is left out of each window's mean, as Keras does."""

    def __init__(self, kernel_size: tuple[int, int], stride: tuple[int, int],
                 pads: list[int], input_size: tuple[int, int]) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride
        self.pads = pads
        self.input_size = input_size
        ones = torch.ones(1, 1, input_size[0], input_size[1])
        share = F.avg_pool2d(F.pad(ones, pads), kernel_size, stride)
        # the fraction of each window that lies on the image; not saved with the weights
        self.register_buffer("share", share, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(F.pad(x, self.pads), self.kernel_size, self.stride) / self.share


class AdaptiveMaxPool2d(nn.Module):
    """Max into a fixed output grid with the windows of nn.AdaptiveMaxPool2d, written with
    slices (rows, then columns) because ONNX has no adaptive max pool."""

    def __init__(self, output_size: tuple[int, int]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows, cols = self.output_size
        height, width = x.shape[2], x.shape[3]
        x = torch.cat([x[:, :, i * height // rows:-(-(i + 1) * height // rows)].amax(
            2, keepdim=True) for i in range(rows)], 2)
        return torch.cat([x[:, :, :, j * width // cols:-(-(j + 1) * width // cols)].amax(
            3, keepdim=True) for j in range(cols)], 3)


class GlobalAvgPool(nn.Module):
    """Mean of each channel over the whole map: (N, C) or, with keepdims, (N, C, 1, 1)."""

    def __init__(self, keepdims: bool = False) -> None:
        super().__init__()
        self.keepdims = keepdims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=[2, 3], keepdim=self.keepdims)


class GlobalMaxPool(nn.Module):
    """Max of each channel over the whole map: (N, C) or, with keepdims, (N, C, 1, 1)."""

    def __init__(self, keepdims: bool = False) -> None:
        super().__init__()
        self.keepdims = keepdims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.amax(dim=[2, 3], keepdim=self.keepdims)


class BatchNormShift(nn.Module):
    """BatchNorm without a learned scale (Keras' scale=False): normalise with the batch (or
    running) statistics, then add a learned shift. Maps (N, C, H, W) and vectors (N, C)."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.num_batches_tracked.add_(1)
        return F.batch_norm(x, self.running_mean, self.running_var, None, self.bias,
                            self.training, self.momentum, self.eps)


class LayerNorm2d(nn.Module):
    """LayerNorm over the channels at each position of a (N, C, H, W) map (ConvNeXt)."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, [x.shape[3]], self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class LayerScale(nn.Module):
    """A learned scale per channel: shape (C, 1, 1) for maps, (C,) for vectors (ConvNeXt)."""

    def __init__(self, shape: tuple[int, ...], init_value: float = 1e-6) -> None:
        super().__init__()
        self.init_value = init_value
        self.scale = nn.Parameter(torch.full(shape, init_value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


class Cropping2d(nn.Module):
    """Remove (top, bottom, left, right) pixels from the borders of a map."""

    def __init__(self, cropping: tuple[int, int, int, int]) -> None:
        super().__init__()
        self.cropping = cropping

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom, left, right = self.cropping
        x = x.narrow(2, top, x.shape[2] - top - bottom)
        return x.narrow(3, left, x.shape[3] - left - right)
