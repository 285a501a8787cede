"""Built-in dataset names: the bundled MNIST sample, MNIST, Fashion-MNIST, CIFAR-10.

Looked for under ``root``, $CNNSTUDIO_DATA and ~/.cache/cnnstudio/data; downloaded only when
allowed (there is no network on some machines) by ``download_builtin``, through torchvision's
downloader, which checks each file's MD5. A failed download says which files to put where.
"""

from __future__ import annotations

import http.client
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
        raise DatasetError(f"{name}: no local copy found in "
                           f"{', '.join(map(str, data_roots(root)))}; {where_to_put(name, root)}"
                           " (or allow the download: --download)")
    target = download_builtin(name, root)
    return load_idx_folder(target, classes)


def builtin_cifar10(root: str | Path | None, download: bool) -> RawDataset:
    for base in data_roots(root):
        for folder in (base / "cifar10", base / "cifar-10", base / "CIFAR10"):
            if (folder / "train").is_dir() or (folder / "test").is_dir():
                return load_image_folder(folder)
        if (base / "cifar-10-batches-py").is_dir():
            return _torchvision_cifar(base, download=False)
    if not download:
        raise DatasetError(f"cifar10: no local copy found; {where_to_put('cifar10', root)}, or "
                           f"class folders in {data_roots(root)[0] / 'cifar10'}/train and test"
                           " (or allow the download: --download)")
    return _torchvision_cifar(download_builtin("cifar10", root), download=False)


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




#: the names ``download_builtin`` knows, with the spellings ``load_source`` accepts
DOWNLOADS = {"mnist": "mnist", "fashion-mnist": "fashion-mnist", "fashionmnist": "fashion-mnist",
             "fashion_mnist": "fashion-mnist", "cifar10": "cifar10", "cifar-10": "cifar10"}


def _torchvision_class(name: str) -> Any:
    import torchvision.datasets as tvd

    return {"mnist": tvd.MNIST, "fashion-mnist": tvd.FashionMNIST, "cifar10": tvd.CIFAR10}[name]


def where_to_put(name: str, root: str | Path | None = None) -> str:
    """Which files go in which folder for a copy made by hand (offline)."""
    base = data_roots(root)[0]
    cls = _torchvision_class(name)
    if name == "cifar10":
        return (f"extract {cls.filename} ({cls.url}) into {base}, giving {base / cls.base_folder}"
                "/ with data_batch_1 ... data_batch_5, test_batch and batches.meta")
    files = [file for file, _ in cls.resources]
    return (f"put {', '.join(files[:-1])} and {files[-1]} (from {cls.mirrors[0]}) in "
            f"{base / ('mnist' if name == 'mnist' else 'fashion-mnist')}/")


def download_builtin(name: str, root: str | Path | None = None,
                     progress: Callable[[dict[str, Any]], None] | None = None,
                     cancel: threading.Event | None = None) -> Path:
    """Download mnist, fashion-mnist or cifar10 into ``root`` (default: the first of
    ``data_roots``) with torchvision's downloader (each file's MD5 checked; a file already
    there and intact is kept) and return the folder the loader reads. ``progress`` gets
    ``{"event": "download", "file", "index", "files"}`` before each file; ``cancel`` is checked
    between files. Failures raise DatasetError saying which files to put where."""
    from torchvision.datasets.utils import download_and_extract_archive

    key = DOWNLOADS.get(str(name).lower())
    if key is None:
        raise DatasetError(f"{name}: only {', '.join(sorted(set(DOWNLOADS.values())))} can be "
                           "downloaded")
    base = data_roots(root)[0]
    cls = _torchvision_class(key)
    if key == "cifar10":
        folder, jobs = base, [(cls.filename, cls.tgz_md5, [cls.url])]
    else:
        folder = base / cls.__name__ / "raw"
        jobs = [(file, md5, [mirror + file for mirror in cls.mirrors])
                for file, md5 in cls.resources]
    for index, (file, md5, urls) in enumerate(jobs):
        if cancel is not None and cancel.is_set():
            break
        if progress is not None:
            progress({"event": "download", "file": file, "index": index, "files": len(jobs)})
        errors = []
        for url in urls:  # the mirrors in turn, as torchvision does
            try:
                download_and_extract_archive(url, str(folder), filename=file, md5=md5)
            except (OSError, RuntimeError, ValueError, http.client.HTTPException) as exc:
                errors.append(f"{url}: {(str(exc).strip().splitlines() or [repr(exc)])[0]}")
                continue
            break
        else:
            raise DatasetError(f"{key}: downloading {file} into {folder} failed "
                               f"({'; '.join(errors)}). Offline, {where_to_put(key, root)}")
    return folder
