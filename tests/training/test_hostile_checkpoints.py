"""Damaged checkpoints: one CheckpointError naming the file, never a library's own error."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch

from cnnstudio.training.checkpoints import load_checkpoint, load_weights, save_checkpoint
from cnnstudio.training.errors import CheckpointError


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.randn(4, 6)).sum().backward()
    optimizer.step()
    save_checkpoint(tmp_path, "last", model, optimizer, info={"epoch": 3})
    return tmp_path, model, optimizer


def message(error: pytest.ExceptionInfo[CheckpointError], path: Path) -> str:
    text = str(error.value)
    assert text.startswith(f"{path}:") and "\n" not in text
    return text


@pytest.mark.parametrize("which", ["last.safetensors", "last.optim.safetensors"])
def test_truncated_safetensors_at_every_length(
        saved: tuple[Path, torch.nn.Module, torch.optim.Optimizer], which: str) -> None:
    folder, model, optimizer = saved
    path = folder / which
    whole = path.read_bytes()
    for cut in sorted({0, 3, 8, 9, 40, len(whole) // 2, len(whole) - 1}):
        path.write_bytes(whole[:cut])
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(folder, "last", model, optimizer)
        message(info, path)
    path.write_bytes(whole)
    assert load_checkpoint(folder, "last", model, optimizer)["epoch"] == 3


def test_header_longer_than_the_file(
        saved: tuple[Path, torch.nn.Module, torch.optim.Optimizer]) -> None:
    folder, model, _ = saved
    path = folder / "last.safetensors"
    path.write_bytes(struct.pack("<Q", 2**62) + path.read_bytes()[8:])
    with pytest.raises(CheckpointError, match=r"header claims 4,611,686,018,427,387,904 bytes"):
        load_weights(path, model)


def test_corrupt_header_json(saved: tuple[Path, torch.nn.Module, torch.optim.Optimizer]) -> None:
    folder, model, _ = saved
    path = folder / "last.safetensors"
    data = bytearray(path.read_bytes())
    data[8] = ord("#")  # the header's opening brace
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt safetensors header") as info:
        load_weights(path, model)
    message(info, path)


def test_offsets_past_the_data(saved: tuple[Path, torch.nn.Module, torch.optim.Optimizer]) -> None:
    folder, model, _ = saved
    path = folder / "last.safetensors"
    raw = path.read_bytes()
    length = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + length])
    name = next(k for k in header if k != "__metadata__")
    header[name]["data_offsets"] = [0, 10**9]
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + raw[8 + length:])
    with pytest.raises(CheckpointError, match=f"tensor '{name}' lies past"):
        load_weights(path, model)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_stream_as_weights(saved: tuple[Path, torch.nn.Module, torch.optim.Optimizer]) -> None:
    folder, model, _ = saved
    link = folder / "zero.safetensors"
    link.symlink_to("/dev/zero")
    with pytest.raises(CheckpointError, match="it is a device, not a regular file"):
        load_weights(link, model)


def test_truncated_info_and_torn_set(
        saved: tuple[Path, torch.nn.Module, torch.optim.Optimizer]) -> None:
    folder, model, optimizer = saved
    info = folder / "last.json"
    whole = info.read_text()
    info.write_text(whole[: len(whole) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt JSON") as error:
        load_checkpoint(folder, "last", model, optimizer)
    message(error, info)
    info.write_text(json.dumps({**json.loads(whole), "tag": "other"}))
    with pytest.raises(CheckpointError, match="torn checkpoint"):
        load_checkpoint(folder, "last", model, optimizer)
