"""Project files from hostile places: streams, pipes, folders, huge files; bounded reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cnnstudio.core import project_io as io
from cnnstudio.core.errors import ProjectFileError
from cnnstudio.core.limits import MAX_PROJECT_BYTES, InputLimitError, read_capped


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_dev_zero_is_refused_not_read() -> None:
    """/dev/zero reports size 0 and never ends: reading it would exhaust memory."""
    with pytest.raises(ProjectFileError, match=r"^/dev/zero: cannot read the file: it is a device"):
        io.load("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "p.cnnproj"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes
    with pytest.raises(ProjectFileError, match="pipe"):
        io.load(fifo)


def test_folder_is_named_as_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="cannot read the file: it is a folder"):
        io.load(tmp_path)


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.cnnproj"
    with open(big, "wb") as f:
        f.truncate(MAX_PROJECT_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(ProjectFileError, match="the limit is") as info:
        io.load(big)
    assert str(big) in str(info.value)
    assert f"{MAX_PROJECT_BYTES + 1:,} bytes" in str(info.value)
    assert "\n" not in str(info.value)


def test_read_capped_reads_regular_files_only(tmp_path: Path) -> None:
    file = tmp_path / "a.bin"
    file.write_bytes(b"12345")
    assert read_capped(file, 5) == b"12345"
    with pytest.raises(InputLimitError, match="5 bytes; the limit is 4"):
        read_capped(file, 4)
    with pytest.raises(InputLimitError, match="folder"):
        read_capped(tmp_path, 4)
