"""What the playground works on: sample images, image files and preset kernels (no Qt here).

Images are (H, W) float64 grey values in 0..1, and for a colour image also its (3, H, W) red,
green and blue values (``Picture``): a filter over three input channels works on those, a
single kernel on the grey. The samples are the first test digit of each class from the
bundled MNIST digits (``resources/data/mnist-test``), one drawn pattern of edges and the same
pattern in colour; a file is read like the image loaders read theirs (a regular file, at most
``MAX_IMAGE_PIXELS`` pixels, checked before decoding), and one larger than ``MAX_SIDE``
pixels is shrunk so that the arithmetic stays instant.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cnnstudio.core.limits import MAX_IMAGE_PIXELS, InputLimitError, regular_file_size
from cnnstudio.resources import resource_path

MAX_SIDE = 256
COLOUR_PATTERN = "Colour pattern (red square, green disc, blue bar)"
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"

#: name -> 3x3 kernel (rows of numbers): the presets of every image-processing course
PRESETS: dict[str, list[list[float]]] = {
    "Edge": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "Vertical edge": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "Horizontal edge": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "Sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "Blur": [[1 / 9] * 3] * 3,
    "Gaussian blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16],
                      [1 / 16, 2 / 16, 1 / 16]],
    "Emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    "Identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
}


def pattern(size: int = 48) -> np.ndarray:
    """A square, a disc and a diagonal bar on black: edges in every direction."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    image = np.zeros((size, size))
    image[size // 8:size // 2, size // 8:size // 2] = 1.0
    image[(y - 0.7 * size) ** 2 + (x - 0.7 * size) ** 2 < (0.2 * size) ** 2] = 0.75
    image[np.abs(y - (size - 1 - x)) < size / 24] = 0.5
    return image


def colour_pattern(size: int = 48) -> np.ndarray:
    """The pattern in colour, (3, H, W): a red square, a green disc and a blue bar on black,
    each also a little in the other channels, so each channel of a filter sees something."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    image = np.zeros((3, size, size))
    image[:, size // 8:size // 2, size // 8:size // 2] = np.array([1.0, 0.2, 0.1])[:, None, None]
    disc = (y - 0.7 * size) ** 2 + (x - 0.7 * size) ** 2 < (0.2 * size) ** 2
    image[:, disc] = np.array([0.1, 0.8, 0.3])[:, None]
    bar = np.abs(y - (size - 1 - x)) < size / 24
    image[:, bar] = np.array([0.2, 0.3, 1.0])[:, None]
    return image


def grey(rgb: np.ndarray) -> np.ndarray:
    """(3, H, W) -> (H, W): the luminance PIL's "L" mode computes (ITU-R 601-2)."""
    return np.asarray(np.tensordot(np.array([0.299, 0.587, 0.114]), rgb, axes=1), np.float64)


@dataclass(frozen=True)
class Picture:
    """An image: ``grey`` (H, W) in 0..1 and, for a colour one, ``rgb`` (3, H, W)."""

    grey: np.ndarray
    rgb: np.ndarray | None = None


@cache
def _digits() -> tuple[np.ndarray, ...]:
    from cnnstudio.training.arrayfiles import read_idx  # NumPy only, no torch

    folder = resource_path("data/mnist-test")
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    return tuple(images[int(np.flatnonzero(labels == d)[0])] / 255.0 for d in range(10))


def sample_names() -> list[str]:
    return ["Pattern (square, disc, bar)", COLOUR_PATTERN,
            *(f"MNIST digit {d}" for d in range(10))]


def sample(name: str) -> np.ndarray:
    """The named sample image, grey (see ``sample_names``)."""
    return sample_picture(name).grey


def sample_picture(name: str) -> Picture:
    """The named sample image, with its colours for the colour pattern."""
    if name.startswith("MNIST digit "):
        return Picture(np.array(_digits()[int(name.rsplit(" ", 1)[1])], dtype=np.float64))
    if name == COLOUR_PATTERN:
        rgb = colour_pattern()
        return Picture(grey(rgb), rgb)
    return Picture(pattern())


def load_image(path: str | Path) -> tuple[np.ndarray, str]:
    """A file as a grey (H, W) array in 0..1 and a note ("" or how it was shrunk);
    ``ValueError`` naming the file when it cannot be used."""
    picture, note = load_picture(path)
    return picture.grey, note


def load_picture(path: str | Path) -> tuple[Picture, str]:
    """A file as a ``Picture`` (its colours kept unless its three channels are the same) and
    a note ("" or how it was shrunk); ``ValueError`` naming the file when it cannot be
    used."""
    path = Path(path)
    try:
        regular_file_size(path)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    raise InputLimitError(f"{img.width} x {img.height} pixels is over the "
                                          f"limit of {MAX_IMAGE_PIXELS:,}")
                img.load()
                grey = img.convert("L")
                colour = None if img.mode in ("1", "L", "LA", "I", "F") else img.convert("RGB")
    except (InputLimitError, UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(f"{path}: cannot be used as an image ({exc})") from None
    note = ""
    if max(grey.size) > MAX_SIDE:
        note = f"shrunk from {grey.width} x {grey.height}"
        grey.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        if colour is not None:
            colour.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    rgb = None
    if colour is not None:
        rgb = np.moveaxis(np.asarray(colour, dtype=np.float64) / 255.0, -1, 0)
        if np.array_equal(rgb[0], rgb[1]) and np.array_equal(rgb[1], rgb[2]):
            rgb = None  # a grey picture saved as colour
    return Picture(np.asarray(grey, dtype=np.float64) / 255.0, rgb), note
