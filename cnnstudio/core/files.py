"""Atomic file writes, shared by every package that saves something.

``write_atomic(path, write)`` lets ``write`` fill a temporary file in the same folder, flushes
it to disk, then moves it over ``path`` with ``os.replace``: a crash or a full disk leaves either
the old file or the new one, never half of one. The new file gets the old file's permissions,
or the usual ones for a new file (0666 less the umask), not ``mkstemp``'s private 0600.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)``, then replace ``path`` by the temporary file in one step."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise named(exc, target) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def named(exc: OSError, path: str | os.PathLike[str]) -> OSError:
    """``exc`` naming ``path`` when it names no file (a write that fails on a full disk)."""
    if exc.filename is not None:
        return exc
    return OSError(exc.errno, exc.strerror or str(exc), os.fspath(path))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    write_atomic(path, write)
