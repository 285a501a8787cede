"""Preparing data for a run: shape to the input, split by seed, normalise, check, batch.

``prepare_data`` turns a source (built-in name, folder or .npz) into ``PreparedData`` with
train/val/test parts. Data that fits in memory becomes one uint8 (N, C, H, W) tensor batched by
random permutation on the training device (``TensorBatches``); larger image folders stream
through a DataLoader (``FileBatches``). Both yield uint8 images and int64 labels on the device;
``augment.BatchTransform`` then converts, augments and normalises each batch there.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from cnnstudio.training.datasets import ArrayData, FileData, RawDataset, load_source
from cnnstudio.training.errors import DatasetError
from cnnstudio.training.images import check_headers, conform_images, decode_files, decode_image

Part = ArrayData | FileData


@dataclass
class Preprocess:
    """What the model expects: input shape, per-channel mean/std (0..1 scale), class names."""

    input_shape: tuple[int, int, int]
    mean: list[float]
    std: list[float]
    classes: list[str]
    grey: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocess:
        data = dict(data)
        data["input_shape"] = tuple(data["input_shape"])
        return cls(**data)


@dataclass
class PreparedData:
    train: Part
    val: Part | None
    test: Part | None
    preprocess: Preprocess
    source: str = ""  # the name or path it was prepared from (paths made absolute)
    root: str = ""  # the folder a built-in name was read from ("" for the default)

    @property
    def num_classes(self) -> int:
        return len(self.preprocess.classes)

    @property
    def streamed(self) -> bool:
        return isinstance(self.train, FileData)


def split_indices(n: int, fractions: list[float], seed: int) -> list[torch.Tensor]:
    """Random index sets for each fraction (the first part takes the remainder), by seed."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    sizes = [int(round(n * f)) for f in fractions[1:]]
    first = n - sum(sizes)
    if first <= 0:
        raise DatasetError(f"only {n} samples: too few to split into {len(fractions)} parts")
    parts, start = [], 0
    for size in [first, *sizes]:
        parts.append(perm[start:start + size].sort().values)
        start += size
    return parts


def subset(part: Part, index: torch.Tensor) -> Part:
    if isinstance(part, ArrayData):
        return ArrayData(part.images[index], part.labels[index], part.classes, part.source)
    idx = index.tolist()
    return FileData([part.files[i] for i in idx], [part.labels[i] for i in idx],
                    part.classes, part.source)


def shape_part(part: Part, shape: tuple[int, int, int], grey: bool,
                memory_limit: int) -> Part:
    """Conform arrays to the input; decode image folders into memory when they fit."""
    if isinstance(part, ArrayData):
        images = conform_images(part.images, shape, grey, what=part.source)
        return ArrayData(images, part.labels, part.classes, part.source)
    if len(part) * shape[0] * shape[1] * shape[2] <= memory_limit:
        images = decode_files(part.files, shape, grey)
        return ArrayData(images, torch.tensor(part.labels, dtype=torch.int64),
                         part.classes, part.source)
    check_headers(part.files)
    decode_image(part.files[0], shape, grey)  # channel check on a first file
    return part


