"""What the run-workspace tests share: a tiny design and a two-class dataset it learns in a
couple of epochs, so real runs are trained in a second or two."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph


def design(kernel: int = 3) -> Graph:
    """Input 1x8x8 -> conv (4 filters) -> global average pool -> fc (2 classes)."""
    b = GraphBuilder()
    x = b.input(1, 8, 8)
    x = b.add("Conv2d", x, name="conv", filters=4, kernel=kernel, activation="relu")
    x = b.add("GlobalAvgPool", x, name="pool")
    b.add("Dense", x, name="fc", units=2)
    return b.graph


def blobs(path: Path) -> Path:
    """Two classes told apart by brightness, saved as an .npz at ``path``."""
    rng = np.random.default_rng(0)
    y = np.arange(200) % 2
    x = (rng.random((200, 8, 8)) * 60 + y[:, None, None] * 150).astype(np.uint8)
    np.savez(path, x=x, y=y)
    return path


def quadrants(path: Path) -> Path:
    """Four classes, one bright quadrant each, 200 1x8x8 images saved as an .npz at ``path``
    (the sweep tests: learnable in an epoch, with room between good and bad settings)."""
    rng = np.random.default_rng(0)
    y = np.arange(200) % 4
    x = rng.integers(0, 60, (200, 8, 8)).astype(np.uint8)
    for k in range(4):
        r, c = divmod(k, 2)
        x[y == k, r * 4:(r + 1) * 4, c * 4:(c + 1) * 4] += 150
    np.savez(path, x=x, y=y)
    return path
