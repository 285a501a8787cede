"""Reading datasets from disk: IDX files, image folders, NumPy .npz and the built-in names.

Everything here returns raw data: ``ArrayData`` (a uint8 tensor already in memory) or
``FileData`` (a list of image files, decoded later). Shaping to the model input, splitting and
batching live in ``data.py``. No pickles are read except torchvision's CIFAR-10 batches after
their MD5 sums have been checked.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnstudio.core.limits import is_inside
from cnnstudio.training.arrayfiles import (
    check_finite,
    check_labels,
    read_idx,
    read_npz,
)
from cnnstudio.training.config import BUILTIN_NAMES
from cnnstudio.training.errors import DatasetError

__all__ = ["ArrayData", "FileData", "RawDataset", "load_idx_folder", "load_image_folder",
           "load_npz", "load_source", "read_idx", "scan_image_folder"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck"]


@dataclass
class ArrayData:
    """Images already decoded: uint8 (N, C, H, W) and int64 labels (N,)."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    source: str

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass
class FileData:
    """Image files not yet decoded, with their class index."""

    files: list[Path]
    labels: list[int]
    classes: list[str]
    source: str
    skipped_links: int = 0  # symbolic links leading outside the dataset folder, not followed

    def __len__(self) -> int:
        return len(self.files)


@dataclass
class RawDataset:
    """A training part and, when the source has one, its own test part."""

    train: ArrayData | FileData
    test: ArrayData | FileData | None = None


# ---------------------------------------------------------------- IDX
def _find_file(folder: Path, stem: str) -> Path | None:
    """``train-images-idx3-ubyte`` also matches ``train-images.idx3-ubyte`` and ``.gz``."""
    variants = {stem, stem.replace("-idx", ".idx")}
    for name in variants:
        for suffix in ("", ".gz"):
            candidate = folder / (name + suffix)
            if candidate.is_file():
                if not is_inside(candidate, folder):
                    raise DatasetError(f"{candidate}: a symbolic link to "
                                       f"{candidate.resolve()}, outside the dataset folder "
                                       f"{folder}; links leading out are not followed: copy "
                                       "the file in, or give the folder it lives in")
                return candidate
    return None


def find_idx_folder(root: Path) -> Path | None:
    """The folder under ``root`` holding IDX files (plain, torchvision raw layout)."""
    candidates = [root, root / "raw"] + [root / n / "raw" for n in ("MNIST", "FashionMNIST")]
    for folder in candidates:
        if _find_file(folder, "t10k-images-idx3-ubyte") or _find_file(
                folder, "train-images-idx3-ubyte"):
            return folder
    return None


def _idx_part(folder: Path, prefix: str, classes: list[str] | None) -> ArrayData | None:
    images_path = _find_file(folder, f"{prefix}-images-idx3-ubyte")
    labels_path = _find_file(folder, f"{prefix}-labels-idx1-ubyte")
    if images_path is None and labels_path is None:
        return None
    if images_path is None or labels_path is None:
        missing = "images" if images_path is None else "labels"
        raise DatasetError(f"{folder}: found {prefix} IDX files but not the {missing} file")
    images = read_idx(images_path)
    raw_labels = read_idx(labels_path)
    if images.ndim != 3 or raw_labels.ndim != 1 or len(images) != len(raw_labels):
        raise DatasetError(f"{images_path}: expected (N, H, W) images and N labels, got "
                           f"{images.shape} and {raw_labels.shape}")
    check_finite(images, images_path, "images")
    labels = check_labels(raw_labels, labels_path, "labels",
                          classes=len(classes) if classes else None)
    names = classes or [str(i) for i in range(int(labels.max(initial=0)) + 1)]
    tensor = torch.from_numpy(images.astype(np.uint8, copy=True)).unsqueeze(1)
    return ArrayData(tensor, torch.from_numpy(labels.copy()), names, str(images_path))


def load_idx_folder(folder: str | Path, classes: list[str] | None = None) -> RawDataset:
    """Read ``train-*`` and ``t10k-*`` IDX files from a folder (either may be missing)."""
    root = Path(folder)
    found = find_idx_folder(root)
    if found is None:
        raise DatasetError(f"{root}: no IDX files (train-images-idx3-ubyte[.gz] ...) found")
    train = _idx_part(found, "train", classes)
    test = _idx_part(found, "t10k", classes)
    if train is None:
        assert test is not None
        return RawDataset(test, None)
    return RawDataset(train, test)


# ---------------------------------------------------------------- image folders
def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def _walk_images(folder: Path, top: Path) -> tuple[list[Path], int]:
    """Image files under ``folder``; symbolic links are followed only while inside ``top``."""
    files: list[Path] = []
    skipped = 0
    seen: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        here = Path(dirpath)
        real = here.resolve()
        if real in seen:  # a link back up the tree: walk each folder once
            dirnames[:] = []
            continue
        seen.add(real)
        outside = [d for d in dirnames if (here / d).is_symlink() and not is_inside(here / d, top)]
        skipped += len(outside)
        dirnames[:] = sorted(d for d in dirnames if d not in outside)
        for name in filenames:
            path = here / name
            if not is_image_file(path):
                continue
            if path.is_symlink() and not is_inside(path, top):
                skipped += 1
            elif path.is_file():
                files.append(path)
    return sorted(files), skipped


