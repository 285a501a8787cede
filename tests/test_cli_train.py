"""`cnnstudio train` then `cnnstudio evaluate` end to end on the bundled MNIST sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnstudio.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def test_train_then_evaluate_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    rc = main(["train", str(EXAMPLES / "conv_pool.cnnproj"), "--dataset", "mnist-sample",
               "--epochs", "1", "--batch-size", "128", "--out", str(run), "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "completed: 1 epoch(s)" in out
    assert (run / "project.cnnproj").is_file()
    assert (run / "checkpoints" / "best.safetensors").is_file()
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["test"]["accuracy"] > 0.8 if "test" in saved else saved["accuracy"] > 0.8

    assert main(["evaluate", str(run), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["accuracy"] > 0.8
    assert len(metrics["per_class"]) == 10 and len(metrics["confusion_matrix"]) == 10
    assert sum(map(sum, metrics["confusion_matrix"])) == metrics["samples"]

    assert main(["evaluate", str(run / "checkpoints" / "last.safetensors")]) == 0
    text = capsys.readouterr().out
    assert "macro avg" in text and "confusion matrix" in text


def test_train_refuses_invalid_network_naming_the_node(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["train", "lenet5", "--input-shape", "1,8,8", "--dataset", "mnist-sample",
               "--out", str(tmp_path / "run")])
    assert rc == 1
    assert "c3 (Conv2d)" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_train_reports_dataset_mismatch(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["train", "lenet5", "--num-classes", "5", "--input-shape", "1,28,28",
               "--dataset", "mnist-sample", "--epochs", "1", "--out", str(tmp_path / "run")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "10 classes" in err and "5 outputs" in err


def test_evaluate_needs_a_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_evaluate_finds_the_data_root_the_run_used(
        tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run on `mnist --data-root DIR` is evaluated later without repeating the root."""
    run = tmp_path / "run"
    rc = main(["train", str(EXAMPLES / "three_convs_strided.cnnproj"), "--dataset", "mnist",
               "--data-root", str(shared_data / "mnist"), "--epochs", "1", "--val-split",
               "0.85", "--batch-size", "256", "--out", str(run), "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    recorded = json.loads((run / "config.json").read_text())["data"]
    assert recorded["root"] == str((shared_data / "mnist").resolve())
    capsys.readouterr()
    assert main(["evaluate", str(run), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["samples"] == 10_000  # MNIST's own test set
    assert metrics["accuracy"] > 0.8
