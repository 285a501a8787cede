"""Fixtures for the training tests: small models and synthetic image data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn


def small_cnn(channels: int = 1, classes: int = 10, size: int = 28) -> nn.Module:
    """conv32 3x3, pool, conv32 3x3, pool, dense128, dense10 (the field notes' MNIST CNN)."""
    side = ((size - 2) // 2 - 2) // 2
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(32 * side * side, 128), nn.ReLU(), nn.Linear(128, classes))


def tiny_net(channels: int = 1, classes: int = 4, size: int = 8) -> nn.Module:
    return nn.Sequential(nn.Conv2d(channels, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * size * size, classes))


@pytest.fixture
def make_small_cnn() -> Callable[..., nn.Module]:
    return small_cnn


@pytest.fixture
def make_tiny_net() -> Callable[..., nn.Module]:
    return tiny_net


@pytest.fixture
def blobs():
    """A learnable synthetic RawDataset: 4 classes of 8x8 grey images (brightness quadrant)."""
    from cnnstudio.training.datasets import ArrayData, RawDataset

    g = torch.Generator().manual_seed(0)
    n = 400
    labels = torch.arange(n) % 4
    images = torch.randint(0, 60, (n, 1, 8, 8), generator=g, dtype=torch.uint8)
    for k in range(4):
        r, c = divmod(k, 2)
        sel = labels == k
        images[sel, :, r * 4:(r + 1) * 4, c * 4:(c + 1) * 4] += 150
    return RawDataset(ArrayData(images, labels, ["a", "b", "c", "d"], "blobs"), None)
