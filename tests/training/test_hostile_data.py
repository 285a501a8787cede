"""Hostile datasets: streams, lying headers, bombs, links out of the folder, bad numbers."""

from __future__ import annotations

import gzip
import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnstudio.core.limits import MAX_CLASSES, MAX_IMAGE_PIXELS
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.data import prepare_data
from cnnstudio.training.datasets import (
    ArrayData,
    RawDataset,
    load_idx_folder,
    load_npz,
    load_source,
    read_idx,
    scan_image_folder,
)
from cnnstudio.training.errors import DatasetError
from cnnstudio.training.images import check_headers, decode_image

DEV_ZERO = Path("/dev/zero")
needs_dev_zero = pytest.mark.skipif(not DEV_ZERO.exists(), reason="no /dev/zero here")


def idx_bytes(array: np.ndarray, code: int = 0x08, dims: tuple[int, ...] | None = None) -> bytes:
    shape = array.shape if dims is None else dims
    header = bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def one_line(error: pytest.ExceptionInfo[DatasetError], name: str) -> str:
    text = str(error.value)
    assert name in text and "\n" not in text
    return text


# ---------------------------------------------------------------- IDX
@needs_dev_zero
def test_dev_zero_as_idx_is_refused() -> None:
    with pytest.raises(DatasetError, match="/dev/zero: cannot read IDX file: it is a device"):
        read_idx(DEV_ZERO)


def test_idx_header_over_the_limit(tmp_path: Path) -> None:
    """A gzipped header claiming 4e9 x 4e9 x 4e9 images is refused before allocating."""
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(8, np.uint8), dims=(2**32 - 1,) * 3)))
    with pytest.raises(DatasetError, match="over the limit") as info:
        read_idx(path)
    one_line(info, str(path))


def test_gzip_longer_than_its_header_is_read_with_a_cap(tmp_path: Path) -> None:
    """10 labels claimed, 64 MB in the stream: only 11 bytes of data are read."""
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(10, np.uint8)) + bytes(64 * 2**20), 1))
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match="truncated or corrupt.*and more"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


@pytest.mark.parametrize(("code", "labels", "match"), [
    (0x09, np.array([0, -1, 2], np.int8), "negative labels"),
    (0x0C, np.array([0, MAX_CLASSES, 2], np.int32), f"label {MAX_CLASSES}, beyond the limit"),
    (0x0D, np.array([0, 1.5, 2], np.float32), "1 labels with a fractional part"),
])
def test_idx_labels_must_be_class_numbers(tmp_path: Path, code: int, labels: np.ndarray,
                                          match: str) -> None:
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((3, 4, 4), np.uint8)))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(labels, code))
    with pytest.raises(DatasetError, match=match) as info:
        load_idx_folder(tmp_path)
    one_line(info, "train-labels-idx1-ubyte")


def test_idx_labels_beyond_the_class_names(tmp_path: Path) -> None:
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((2, 4, 4), np.uint8)))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([1, 12], np.uint8)))
    with pytest.raises(DatasetError, match="label 12, beyond the 10 class names"):
        load_idx_folder(tmp_path, [str(i) for i in range(10)])


def test_idx_link_out_of_the_folder_is_named(tmp_path: Path) -> None:
    outside, folder = tmp_path / "elsewhere", tmp_path / "data"
    outside.mkdir()
    folder.mkdir()
    (outside / "imgs").write_bytes(idx_bytes(np.zeros((2, 4, 4), np.uint8)))
    (folder / "train-images-idx3-ubyte").symlink_to(outside / "imgs")
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([0, 1], np.uint8)))
    with pytest.raises(DatasetError, match="symbolic link.*outside the dataset folder"):
        load_idx_folder(folder)


# ---------------------------------------------------------------- npz
def write_npz_member(path: Path, shape: tuple[int, ...], data: bytes) -> None:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x.npy", header.getvalue() + data)
        zf.writestr("y.npy", _npy(np.zeros(2, np.int64)))


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_npz_shape_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.npz"
    write_npz_member(path, (10**6, 10**6), bytes(100))  # claims 1 TB
    with pytest.raises(DatasetError, match=r"'x' claims shape \(1000000, 1000000\).*over the"):
        load_npz(path)


def test_npz_shape_beyond_its_data_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "short.npz"
    write_npz_member(path, (2, 100, 100), bytes(100))
    with pytest.raises(DatasetError, match="'x' claims.*truncated or corrupt") as info:
        load_npz(path)
    one_line(info, "short.npz")


def test_npy_renamed_npz(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    path.write_bytes(_npy(np.zeros((2, 4, 4), np.uint8)))
    with pytest.raises(DatasetError, match=r"x\.npz is not an \.npz archive \(it looks like a "
                       r"\.npy array\): save with numpy\.savez\(path, x=\.\.\., y=\.\.\.\)"):
        load_source(path)


@needs_dev_zero
def test_stream_named_npz_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "data.npz"
    link.symlink_to(DEV_ZERO)
    with pytest.raises(DatasetError, match="data.npz: cannot read .npz archive: it is a device"):
        load_source(link)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_images_are_counted(tmp_path: Path, bad: float) -> None:
    x = np.random.default_rng(0).random((6, 4, 4)).astype(np.float32)
    x[1, 2, :3] = bad
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(6) % 2)
    with pytest.raises(DatasetError, match="'x' holds 3 non-finite values") as info:
        load_npz(tmp_path / "d.npz")
    one_line(info, "d.npz")


