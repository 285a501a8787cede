"""Reading IDX files and ``.npz`` archives with bounded memory, and checking their numbers.

Headers are read first: the shape they claim is checked against ``core.limits`` (and against
the file's size) before any array is allocated, and only that many bytes are then read, so a
stream, a gzip bomb or a header claiming 10^12 labels gives one ``DatasetError`` naming the
file, never a MemoryError or a hang. ``.npz`` archives are read without pickles. Values must be
finite and labels whole numbers in ``[0, MAX_CLASSES)``.
"""

from __future__ import annotations

import gzip
import math
import zipfile
import zlib
from pathlib import Path
from typing import Protocol

import numpy as np

from cnnstudio.core.limits import (
    MAX_ARRAY_BYTES,
    MAX_CLASSES,
    MAX_GZIP_RATIO,
    InputLimitError,
    mib,
    regular_file_size,
)
from cnnstudio.training.errors import DatasetError

IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
NPZ_HELP = "save with numpy.savez(path, x=..., y=...)"
LABEL_HELP = "labels are class numbers 0, 1, 2, ..."
_CHUNK = 16 * 2**20


def file_size(path: Path, what: str) -> int:
    """The size of a regular file, or a ``DatasetError`` naming it."""
    try:
        return regular_file_size(path)
    except InputLimitError as e:
        raise DatasetError(f"{path}: cannot read {what}: {e}") from None
    except OSError as e:
        raise DatasetError(f"{path}: cannot read {what} ({e.strerror or e})") from None


def _too_big(path: Path, what: str, shape: object, nbytes: int) -> DatasetError:
    return DatasetError(f"{path}: {what} claims shape {shape} ({nbytes:,} bytes), over the "
                        f"limit of {mib(MAX_ARRAY_BYTES)} for one dataset file: the file is "
                        "corrupt, or split the data (or use an image folder, which streams)")


class _Reader(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _read_exact(f: _Reader, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise EOFError(f"file ends after {len(data)} of {n} header bytes")
    return data


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzipped or not) into a NumPy array, header checked first."""
    path = Path(path)
    size = file_size(path, "IDX file")
    gz = path.suffix == ".gz"
    try:
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
            head = f.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in IDX_DTYPES:
                raise DatasetError(f"{path}: not an IDX file (bad magic number)")
            dims = [int.from_bytes(_read_exact(f, 4), "big") for _ in range(head[3])]
            dtype = np.dtype(IDX_DTYPES[head[2]])
            nbytes = math.prod(dims) * dtype.itemsize
            offset = 4 + 4 * len(dims)
            if nbytes > MAX_ARRAY_BYTES:
                raise _too_big(path, "the IDX header", tuple(dims), nbytes)
            if (not gz and size - offset != nbytes) or (gz and nbytes > MAX_GZIP_RATIO * size):
                have = f"{size - offset:,} bytes of data" if not gz else f"{size:,} bytes gzipped"
                raise DatasetError(f"{path}: IDX file truncated or corrupt ({have}, header "
                                   f"says {nbytes:,})")
            out = np.empty(math.prod(dims), dtype)
            view = out.view(np.uint8).data
            got = 0
            while got < nbytes:
                n = f.readinto(view[got:got + _CHUNK])
                if not n:
                    break
                got += n
            extra = f.read(1)
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetError(f"{path}: cannot read IDX file ({e})") from e
    if got != nbytes or extra:
        more = " and more" if extra else ""
        raise DatasetError(f"{path}: IDX file truncated or corrupt ({got:,}{more} bytes of "
                           f"data, header says {nbytes:,})")
    return out.reshape(dims)


def _npy_header(f: _Reader) -> tuple[tuple[int, ...], np.dtype]:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    return tuple(shape), dtype


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` archive; shapes and dtypes checked before reading any data."""
    path = Path(path)
    file_size(path, ".npz archive")
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
        if magic == b"\x93NUMPY":
            raise DatasetError(f"{path}: {path.name} is not an .npz archive (it looks like a .npy "
                               f"array): {NPZ_HELP}")
        if not zipfile.is_zipfile(path):
            raise DatasetError(f"{path}: {path.name} is not an .npz archive (not a zip file): "
                               f"{NPZ_HELP}")
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if m.filename.endswith(".npy")]
            total = 0
            for m in members:
                with zf.open(m) as f:
                    shape, dtype = _npy_header(f)
                key = m.filename[:-4]
                if dtype.hasobject:
                    raise DatasetError(f"{path}: '{key}' holds Python objects, which are never "
                                       f"unpickled; store numbers or strings ({NPZ_HELP})")
                nbytes = math.prod(shape) * dtype.itemsize
                total += nbytes
                if total > MAX_ARRAY_BYTES:
                    raise _too_big(path, f"array '{key}'", shape, nbytes)
                if nbytes > m.file_size:
                    raise DatasetError(f"{path}: array '{key}' claims shape {shape} "
                                       f"({nbytes:,} bytes) but holds {m.file_size:,} bytes: "
                                       "the file is truncated or corrupt")
            arrays = {}
            for m in members:
                with zf.open(m) as f:
                    arrays[m.filename[:-4]] = np.lib.format.read_array(f, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        if isinstance(e, DatasetError):
            raise
        raise DatasetError(f"{path}: cannot read .npz ({e})") from e
    return arrays


def check_finite(x: np.ndarray, path: str | Path, key: str) -> None:
    """Refuse NaN and infinities, naming the file and how many there are."""
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.complexfloating)):
        return
    bad = sum(int(part.size - np.count_nonzero(np.isfinite(part)))
              for part in np.array_split(x.reshape(-1), max(1, x.size // _CHUNK)))
    if bad:
        raise DatasetError(f"{path}: '{key}' holds {bad:,} non-finite values (NaN or infinity) "
                           f"of {x.size:,}; clean them (numpy.nan_to_num) or drop those samples")


def check_labels(y: np.ndarray, path: str | Path, key: str, n: int | None = None,
                 classes: int | None = None) -> np.ndarray:
    """Labels as int64: whole, non-negative, below ``classes`` (default ``MAX_CLASSES``).

    One-hot (N, K) labels become their argmax; float labels are accepted when whole.
    """
    if y.ndim == 2:
        check_finite(y, path, key)
        y = y.argmax(axis=1)  # one-hot
    count = f"{n} " if n is not None else ""
    if y.ndim != 1 or (n is not None and len(y) != n):
        raise DatasetError(f"{path}: '{key}' must be {count}integer labels, got shape {y.shape}")
    if np.issubdtype(y.dtype, np.floating):
        check_finite(y, path, key)
        fractional = np.flatnonzero(y != np.floor(y))
        if len(fractional):
            raise DatasetError(f"{path}: '{key}' holds {len(fractional):,} labels with a "
                               f"fractional part (e.g. {y[fractional[0]]}); {LABEL_HELP}")
    elif not np.issubdtype(y.dtype, np.integer):
        raise DatasetError(f"{path}: '{key}' must be {count}integer labels, got {y.dtype}")
    if y.size:
        low, high = y.min(), y.max()
        limit = MAX_CLASSES if classes is None else classes
        if low < 0:
            raise DatasetError(f"{path}: '{key}' holds negative labels (e.g. {low}); "
                               f"{LABEL_HELP}")
        if high >= limit:
            what = (f"the limit of {MAX_CLASSES:,} classes" if classes is None
                    else f"the {classes} class names")
            raise DatasetError(f"{path}: '{key}' holds label {high}, beyond {what}; "
                               f"{LABEL_HELP}")
    return y.astype(np.int64)