def channel_stats(part: Part, shape: tuple[int, int, int], grey: bool,
                  max_files: int = 1000) -> tuple[list[float], list[float]]:
    """Per-channel mean and std on a 0..1 scale (all of an array, a sample of files)."""
    if isinstance(part, FileData):
        step = max(1, len(part) // max_files)
        images = decode_files(part.files[::step], shape, grey)
    else:
        images = part.images
    c = images.shape[1]
    total = torch.zeros(c, dtype=torch.float64)
    squares = torch.zeros(c, dtype=torch.float64)
    count = 0
    for chunk in images.split(8192):
        x = chunk.to(torch.float64).transpose(0, 1).reshape(c, -1) / 255.0
        total += x.sum(1)
        squares += (x * x).sum(1)
        count += x.shape[1]
    if count == 0:
        raise DatasetError("the training split is empty")
    mean = total / count
    std = (squares / count - mean * mean).clamp_min(0).sqrt()
    std = torch.where(std < 1e-6, torch.ones_like(std), std)
    return [float(v) for v in mean], [float(v) for v in std]


_OPTION = {"val": "val_split (--val-split)", "test": "test_split"}


def check_fractions(val_split: float, test_split: float) -> None:
    """Split fractions must lie in [0, 1) and leave samples to train on (names the option)."""
    for name, value in ((_OPTION["val"], val_split), (_OPTION["test"], test_split)):
        if not 0.0 <= value < 1.0:  # NaN fails too
            raise DatasetError(f"{name} = {value}: must be a fraction at least 0 and below 1, "
                               "such as 0.1")
    if val_split + test_split >= 1.0:
        raise DatasetError(f"val_split + test_split = {val_split + test_split}: must be below 1 "
                           "(leave samples to train on)")


def _labels(part: Part) -> torch.Tensor:
    return part.labels if isinstance(part, ArrayData) else torch.tensor(part.labels)


def warn_thin_splits(train: Part, splits: dict[str, tuple[Part | None, float]],
                     source: str) -> None:
    """UserWarning for data a run learns or measures little from: one class, thin splits."""
    present = int(torch.unique(_labels(train)).numel())
    if present == 1:
        warnings.warn(f"{source}: the training split holds one class only; a classifier "
                      "learns nothing from it: add samples of the other classes",
                      UserWarning, stacklevel=3)
    for name, (part, fraction) in splits.items():
        n = len(part) if part is not None else 0
        if fraction > 0 and n == 0:
            warnings.warn(f"{source}: the {name} split is empty ({len(train)} training "
                          f"samples, {name}_split {fraction}): raise {_OPTION[name]} or add data",
                          UserWarning, stacklevel=3)
        elif 0 < n < present:
            warnings.warn(f"{source}: the {name} split has {n} sample(s) for {present} classes; "
                          f"its scores say little: raise {_OPTION[name]} or add data",
                          UserWarning, stacklevel=3)


def check_classes(data: PreparedData, num_outputs: int | None) -> None:
    """The model must have at least as many outputs as the data has classes."""
    if num_outputs is None:
        return
    k = data.num_classes
    top = 0
    for part in (data.train, data.val, data.test):
        if part is not None and len(part):
            top = max(top, int(_labels(part).max().item()) + 1)
    k = max(k, top)
    if k > num_outputs:
        raise DatasetError(f"the data has {k} classes but the model has {num_outputs} outputs: "
                           f"set the last Dense node to {k} units")


def prepare_data(source: str | Path | RawDataset, input_shape: tuple[int, int, int], *,
                 val_split: float = 0.1, test_split: float = 0.1, seed: int = 0,
                 grey: bool = False, root: str | Path | None = None, download: bool = False,
                 num_outputs: int | None = None,
                 memory_limit_mb: int = 2048) -> PreparedData:
    """Load, shape, split (by seed), check and measure a dataset for one input shape (C, H, W)."""
    shape = (int(input_shape[0]), int(input_shape[1]), int(input_shape[2]))
    if shape[0] not in (1, 3):
        raise DatasetError(f"Input node shape {shape}: image data needs 1 or 3 channels")
    check_fractions(val_split, test_split)
    raw = source if isinstance(source, RawDataset) else load_source(source, root, download)
    limit = memory_limit_mb * 2**20
    train_all = shape_part(raw.train, shape, grey, limit)
    if len(train_all) == 0:
        raise DatasetError(f"{raw.train.source}: no samples")
    if raw.test is not None:
        test: Part | None = shape_part(raw.test, shape, grey, limit)
        parts = split_indices(len(train_all), [1 - val_split, val_split], seed)
        train, val = (subset(train_all, p) for p in parts)
    else:
        fractions = [1 - val_split - test_split, val_split, test_split]
        train, val, test = (subset(train_all, p) for p in split_indices(
            len(train_all), fractions, seed))
    own_test = raw.test is not None
    warn_thin_splits(train, {"val": (val, val_split),
                             "test": (test, 0.0 if own_test else test_split)}, raw.train.source)
    mean, std = channel_stats(train, shape, grey)
    prep = Preprocess(shape, mean, std, list(raw.train.classes), grey)
    if isinstance(source, RawDataset):
        where = raw.train.source
    else:
        where = str(Path(source).resolve()) if Path(source).exists() else str(source)
    data = PreparedData(train, val if len(val) else None,
                        test if test is not None and len(test) else None, prep, where,
                        str(Path(root).resolve()) if root else "")
    check_classes(data, num_outputs)
    return data


# ---------------------------------------------------------------- batching
class TensorBatches:
    """Batches of an in-memory uint8 tensor by random permutation, sharded by rank."""

    def __init__(self, part: ArrayData, batch_size: int, device: torch.device, *,
                 shuffle: bool = True, seed: int = 0, rank: int = 0, world_size: int = 1,
                 drop_single: bool = True) -> None:
        self.batch_size, self.device, self.shuffle, self.seed = batch_size, device, shuffle, seed
        self.rank, self.world_size, self.drop_single = rank, world_size, drop_single
        self.epoch = 0
        images, labels = part.images, part.labels
        self.on_device = device.type == "cpu"
        if device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            if images.numel() < free // 4:
                images, labels = images.to(device), labels.to(device)
                self.on_device = True
            else:
                images, labels = images.pin_memory(), labels.pin_memory()
        elif device.type != "cpu":
            images, labels = images.to(device), labels.to(device)
            self.on_device = True
        self.images, self.labels = images, labels
        n = len(labels)
        self.per_rank = n // world_size if shuffle and world_size > 1 else n
        if not shuffle and world_size > 1:
            self.per_rank = len(range(rank, n, world_size))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        full, rest = divmod(self.per_rank, self.batch_size)
        return full + (1 if rest > (1 if self.drop_single else 0) else 0)

    def _order(self) -> torch.Tensor:
        n = len(self.labels)
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            order = torch.randperm(n, generator=g)
            order = order[: self.per_rank * self.world_size][self.rank::self.world_size]
        else:
            order = torch.arange(self.rank, n, self.world_size)
        return order.to(self.images.device) if self.on_device else order

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = self._order()
        for i in range(len(self)):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            x, y = self.images[idx], self.labels[idx]
            if not self.on_device:
                x = x.pin_memory().to(self.device, non_blocking=True)
                y = y.pin_memory().to(self.device, non_blocking=True)
            yield x, y


class FileStream(Dataset[tuple[torch.Tensor, int]]):
    """Decodes one image file per item (runs in DataLoader workers)."""

    def __init__(self, part: FileData, shape: tuple[int, int, int], grey: bool) -> None:
        self.files, self.labels, self.shape, self.grey = part.files, part.labels, shape, grey

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return decode_image(self.files[i], self.shape, self.grey), self.labels[i]


class FileBatches:
    """Streams an image folder through a DataLoader (spawn workers), sharded by rank."""

    def __init__(self, part: FileData, prep: Preprocess, batch_size: int,
                 device: torch.device, *, shuffle: bool = True, seed: int = 0,
                 rank: int = 0, world_size: int = 1, num_workers: int = 0) -> None:
        from torch.utils.data import DistributedSampler, RandomSampler, SequentialSampler

        self.device = device
        dataset = FileStream(part, prep.input_shape, prep.grey)
        if world_size > 1:
            self.sampler: Any = DistributedSampler(dataset, world_size, rank, shuffle=shuffle,
                                                   seed=seed)
        elif shuffle:
            self.sampler = RandomSampler(dataset, generator=torch.Generator().manual_seed(seed))
        else:
            self.sampler = SequentialSampler(dataset)
        self.seed = seed
        extra: dict[str, Any] = {}
        if num_workers > 0:
            extra = {"multiprocessing_context": "spawn", "persistent_workers": True}
        self.loader = DataLoader(dataset, batch_size, sampler=self.sampler,
                                 num_workers=num_workers, pin_memory=device.type == "cuda",
                                 drop_last=False, **extra)

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)
        elif hasattr(self.sampler, "generator") and self.sampler.generator is not None:
            self.sampler.generator.manual_seed(self.seed * 100_003 + epoch)

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for x, y in self.loader:
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)


def make_batches(part: Part, prep: Preprocess, batch_size: int, device: torch.device, *,
                 shuffle: bool, seed: int = 0, rank: int = 0, world_size: int = 1,
                 num_workers: int = 0) -> TensorBatches | FileBatches:
    if isinstance(part, ArrayData):
        return TensorBatches(part, batch_size, device, shuffle=shuffle, seed=seed, rank=rank,
                             world_size=world_size, drop_single=shuffle)
    return FileBatches(part, prep, batch_size, device, shuffle=shuffle, seed=seed, rank=rank,
                       world_size=world_size, num_workers=num_workers)
