"""Decoding image files and shaping image tensors to the model's input (C, H, W).

Channel rules: grey data into a 3-channel input is repeated; colour data into a 1-channel input
is an error unless ``grey=True`` (images whose three channels are equal count as grey).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from cnnstudio.core.limits import MAX_IMAGE_PIXELS
from cnnstudio.training.errors import DatasetError

# PIL only warns between its MAX_IMAGE_PIXELS and twice that: here a decompression bomb is an
# error (raised by Image.open, or by ``_open`` below, and turned into a DatasetError).
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
_UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError,
               Image.DecompressionBombError, Image.DecompressionBombWarning)

RGB_INTO_GREY_HELP = ("convert the data to grey (tick 'Convert to grey' / --grey) "
                      "or change the Input node to 3 channels")


def _rgb_error(what: str, channels: int) -> DatasetError:
    return DatasetError(f"{what}: the images are in colour (RGB) but the Input node expects "
                        f"{channels} channel: {RGB_INTO_GREY_HELP}")


def _unreadable(path: Path, e: BaseException) -> DatasetError:
    if isinstance(e, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return DatasetError(f"{path}: image too large, a possible decompression bomb (over "
                            f"{MAX_IMAGE_PIXELS:,} pixels); remove it or shrink it")
    return DatasetError(f"{path}: corrupt or unreadable image file ({e}); remove or replace it")


def _open(path: Path) -> Image.Image:
    """Open an image file (header only); a bomb is refused even if warnings were silenced."""
    img = Image.open(path)
    if img.width * img.height > MAX_IMAGE_PIXELS:
        img.close()
        raise Image.DecompressionBombError(f"{img.width} x {img.height} pixels")
    return img


def decode_image(path: Path, shape: tuple[int, int, int], grey: bool = False) -> torch.Tensor:
    """Decode one file to a uint8 (C, H, W) tensor resized to the input's H x W."""
    channels, height, width = shape
    try:
        with _open(path) as img:
            img.load()
            colour = img.mode not in ("1", "L", "LA", "I", "I;16", "F")
            img = img.convert("RGB" if colour else "L")
            if (img.width, img.height) != (width, height):
                img = img.resize((width, height), Image.Resampling.BILINEAR)
            array = np.array(img, dtype=np.uint8)
    except _UNREADABLE as e:
        raise _unreadable(path, e) from e
    if array.ndim == 2:
        array = array[:, :, None]
    if channels == 1 and array.shape[2] == 3:
        if (array[:, :, :1] == array).all():
            array = array[:, :, :1]
        elif grey:
            array = np.asarray(Image.fromarray(array).convert("L"), dtype=np.uint8)[:, :, None]
        else:
            raise _rgb_error(str(path), channels)
    if channels == 3 and array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    if array.shape[2] != channels:
        raise DatasetError(f"{path}: cannot map {array.shape[2]} channels to {channels}")
    return torch.from_numpy(array.transpose(2, 0, 1).copy())


def decode_files(files: Sequence[Path], shape: tuple[int, int, int], grey: bool = False,
                 threads: int = 2) -> torch.Tensor:
    """Decode many files into one uint8 (N, C, H, W) tensor (PIL frees the GIL while decoding)."""
    out = torch.empty((len(files), *shape), dtype=torch.uint8)

    def work(i: int) -> None:
        out[i] = decode_image(files[i], shape, grey)

    if threads <= 1 or len(files) < 64:
        for i in range(len(files)):
            work(i)
    else:
        with ThreadPoolExecutor(threads) as pool:
            for _ in pool.map(work, range(len(files)), chunksize=256):
                pass
    return out


def check_headers(files: Sequence[Path]) -> None:
    """Open each file's header (cheap) so a corrupt file is named before training starts."""
    for path in files:
        try:
            with _open(path) as img:
                img.verify()
        except _UNREADABLE as e:
            raise _unreadable(path, e) from e


def conform_images(images: torch.Tensor, shape: tuple[int, int, int], grey: bool = False,
                   what: str = "data") -> torch.Tensor:
    """Map uint8 (N, C, H, W) images to the input shape: channels, then resize."""
    from torchvision.transforms.v2 import functional as tvf

    channels, height, width = shape
    have = images.shape[1]
    if have != channels:
        if have == 1 and channels == 3:
            images = images.expand(-1, 3, -1, -1)
        elif have == 3 and channels == 1:
            if len(images) and bool((images[:, :1] == images).all()):
                images = images[:, :1]
            elif grey:
                images = tvf.rgb_to_grayscale(images, num_output_channels=1)
            else:
                raise _rgb_error(what, channels)
        else:
            raise DatasetError(f"{what}: images have {have} channels but the Input node "
                               f"expects {channels}")
    if images.shape[-2:] != (height, width):
        chunks = [tvf.resize(part, [height, width], antialias=True)
                  for part in images.split(4096)]
        images = torch.cat(chunks) if chunks else images.new_empty((0, channels, height, width))
    return images.contiguous()