@pytest.mark.parametrize(("y", "match"), [
    (np.array([0, 1, 10**12, 1]), "label 1000000000000, beyond the limit of 100,000 classes"),
    (np.array([0.0, 1.5, 2.0, 0.25]), "2 labels with a fractional part"),
    (np.array([0.0, np.nan, 2.0, 1.0]), "'y' holds 1 non-finite"),
])
def test_npz_labels_must_be_class_numbers(tmp_path: Path, y: np.ndarray, match: str) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 4, 4), np.uint8), y=y)
    with pytest.raises(DatasetError, match=match) as info:
        load_npz(tmp_path / "d.npz")
    one_line(info, "d.npz")


def test_whole_float_labels_are_accepted(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 4, 4), np.uint8), y=np.array([0.0, 2, 1, 2]))
    assert load_npz(tmp_path / "d.npz").train.labels.tolist() == [0, 2, 1, 2]


# ---------------------------------------------------------------- images
def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height grey pixels (the data is a few bytes)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0"))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [9500, 100_000])  # PIL warns / PIL raises
def test_decompression_bomb_is_an_error(tmp_path: Path, side: int) -> None:
    assert side * side > MAX_IMAGE_PIXELS
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header(side, side))
    for read in (lambda: decode_image(bomb, (1, 8, 8)), lambda: check_headers([bomb])):
        with pytest.raises(DatasetError, match="decompression bomb") as info:
            read()
        one_line(info, "bomb.png")


def test_bomb_in_an_image_folder_is_named(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Image.new("L", (8, 8)).save(tmp_path / name / "ok.png")
    (tmp_path / "b" / "bomb.png").write_bytes(png_header(20_000, 20_000))
    with pytest.raises(DatasetError, match="bomb.png: image too large"):
        prepare_data(tmp_path, (1, 8, 8), val_split=0.0, test_split=0.0)


def test_links_out_of_the_folder_are_skipped_and_counted(tmp_path: Path) -> None:
    root, outside = tmp_path / "data", tmp_path / "outside"
    for folder in (root / "cat", root / "dog", outside / "bird"):
        folder.mkdir(parents=True)
        Image.new("L", (4, 4)).save(folder / "x.png")
    (root / "dog" / "out.png").symlink_to(outside / "bird" / "x.png")  # file link out
    (root / "bird").symlink_to(outside / "bird")  # class folder link out
    (root / "dog" / "sub").symlink_to(outside)  # folder link out
    (root / "dog" / "in.png").symlink_to(root / "cat" / "x.png")  # inside: fine
    (root / "cat" / "loop").symlink_to(root / "cat")  # inside, a loop: walked once
    with pytest.warns(UserWarning, match="skipped 3 symbolic link"):
        data = scan_image_folder(root)
    assert data.classes == ["cat", "dog"] and data.skipped_links == 3
    names = sorted(p.relative_to(root).as_posix() for p in data.files)
    assert names == ["cat/x.png", "dog/in.png", "dog/x.png"]


# ---------------------------------------------------------------- splits
def tiny(n: int, classes: int) -> RawDataset:
    labels = torch.arange(n) % classes
    images = torch.zeros((n, 1, 4, 4), dtype=torch.uint8)
    return RawDataset(ArrayData(images, labels, [str(i) for i in range(classes)], "tiny"))


@pytest.mark.parametrize("value", [1.5, -0.1, 1.0, float("nan")])
def test_bad_split_fraction_names_the_option(value: float) -> None:
    with pytest.raises(DatasetError, match=r"val_split \(--val-split\) = .*: must be a fraction"):
        prepare_data(tiny(40, 2), (1, 4, 4), val_split=value)
    with pytest.raises(ValueError, match=r"val_split = .* \(--val-split\): must be in"):
        TrainConfig(val_split=value).validate()


def test_one_class_warns() -> None:
    with pytest.warns(UserWarning, match="tiny: the training split holds one class only"):
        prepare_data(tiny(40, 1), (1, 4, 4))


def test_empty_and_thin_splits_warn() -> None:
    with pytest.warns(UserWarning, match=r"the val split is empty .*raise val_split \(--val"):
        prepare_data(tiny(4, 2), (1, 4, 4), val_split=0.1, test_split=0.0)
    with pytest.warns(UserWarning, match="the val split has 4 sample.* for 10 classes"):
        prepare_data(tiny(40, 10), (1, 4, 4), val_split=0.1, test_split=0.0)
    # pytest turns warnings into errors: balanced data with fair splits passes silently
    data = prepare_data(tiny(200, 4), (1, 4, 4), val_split=0.1, test_split=0.1)
    assert (len(data.train), len(data.val or []), len(data.test or [])) == (160, 20, 20)
