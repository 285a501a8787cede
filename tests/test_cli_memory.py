"""``cnnstudio summary`` with the training-memory options (cnnstudio.cli.memory_args)."""

from __future__ import annotations

import json

import pytest

from cnnstudio.cli import main
from cnnstudio.core.memory import LIMIT, estimate, fits_line, fmt_bytes, physical_memory
from cnnstudio.core.presets import build_preset
from cnnstudio.core.shapes import analyse

GIB = 1024**3


def resnet18(batch: int, precision: str = "fp32", optimizer: str = "adam",
             momentum: float = 0.9):  # type: ignore[no-untyped-def]
    return estimate(analyse(build_preset("resnet18", layout=False)), batch, precision,
                    optimizer, momentum)


def test_block_under_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "resnet18", "--batch-size", "256", "--memory-limit", "8GiB"]) == 0
    out = capsys.readouterr().out
    e = resnet18(256)
    table, block = out.split("Training memory (batch 256, fp32, adam):")
    assert "Total params: 11,689,512" in table
    assert f"total:             {fmt_bytes(e.total)}" in block
    assert f"optimiser state:   {fmt_bytes(e.optimizer_state)}" in block
    assert fits_line(e, 8 * GIB, LIMIT) in block
    assert f"batch 256 needs {fmt_bytes(e.total)}; the memory limit is 8.0 GiB" in block


def test_json_memory_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "resnet18", "--json", "--batch-size", "64", "--precision", "bf16",
                 "--optimizer", "sgd", "--momentum", "0", "--memory-limit", "2GiB"]) == 0
    memory = json.loads(capsys.readouterr().out)["memory"]
    e = resnet18(64, "bf16", "sgd", 0.0)
    assert memory == e.to_dict(2 * GIB, LIMIT)
    assert memory["optimizer_state_bytes"] == 0
    assert memory["max_batch_size"] == e.max_batch(2 * GIB) > 64
    assert memory["fits"] is True


def test_without_memory_options_nothing_changes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet5", "--json"]) == 0
    assert "memory" not in json.loads(capsys.readouterr().out)
    assert main(["summary", "lenet5"]) == 0
    assert "Training memory" not in capsys.readouterr().out


def test_auto_precision_against_a_limit_counts_as_fp32(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet5", "--json", "--memory-limit", "1GiB"]) == 0
    memory = json.loads(capsys.readouterr().out)["memory"]
    assert memory["precision"] == "fp32" and memory["batch_size"] == 128  # train's default


def test_cpu_device_compares_with_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet5", "--device", "cpu", "--precision", "fp32"]) == 0
    out = capsys.readouterr().out
    assert f"this machine has {fmt_bytes(physical_memory())}" in out


def test_keras_style_keeps_the_block(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet5", "--style", "keras", "--memory-limit", "1GiB"]) == 0
    assert "Training memory (batch 128, fp32, adam):" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["8parsecs", "0", "-1GiB"])
def test_bad_limit_is_one_line(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet5", f"--memory-limit={bad}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "expected a size such as 8GiB" in err and "Traceback" not in err


def test_missing_gpu_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    assert main(["summary", "lenet5", "--device", "cuda"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no CUDA GPU is available" in err


def test_device_memory_and_precision_on_the_cpu() -> None:
    from cnnstudio.training.device import device_memory, precision_on

    assert device_memory("cpu") == ("this machine", physical_memory())
    assert precision_on("cpu", "fp32") == "fp32"
    assert precision_on("cpu", "fp16") == "bf16"  # fp16 autocast is slow on the CPU
    assert precision_on("cpu", "bf16") == "bf16"
