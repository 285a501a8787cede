"""Per-batch preprocessing on the training device: uint8 -> float, augment, normalise.

Augmentations are given as strings, ``name`` or ``name:value``:

- ``crop:P``    random crop after zero padding by P pixels (default 4)
- ``hflip``     horizontal flip with probability 0.5
- ``rotate:D``  rotation by a random angle in [-D, D] degrees (default 10)
- ``jitter:S``  colour jitter: brightness, contrast (and saturation for RGB) factors in [1-S, 1+S]
- ``erase:P``   random erasing of one rectangle with probability P (default 0.5), after normalising

torchvision.transforms.v2 draws one set of random parameters per call, so on a whole batch it
would crop, flip or rotate every image the same way. These ops draw parameters per image and run
vectorised on the batch; flips use ``torchvision.transforms.v2.functional``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from cnnstudio.training.augment_spec import AUGMENTATIONS, parse_augment
from cnnstudio.training.data import Preprocess

__all__ = ["AUGMENTATIONS", "BatchTransform", "parse_augment"]

def random_crop(x: torch.Tensor, pad: int, g: torch.Generator) -> torch.Tensor:
    b, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    oy = torch.randint(0, 2 * pad + 1, (b, 1), generator=g, device=x.device)
    ox = torch.randint(0, 2 * pad + 1, (b, 1), generator=g, device=x.device)
    rows = oy + torch.arange(h, device=x.device)
    cols = ox + torch.arange(w, device=x.device)
    out = padded.gather(2, rows[:, None, :, None].expand(b, c, h, w + 2 * pad))
    return out.gather(3, cols[:, None, None, :].expand(b, c, h, w))


def random_hflip(x: torch.Tensor, p: float, g: torch.Generator) -> torch.Tensor:
    from torchvision.transforms.v2 import functional as tvf

    flip = torch.rand(x.shape[0], generator=g, device=x.device) < p
    return torch.where(flip[:, None, None, None], tvf.horizontal_flip(x), x)


def random_rotate(x: torch.Tensor, degrees: float, g: torch.Generator) -> torch.Tensor:
    b, _, h, w = x.shape
    angle = (torch.rand(b, generator=g, device=x.device) * 2 - 1) * math.radians(degrees)
    cos, sin = angle.cos(), angle.sin()
    theta = torch.zeros(b, 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0], theta[:, 0, 1] = cos, -sin * h / w
    theta[:, 1, 0], theta[:, 1, 1] = sin * w / h, cos
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def colour_jitter(x: torch.Tensor, strength: float, g: torch.Generator) -> torch.Tensor:
    b = x.shape[0]

    def factor() -> torch.Tensor:
        f = 1 + (torch.rand(b, generator=g, device=x.device) * 2 - 1) * strength
        return f[:, None, None, None]

    x = x * factor()
    grey = x.mean(1, keepdim=True) if x.shape[1] == 1 else (
        0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
    mean = grey.mean((2, 3), keepdim=True)
    x = (x - mean) * factor() + mean
    if x.shape[1] == 3:
        grey = 0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
        x = (x - grey) * factor() + grey
    return x.clamp(0, 1)


def random_erase(x: torch.Tensor, p: float, g: torch.Generator) -> torch.Tensor:
    b, _, h, w = x.shape
    dev = x.device
    area = (0.02 + torch.rand(b, generator=g, device=dev) * 0.31) * h * w
    log_ratio = (torch.rand(b, generator=g, device=dev) * 2 - 1) * math.log(3.3)
    ratio = log_ratio.exp()
    eh = (area * ratio).sqrt().round().clamp(1, h)
    ew = (area / ratio).sqrt().round().clamp(1, w)
    top = (torch.rand(b, generator=g, device=dev) * (h - eh + 1)).floor()
    left = (torch.rand(b, generator=g, device=dev) * (w - ew + 1)).floor()
    on = torch.rand(b, generator=g, device=dev) < p
    ys = torch.arange(h, device=dev)[None, :]
    xs = torch.arange(w, device=dev)[None, :]
    in_y = (ys >= top[:, None]) & (ys < (top + eh)[:, None])
    in_x = (xs >= left[:, None]) & (xs < (left + ew)[:, None])
    mask = in_y[:, :, None] & in_x[:, None, :] & on[:, None, None]
    return x.masked_fill(mask[:, None], 0.0)


class BatchTransform:
    """uint8 batch on the device -> normalised float batch, with training augmentation."""

    def __init__(self, prep: Preprocess, augment: list[str], device: torch.device,
                 channels_last: bool = False, seed: int = 0) -> None:
        self.ops = parse_augment(augment)
        self.device = device
        self.channels_last = channels_last
        shape = (1, len(prep.mean), 1, 1)
        mean = torch.tensor(prep.mean, dtype=torch.float32).view(shape)
        std = torch.tensor(prep.std, dtype=torch.float32).view(shape)
        # x/255 then (x - mean) / std, folded into one multiply-add
        self.scale = (1.0 / (255.0 * std)).to(device)
        self.shift = (-mean / std).to(device)
        self.generator = torch.Generator(device=device)
        self.seed = seed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        self.generator.manual_seed(self.seed * 1_000_003 + epoch + 17)

    def __call__(self, x: torch.Tensor, train: bool = False) -> torch.Tensor:
        g = self.generator
        pre = [op for op in self.ops if op[0] != "erase"] if train else []
        if pre:
            x = x.float().div_(255.0)
            for name, value in pre:
                if name == "crop":
                    x = random_crop(x, int(value), g)
                elif name == "hflip":
                    x = random_hflip(x, value, g)
                elif name == "rotate":
                    x = random_rotate(x, value, g)
                elif name == "jitter":
                    x = colour_jitter(x, value, g)
            x = x.mul(self.scale * 255.0).add_(self.shift)
        else:
            x = torch.addcmul(self.shift, x.float(), self.scale)
        if train:
            for name, value in self.ops:
                if name == "erase":
                    x = random_erase(x, value, g)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x
