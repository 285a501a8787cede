"""Reading datasets from disk: IDX files, image folders, NumPy .npz and the built-in names.

Everything here returns raw data: ``ArrayData`` (a uint8 tensor already in memory) or
``FileData`` (a list of image files, decoded later). Shaping to the model input, splitting and
batching live in ``data.py``. No pickles are read except torchvision's CIFAR-10 batches after
their MD5 sums have been checked.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from cnnstudio.training.config import BUILTIN_NAMES
from cnnstudio.training.errors import DatasetError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck"]
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


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

    def __len__(self) -> int:
        return len(self.files)


@dataclass
class RawDataset:
    """A training part and, when the source has one, its own test part."""

    train: ArrayData | FileData
    test: ArrayData | FileData | None = None


# ---------------------------------------------------------------- IDX
def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzipped or not) into a NumPy array."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DatasetError(f"{path}: cannot read IDX file ({e})") from e
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise DatasetError(f"{path}: not an IDX file (bad magic number)")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(data) - offset != expected:
        raise DatasetError(f"{path}: IDX file truncated or corrupt "
                           f"({len(data) - offset} bytes of data, header says {expected})")
    return np.frombuffer(data, dtype=dtype, offset=offset).reshape(dims)


def _find_file(folder: Path, stem: str) -> Path | None:
    """``train-images-idx3-ubyte`` also matches ``train-images.idx3-ubyte`` and ``.gz``."""
    variants = {stem, stem.replace("-idx", ".idx")}
    for name in variants:
        for suffix in ("", ".gz"):
            candidate = folder / (name + suffix)
            if candidate.is_file():
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
    labels = read_idx(labels_path).astype(np.int64)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetError(f"{images_path}: expected (N, H, W) images and N labels, got "
                           f"{images.shape} and {labels.shape}")
    names = classes or [str(i) for i in range(int(labels.max()) + 1)]
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


def scan_image_folder(root: str | Path) -> FileData:
    """List ``root/<class>/<image>`` files; an empty class folder is an error."""
    from torchvision.datasets.folder import find_classes

    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: folder not found")
    try:
        classes, class_to_idx = find_classes(str(root))
    except FileNotFoundError as e:
        raise DatasetError(f"{root}: no class folders (expected {root}/<class>/<image>)") from e
    files: list[Path] = []
    labels: list[int] = []
    for name in classes:
        folder = root / name
        images = sorted(p for p in folder.rglob("*") if p.is_file() and is_image_file(p))
        if not images:
            raise DatasetError(f"{folder}: class folder '{name}' holds no images "
                               f"({', '.join(IMAGE_EXTENSIONS)}); remove it or add images")
        files.extend(images)
        labels.extend([class_to_idx[name]] * len(images))
    return FileData(files, labels, list(classes), str(root))


def load_image_folder(root: str | Path) -> RawDataset:
    """An image folder, or one with ``train/`` and ``test/`` (or ``val/``) image folders."""
    root = Path(root)
    train_dir = root / "train"
    test_dir = next((root / n for n in ("test", "val") if (root / n).is_dir()), None)
    if train_dir.is_dir() and test_dir is not None:
        train, test = scan_image_folder(train_dir), scan_image_folder(test_dir)
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


def _npz_labels(y: np.ndarray, path: Path, key: str, n: int) -> torch.Tensor:
    if y.ndim == 2:
        y = y.argmax(axis=1)  # one-hot
    if y.ndim != 1 or len(y) != n or not np.issubdtype(y.dtype, np.integer):
        raise DatasetError(f"{path}: '{key}' must be {n} integer labels, got {y.shape} {y.dtype}")
    if y.size and y.min() < 0:
        raise DatasetError(f"{path}: '{key}' holds negative labels")
    return torch.from_numpy(y.astype(np.int64))


def load_npz(path: str | Path) -> RawDataset:
    """``x`` (images) and ``y`` (labels); optional ``x_test``/``y_test`` and ``classes``."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError) as e:
        raise DatasetError(f"{path}: cannot read .npz ({e})") from e
    if "x" not in arrays or "y" not in arrays:
        raise DatasetError(f"{path}: .npz must hold arrays 'x' and 'y' "
                           f"(found {', '.join(arrays) or 'none'})")
    x = _npz_images(arrays["x"], path, "x")
    y = _npz_labels(arrays["y"], path, "y", len(x))
    test = None
    if "x_test" in arrays and "y_test" in arrays:
        xt = _npz_images(arrays["x_test"], path, "x_test")
        test_labels = _npz_labels(arrays["y_test"], path, "y_test", len(xt))
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
    if path.is_file() and path.suffix.lower() == ".npz":
        return load_npz(path)
    if path.is_dir():
        if find_idx_folder(path) is not None:
            return load_idx_folder(path)
        return load_image_folder(path)
    raise DatasetError(f"{source}: not a dataset name ({', '.join(BUILTIN_NAMES)}), "
                       "an existing folder or an .npz file")
