"""Run safety in the engine: divergence, non-finite weights, data and settings on resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from cnnstudio.training import TrainConfig, resume, train
from cnnstudio.training.api import check_resume_changes, evaluate_run
from cnnstudio.training.data import prepare_data
from cnnstudio.training.datasets import ArrayData, FileData, RawDataset
from cnnstudio.training.errors import DatasetError, NonFiniteLossError, TrainingError
from cnnstudio.training.guards import DivergenceGuard, align_classes, check_finite_weights


def config(**kw: Any) -> TrainConfig:
    base = {"epochs": 1, "batch_size": 32, "lr": 3e-3, "val_split": 0.2, "test_split": 0.1,
            "log_every": 1}
    return TrainConfig(**{**base, **kw})


def test_divergence_guard_rule() -> None:
    guard = DivergenceGuard()
    assert not any(guard.check(v) for v in (2.3, 2.2, 2.4, 2.1, 2.0))  # the reference: 2.2
    assert not guard.check(200.0) and guard.check(230.0)
    assert "more than 100x its start (2.2)" in guard.describe(230.0)
    assert DivergenceGuard().check(2e4)  # above the absolute bound from the first batch
    assert not DivergenceGuard().check(float("nan"))  # reported by the non-finite check
    small = DivergenceGuard()  # a resumed run whose loss is already tiny: reference >= 1
    assert not any(small.check(v) for v in (0.01,) * 5) and not small.check(50.0)


def noise(n: int = 400) -> RawDataset:
    """Random images with random labels: no weights fit them, so a huge step diverges."""
    g = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (n, 1, 8, 8), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 4, (n,), generator=g)
    return RawDataset(ArrayData(images, labels, ["a", "b", "c", "d"], "noise"))


def test_divergence_after_a_good_epoch_keeps_that_epoch(tmp_path: Path,
                                                        make_tiny_net) -> None:
    data = prepare_data(noise(), (1, 8, 8), val_split=0.2, test_split=0.1)
    train(make_tiny_net(), data, config(optimizer="sgd", momentum=0.0, lr=0.05), tmp_path)
    good = (tmp_path / "checkpoints" / "last.safetensors").read_bytes()
    with pytest.raises(NonFiniteLossError, match=r"epoch 2, batch \d+: lower the learning rate "
                       r"\(now 1e\+06\).*last good checkpoint \(epoch 1\) is kept"):
        resume(make_tiny_net(), tmp_path, data, changes={"epochs": 3, "lr": 1e6})
    assert json.loads((tmp_path / "checkpoints" / "last.json").read_text())["epochs_done"] == 1
    assert (tmp_path / "checkpoints" / "last.safetensors").read_bytes() == good
    assert len(json.loads((tmp_path / "history.json").read_text())) == 1


class InfAfter(nn.Module):
    """A buffer turns infinite after ``after`` training passes; the loss stays finite."""

    def __init__(self, inner: nn.Module, after: int) -> None:
        super().__init__()
        self.inner, self.after, self.calls = inner, after, 0
        self.register_buffer("scale", torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.calls += 1
            if self.calls == self.after:
                self.scale.fill_(float("inf"))
        return self.inner(x)


def test_weights_turning_non_finite_are_never_saved(tmp_path: Path, blobs,
                                                    make_tiny_net) -> None:
    data = prepare_data(blobs, (1, 8, 8), val_split=0.2, test_split=0.1)
    steps = len(data.train) // 32 + (len(data.train) % 32 > 1)
    model = InfAfter(make_tiny_net(), after=2 * steps)  # the last batch of epoch 2
    with pytest.raises(NonFiniteLossError, match="weights became NaN or infinite at epoch 2"):
        train(model, data, config(epochs=3), tmp_path)
    assert json.loads((tmp_path / "checkpoints" / "last.json").read_text())["epochs_done"] == 1
    with pytest.raises(TrainingError, match=r"the model holds non-finite weights .*node\(s\) "
                       r"scale: scale \(1 values\)"):
        check_finite_weights(model, "the model")


def test_align_classes_by_name() -> None:
    part = ArrayData(torch.zeros(3, 1, 2, 2, dtype=torch.uint8), torch.tensor([0, 1, 2]),
                     ["c", "a", "b"], "x")
    aligned = align_classes(part, ["a", "b", "c"], "x")
    assert aligned.classes == ["a", "b", "c"] and aligned.labels.tolist() == [2, 0, 1]
    files = FileData([Path("p"), Path("q")], [0, 1], ["b", "a"], "folder")
    assert align_classes(files, ["a", "b", "c"], "folder", subset_ok=True).labels == [1, 0]
    with pytest.raises(DatasetError, match=r"classes c are missing.*\[b, a\].*\[a, b, c\]"):
        align_classes(files, ["a", "b", "c"], "folder")
    with pytest.raises(DatasetError, match="class names repeat"):
        align_classes(FileData([], [], ["a", "a"], "f"), ["a", "b"], "f", subset_ok=True)


def test_resume_refuses_settings_the_run_depends_on() -> None:
    plain, cosine, onecycle = config(epochs=2), config(epochs=2, scheduler="cosine"), config(
        epochs=2, scheduler="onecycle")
    with pytest.raises(ValueError, match="optimizer, seed cannot change"):
        check_resume_changes(plain, {"optimizer": "sgd", "seed": 4, "epochs": 3}, 1)
    check_resume_changes(plain, {"optimizer": "adam", "lr": 0.1, "batch_size": 8}, 1)
    with pytest.raises(ValueError, match="onecycle schedule.*batch_size cannot change"):
        check_resume_changes(onecycle, {"batch_size": 8}, 1)
    with pytest.raises(ValueError, match="cosine schedule.*epochs cannot change"):
        check_resume_changes(cosine, {"epochs": 5}, 1)
    with pytest.raises(ValueError, match="lr can change on resume only"):
        check_resume_changes(cosine, {"lr": 0.1}, 1)
    with pytest.raises(ValueError, match="already trained 2 epoch.*above 2"):
        check_resume_changes(plain, {}, 2)


def test_runs_without_a_recorded_fingerprint_still_refuse_other_data(
        tmp_path: Path, blobs, make_tiny_net) -> None:
    data = prepare_data(blobs, (1, 8, 8), val_split=0.2, test_split=0.1)
    train(make_tiny_net(), data, config(), tmp_path)
    path = tmp_path / "config.json"
    info = json.loads(path.read_text())
    del info["fingerprint"]  # as written before fingerprints were recorded
    path.write_text(json.dumps(info))
    half = RawDataset(ArrayData(blobs.train.images[:200], blobs.train.labels[:200],
                                blobs.train.classes, "half"))
    other = prepare_data(half, (1, 8, 8), val_split=0.2, test_split=0.1)
    with pytest.raises(DatasetError, match="train samples: 280 in the run, 140 now"):
        resume(make_tiny_net(), tmp_path, other, epochs=2)
    done = resume(make_tiny_net(), tmp_path, other, epochs=2, allow_different_data=True)
    assert done.epochs_done == 2


def test_evaluate_run_on_a_subset_of_classes(tmp_path: Path, blobs, make_tiny_net) -> None:
    data = prepare_data(blobs, (1, 8, 8), val_split=0.2, test_split=0.1)
    train(make_tiny_net(), data, config(epochs=3, lr=0.01), tmp_path)
    keep = blobs.train.labels >= 2  # only classes c and d, named so, numbered 0 and 1
    sub = ArrayData(blobs.train.images[keep], blobs.train.labels[keep] - 2, ["c", "d"], "cd")
    npz = tmp_path / "cd.npz"
    np.savez(npz, x=sub.images.numpy(), y=sub.labels.numpy(), classes=np.array(sub.classes))
    metrics = evaluate_run(make_tiny_net(), tmp_path, npz)
    assert metrics["samples"] == 200
    support = {r["class"]: r["support"] for r in metrics["per_class"]}
    assert support == {"a": 0, "b": 0, "c": 100, "d": 100}
    assert metrics["accuracy"] > 0.5