def scan_image_folder(root: str | Path, top: str | Path | None = None) -> FileData:
    """List ``root/<class>/<image>`` files; an empty class folder is an error.

    Symbolic links that resolve outside ``top`` (default ``root``) are not followed: they are
    counted in ``FileData.skipped_links`` and reported in one warning.
    """
    root = Path(root)
    bound = Path(top) if top is not None else root
    if not root.is_dir():
        raise DatasetError(f"{root}: folder not found")
    classes: list[str] = []
    skipped = 0
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.is_dir():
            if entry.is_symlink() and not is_inside(root / entry.name, bound):
                skipped += 1
            else:
                classes.append(entry.name)
    if not classes:
        raise DatasetError(f"{root}: no class folders (expected {root}/<class>/<image>)")
    files: list[Path] = []
    labels: list[int] = []
    for index, name in enumerate(classes):
        folder = root / name
        images, outside = _walk_images(folder, bound)
        skipped += outside
        if not images:
            raise DatasetError(f"{folder}: class folder '{name}' holds no images "
                               f"({', '.join(IMAGE_EXTENSIONS)}); remove it or add images")
        files.extend(images)
        labels.extend([index] * len(images))
    if skipped:
        warnings.warn(f"{root}: skipped {skipped} symbolic link(s) leading outside the dataset "
                      f"folder {bound} (links out are not followed; copy those files in)",
                      UserWarning, stacklevel=2)
    return FileData(files, labels, classes, str(root), skipped)


def load_image_folder(root: str | Path) -> RawDataset:
    """An image folder, or one with ``train/`` and ``test/`` (or ``val/``) image folders."""
    root = Path(root)
    train_dir = root / "train"
    test_dir = next((root / n for n in ("test", "val") if (root / n).is_dir()), None)
    if train_dir.is_dir() and test_dir is not None:
        train, test = scan_image_folder(train_dir, root), scan_image_folder(test_dir, root)
        if test.classes != train.classes:
            raise DatasetError(f"{test_dir}: class folders differ from {train_dir}")
        return RawDataset(train, test)
    return RawDataset(scan_image_folder(root), None)


# ---------------------------------------------------------------- npz
def _npz_images(x: np.ndarray, path: Path, key: str) -> torch.Tensor:
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
        x = x.transpose(0, 3, 1, 2)
    elif not (x.ndim == 4 and x.shape[1] in (1, 3, 4)):
        raise DatasetError(f"{path}: '{key}' has shape {x.shape}; expected (N,H,W), "
                           "(N,H,W,C) or (N,C,H,W) with C in 1, 3, 4")
    check_finite(x, path, key)
    if x.dtype == np.uint8:
        pass
    elif np.issubdtype(x.dtype, np.floating):
        if x.size and (x.min() < 0 or x.max() > 1.0 + 1e-6):
            raise DatasetError(f"{path}: float '{key}' must hold values in [0, 1]")
        x = np.rint(x * 255.0).astype(np.uint8)
    elif np.issubdtype(x.dtype, np.integer):
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DatasetError(f"{path}: integer '{key}' must hold values in [0, 255]")
        x = x.astype(np.uint8)
    else:
        raise DatasetError(f"{path}: '{key}' has unsupported dtype {x.dtype}")
    if x.shape[1] == 4:
        x = x[:, :3]  # drop alpha
    return torch.from_numpy(np.ascontiguousarray(x))


def load_npz(path: str | Path) -> RawDataset:
    """``x`` (images) and ``y`` (labels); optional ``x_test``/``y_test`` and ``classes``."""
    path = Path(path)
    arrays = read_npz(path)
    if "x" not in arrays or "y" not in arrays:
        raise DatasetError(f"{path}: .npz must hold arrays 'x' and 'y' "
                           f"(found {', '.join(arrays) or 'none'})")
    x = _npz_images(arrays["x"], path, "x")
    y = torch.from_numpy(check_labels(arrays["y"], path, "y", len(x)))
    test = None
    if "x_test" in arrays and "y_test" in arrays:
        xt = _npz_images(arrays["x_test"], path, "x_test")
        test_labels = torch.from_numpy(check_labels(arrays["y_test"], path, "y_test", len(xt)))
        test = (xt, test_labels)
    top = int(max(y.max().item() if len(y) else 0,
                  test[1].max().item() if test and len(test[1]) else 0))
    classes = [str(c) for c in arrays["classes"]] if "classes" in arrays else [
        str(i) for i in range(top + 1)]
    if top >= len(classes):
        raise DatasetError(f"{path}: label {top} but only {len(classes)} class names")
    train_data = ArrayData(x, y, classes, str(path))
    test_data = ArrayData(test[0], test[1], classes, str(path)) if test else None
    return RawDataset(train_data, test_data)


def load_source(source: str | Path, root: str | Path | None = None,
                download: bool = False) -> RawDataset:
    """Read a built-in dataset by name, or a path: IDX folder, image folder or .npz file."""
    from cnnstudio.training.builtin import builtin_cifar10, builtin_idx, sample_dir

    name = str(source).lower()
    if name == "mnist-sample":
        return RawDataset(load_idx_folder(sample_dir()).train, None)
    if name in ("mnist", "fashion-mnist", "fashionmnist", "fashion_mnist"):
        return builtin_idx("mnist" if name == "mnist" else "fashion-mnist", root, download)
    if name in ("cifar10", "cifar-10"):
        return builtin_cifar10(root, download)
    path = Path(source)
    if path.suffix.lower() == ".npz" and os.path.lexists(path) and not path.is_dir():
        return load_npz(path)  # refuses what is not a regular file, naming it
    if path.is_dir():
        if find_idx_folder(path) is not None:
            return load_idx_folder(path)
        return load_image_folder(path)
    raise DatasetError(f"{source}: not a dataset name ({', '.join(BUILTIN_NAMES)}), "
                       "an existing folder or an .npz file")
