"""Reading data: IDX (gz and plain), torchvision layout, image folders, npz, bundled sample."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnstudio.training.data import prepare_data, split_indices
from cnnstudio.training.datasets import (
    ArrayData,
    FileData,
    load_idx_folder,
    load_image_folder,
    load_npz,
    load_source,
    read_idx,
)
from cnnstudio.training.errors import DatasetError


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)


def make_idx_folder(folder: Path, gz: bool, n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (n, 6, 5), dtype=np.uint8)
    labels = (np.arange(n) % 3).astype(np.uint8)
    ext = ".gz" if gz else ""
    write_idx(folder / f"train-images-idx3-ubyte{ext}", images)
    write_idx(folder / f"train-labels-idx1-ubyte{ext}", labels)
    write_idx(folder / f"t10k-images-idx3-ubyte{ext}", images[:4])
    write_idx(folder / f"t10k-labels-idx1-ubyte{ext}", labels[:4])
    return images, labels


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_gz_and_plain(tmp_path: Path, gz: bool) -> None:
    images, labels = make_idx_folder(tmp_path, gz)
    raw = load_idx_folder(tmp_path)
    assert isinstance(raw.train, ArrayData) and isinstance(raw.test, ArrayData)
    assert raw.train.images.shape == (12, 1, 6, 5)
    assert torch.equal(raw.train.images[:, 0], torch.from_numpy(images))
    assert raw.train.labels.tolist() == labels.tolist()
    assert len(raw.test) == 4 and raw.train.classes == ["0", "1", "2"]


def test_torchvision_raw_layout(tmp_path: Path) -> None:
    make_idx_folder(tmp_path / "MNIST" / "raw", gz=False)
    raw = load_source(tmp_path)
    assert len(raw.train) == 12 and raw.test is not None


def test_idx_truncated_is_named(tmp_path: Path) -> None:
    make_idx_folder(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.*truncated"):
        read_idx(path)


def test_real_mnist_idx(shared_data: Path) -> None:
    raw = load_source(shared_data / "mnist")
    assert raw.train.images.shape == (60000, 1, 28, 28)
    assert raw.test.labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert torch.bincount(raw.test.labels).tolist()[:3] == [980, 1135, 1032]
    assert abs(raw.test.images.float().mean().item() - 33.791) < 0.01


def test_bundled_sample_splits() -> None:
    data = prepare_data("mnist-sample", (1, 28, 28), val_split=0.1, test_split=0.1, seed=3)
    assert (len(data.train), len(data.val), len(data.test)) == (8000, 1000, 1000)
    assert abs(data.preprocess.mean[0] - 0.1325) < 0.003
    assert data.preprocess.classes == [str(i) for i in range(10)]


def test_splits_deterministic_by_seed() -> None:
    a = split_indices(100, [0.7, 0.2, 0.1], seed=5)
    b = split_indices(100, [0.7, 0.2, 0.1], seed=5)
    c = split_indices(100, [0.7, 0.2, 0.1], seed=6)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not torch.equal(a[1], c[1])
    assert [len(p) for p in a] == [70, 20, 10]
    assert sorted(torch.cat(a).tolist()) == list(range(100))


def save_image(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def make_folder(root: Path, colour: bool) -> None:
    rng = np.random.default_rng(0)
    for name in ["cat", "dog"]:
        for i, size in enumerate([(10, 12), (20, 16), (8, 8)]):
            shape = (*size, 3) if colour else size
            save_image(root / name / f"{i}.png", rng.integers(0, 255, shape, dtype=np.uint8))


def test_image_folder_resize_and_grey_to_rgb(tmp_path: Path) -> None:
    make_folder(tmp_path, colour=False)
    raw = load_image_folder(tmp_path)
    assert isinstance(raw.train, FileData) and raw.train.classes == ["cat", "dog"]
    data = prepare_data(tmp_path, (3, 16, 16), val_split=0.0, test_split=0.0)
    assert data.train.images.shape == (6, 3, 16, 16)
    assert torch.equal(data.train.images[:, 0], data.train.images[:, 2])


def test_rgb_into_one_channel_is_refused_then_converted(tmp_path: Path) -> None:
    make_folder(tmp_path, colour=True)
    with pytest.raises(DatasetError, match="RGB.*1 channel.*convert the data to grey"):
        prepare_data(tmp_path, (1, 16, 16), val_split=0.0, test_split=0.0)
    data = prepare_data(tmp_path, (1, 16, 16), val_split=0.0, test_split=0.0, grey=True)
    assert data.train.images.shape == (6, 1, 16, 16)


def test_rgb_array_into_one_channel(tmp_path: Path) -> None:
    x = np.random.default_rng(0).integers(0, 255, (10, 8, 8, 3), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(10) % 2)
    with pytest.raises(DatasetError, match="d.npz.*RGB"):
        prepare_data(tmp_path / "d.npz", (1, 8, 8), val_split=0.0, test_split=0.0)


def test_empty_class_folder_is_named(tmp_path: Path) -> None:
    make_folder(tmp_path, colour=False)
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(DatasetError, match="empty_class"):
        load_image_folder(tmp_path)


@pytest.mark.parametrize("memory_limit_mb", [2048, 0])  # decoded in memory / streamed
def test_corrupt_image_is_named(tmp_path: Path, memory_limit_mb: int) -> None:
    make_folder(tmp_path, colour=False)
    (tmp_path / "dog" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(DatasetError, match="broken.png"):
        prepare_data(tmp_path, (1, 8, 8), val_split=0.0, test_split=0.0,
                     memory_limit_mb=memory_limit_mb)


def test_too_many_classes_for_the_model(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="10 classes but the model has 5 outputs"):
        prepare_data("mnist-sample", (1, 28, 28), num_outputs=5)


@pytest.mark.parametrize("layout", ["nhw", "nhwc", "nchw", "float", "onehot"])
def test_npz_layouts(tmp_path: Path, layout: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (20, 6, 6, 3), dtype=np.uint8)
    y = np.arange(20) % 3
    arrays = {"nhw": {"x": x[..., 0], "y": y}, "nhwc": {"x": x, "y": y},
              "nchw": {"x": x.transpose(0, 3, 1, 2), "y": y},
              "float": {"x": x / 255.0, "y": y}, "onehot": {"x": x, "y": np.eye(3)[y]}}[layout]
    np.savez(tmp_path / "d.npz", **arrays, classes=np.array(["r", "g", "b"]))
    raw = load_npz(tmp_path / "d.npz")
    assert raw.train.labels.tolist() == y.tolist() and raw.train.classes == ["r", "g", "b"]
    c = 1 if layout == "nhw" else 3
    assert raw.train.images.shape == (20, c, 6, 6)
    assert torch.equal(raw.train.images[:, 0], torch.from_numpy(x[..., 0]))


def test_npz_needs_x_and_y(tmp_path: Path) -> None:
    np.savez(tmp_path / "bad.npz", images=np.zeros((2, 4, 4)))
    with pytest.raises(DatasetError, match="bad.npz.*'x' and 'y'"):
        load_npz(tmp_path / "bad.npz")


def test_npz_object_arrays_are_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}], dtype=object), y=np.zeros(1))
    with pytest.raises(DatasetError, match="obj.npz"):
        load_npz(tmp_path / "obj.npz")


def test_real_cifar_folders(shared_data: Path) -> None:
    data = prepare_data(shared_data / "cifar10-sample-200", (3, 32, 32), val_split=0.1,
                        test_split=0.1)
    assert len(data.train) + len(data.val) + len(data.test) == 200
    assert data.preprocess.classes[0] == "airplane" and data.train.images.shape[1:] == (3, 32, 32)
    grey = prepare_data(shared_data / "cifar10-sample-200", (1, 24, 24), grey=True)
    assert grey.train.images.shape[1:] == (1, 24, 24)


def test_builtin_names_from_a_local_root(shared_data: Path) -> None:
    raw = load_source("fashion-mnist", root=shared_data)
    assert raw.train.classes[0] == "T-shirt/top" and len(raw.test) == 10000
    assert len(load_source("MNIST", root=shared_data).train) == 60000
    # a root that holds the IDX files itself works for both names
    direct = load_source("fashion-mnist", root=shared_data / "fashion-mnist")
    assert direct.train.classes[0] == "T-shirt/top" and len(direct.train) == 60000
    assert len(load_source("mnist", root=shared_data / "mnist").test) == 10000


def test_builtin_name_missing_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CNNSTUDIO_DATA", raising=False)
    with pytest.raises(DatasetError, match="cifar10: no local copy"):
        load_source("cifar10", root=tmp_path)
