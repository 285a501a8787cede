"""Size limits for everything CNN Studio reads, and the bounded reads that enforce them.

Every reader (project files, checkpoints, IDX files, ``.npz`` archives, images) checks what a
file claims (its size, a header's shape or count) against these limits *before* allocating
memory, and reads only regular files: a stream such as ``/dev/zero``, a FIFO or a folder given
as a file is refused with a message, never read until memory runs out. The limits are generous
for real data (MNIST's 47 MB of images, CIFAR-10, ImageNet-sized JPEGs) and far below what
would exhaust a desktop machine. Pure Python: the core imports no torch and no Qt.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

#: A project file (JSON). The biggest example project is a few hundred KB.
MAX_PROJECT_BYTES = 64 * 2**20
#: One decoded array: an IDX file's data, or all arrays of one ``.npz`` together.
MAX_ARRAY_BYTES = 8 * 2**30
#: Class labels must lie in ``[0, MAX_CLASSES)`` (ImageNet-21k has about 21,800 classes).
MAX_CLASSES = 100_000
#: Pixels of one image (width x height): PIL's own default warning level (about 0.25 GiB RGBA).
MAX_IMAGE_PIXELS = 89_478_485
#: The JSON header of a safetensors file (the safetensors library's own limit).
MAX_SAFETENSORS_HEADER_BYTES = 100_000_000
#: A JSON side file (checkpoint info, run settings).
MAX_JSON_BYTES = 64 * 2**20
#: An ONNX file to import (protobuf's own limit for one message is 2 GiB).
MAX_ONNX_BYTES = 2 * 2**30 - 1
#: gzip cannot compress better than about 1032:1; a header claiming more is corrupt.
MAX_GZIP_RATIO = 1100


class InputLimitError(ValueError):
    """A file that is not a regular file or exceeds a limit; the message says which and why.

    Readers turn it into their own error type (``ProjectFileError``, ``DatasetError``, ...)
    naming the file.
    """


def mib(n: int) -> str:
    """``n`` bytes as a short human size (``64 MiB``, ``8 GiB``)."""
    if n >= 2**30:
        return f"{n / 2**30:.3g} GiB"
    return f"{n / 2**20:.3g} MiB"


def regular_file_size(path: str | os.PathLike[str]) -> int:
    """The size of ``path``; ``InputLimitError`` unless it is a regular file.

    Symbolic links are followed (their target must be a regular file). ``OSError`` (missing
    file, no permission) is left to the caller.
    """
    info = os.stat(path)
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return info.st_size
    if stat.S_ISDIR(mode):
        kind = "a folder"
    elif stat.S_ISFIFO(mode):
        kind = "a pipe (FIFO)"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    else:
        kind = "not a regular file"
    raise InputLimitError(f"it is {kind}, not a regular file; give the path of a saved file")


def read_capped(path: str | os.PathLike[str], cap: int, what: str = "file") -> bytes:
    """All bytes of a regular file of at most ``cap`` bytes (reads at most ``cap + 1``)."""
    size = regular_file_size(path)
    if size > cap:
        raise InputLimitError(f"the {what} is {size:,} bytes; the limit is {cap:,} "
                              f"({mib(cap)})")
    with open(path, "rb") as f:
        data = f.read(cap + 1)
    if len(data) > cap:  # grew after the check
        raise InputLimitError(f"the {what} is over the limit of {cap:,} bytes ({mib(cap)})")
    return data


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path`` resolves (symlinks followed) to ``root`` (resolved) or below it."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop resolves nowhere
        return False


def safetensors_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON header of a safetensors file, checked before any tensor is read: a regular
    file, a header within ``MAX_SAFETENSORS_HEADER_BYTES`` and the file, a JSON object whose
    tensors all lie inside the file. ``InputLimitError`` says what is wrong (without the path);
    ``OSError`` is left to the caller."""
    size = regular_file_size(path)
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            raise InputLimitError(f"truncated ({size} bytes, no safetensors header)")
        length = int.from_bytes(prefix, "little")
        if length > MAX_SAFETENSORS_HEADER_BYTES or 8 + length > size:
            raise InputLimitError(f"truncated or corrupt (its header claims {length:,} bytes, "
                                  f"the file has {size:,})")
        raw = f.read(length)
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise InputLimitError(f"corrupt safetensors header ({e})") from None
    if not isinstance(header, dict):
        raise InputLimitError("corrupt safetensors header (not a JSON object)")
    data = size - 8 - length
    for key, entry in header.items():
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if key != "__metadata__" and (not isinstance(offsets, list) or len(offsets) != 2
                                      or not all(isinstance(o, int) for o in offsets)
                                      or not 0 <= offsets[0] <= offsets[1] <= data):
            raise InputLimitError(f"truncated or corrupt (tensor '{key}' lies past the "
                                  f"{data:,} bytes of data)")
    return header
