"""Built-in dataset names: the bundled MNIST sample, MNIST, Fashion-MNIST, CIFAR-10.

Looked for under ``root``, $CNNSTUDIO_DATA and ~/.cache/cnnstudio/data; downloaded through
torchvision only when allowed (there is no network on some machines).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from cnnstudio.training.datasets import (
    CIFAR10_CLASSES,
    FASHION_CLASSES,
    ArrayData,
    RawDataset,
    find_idx_folder,
    load_idx_folder,
    load_image_folder,
)
from cnnstudio.training.errors import DatasetError


def sample_dir() -> Path:
    """The bundled MNIST test digits (``cnnstudio/resources/data/mnist-test``)."""
    from importlib.resources import files

    return Path(str(files("cnnstudio.resources").joinpath("data", "mnist-test")))


def data_roots(root: str | Path | None = None) -> list[Path]:
    """Where built-in datasets are looked for: ``root``, $CNNSTUDIO_DATA, the user cache."""
    roots = [Path(root)] if root else []
    if os.environ.get("CNNSTUDIO_DATA"):
        roots.append(Path(os.environ["CNNSTUDIO_DATA"]))
    roots.append(Path.home() / ".cache" / "cnnstudio" / "data")
    return roots


def builtin_idx(name: str, root: str | Path | None, download: bool) -> RawDataset:
    classes = FASHION_CLASSES if name == "fashion-mnist" else [str(i) for i in range(10)]
    subdirs = ["fashion-mnist", "fashion_mnist", "FashionMNIST"] if name == "fashion-mnist" \
        else ["mnist", "MNIST"]
    for base in data_roots(root):
        candidates = [base / s for s in subdirs]
        if name == "mnist" or (root and base == Path(root)):
            candidates.append(base)  # a root given by the user may hold the files itself
        for folder in candidates:
            if (base / "FashionMNIST").is_dir() and name == "mnist" and folder == base:
                continue
            if folder.is_dir() and find_idx_folder(folder) is not None:
                return load_idx_folder(folder, classes)
    if not download:
        raise DatasetError(f"{name}: no local copy found in {', '.join(map(str, data_roots(root)))}"
                           f" (put the four IDX files in <root>/{subdirs[0]}/, or allow download)")
    import torchvision.datasets as tvd

    target = data_roots(root)[0]
    cls = tvd.FashionMNIST if name == "fashion-mnist" else tvd.MNIST
    try:
        for train in (True, False):
            cls(str(target), train=train, download=True)
    except Exception as e:  # network errors come in many types
        raise DatasetError(f"{name}: download into {target} failed ({e})") from e
    return load_idx_folder(target / cls.__name__ / "raw", classes)


def builtin_cifar10(root: str | Path | None, download: bool) -> RawDataset:
    for base in data_roots(root):
        for folder in (base / "cifar10", base / "cifar-10", base / "CIFAR10"):
            if (folder / "train").is_dir() or (folder / "test").is_dir():
                return load_image_folder(folder)
        if (base / "cifar-10-batches-py").is_dir():
            return _torchvision_cifar(base, download=False)
    if not download:
        raise DatasetError("cifar10: no local copy found (put class folders in "
                           f"{data_roots(root)[0]}/cifar10/train and test, or allow download)")
    return _torchvision_cifar(data_roots(root)[0], download=True)


def _torchvision_cifar(base: Path, download: bool) -> RawDataset:
    """torchvision's CIFAR10 checks the MD5 of each pickled batch before reading it."""
    import torchvision.datasets as tvd

    parts = []
    try:
        for train in (True, False):
            ds = tvd.CIFAR10(str(base), train=train, download=download)
            images = torch.from_numpy(np.ascontiguousarray(ds.data.transpose(0, 3, 1, 2)))
            labels = torch.tensor(ds.targets, dtype=torch.int64)
            parts.append(ArrayData(images, labels, list(CIFAR10_CLASSES), str(base)))
    except Exception as e:
        raise DatasetError(f"cifar10: cannot load from {base} ({e})") from e
    return RawDataset(parts[0], parts[1])


