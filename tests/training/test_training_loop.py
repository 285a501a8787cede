"""The engine: a real short run, events, faults, cancel, resume, checkpoints, config."""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from cnnstudio.training import TrainConfig, train
from cnnstudio.training.checkpoints import load_checkpoint, save_checkpoint
from cnnstudio.training.data import prepare_data
from cnnstudio.training.errors import DatasetError, DeviceMemoryError, NonFiniteLossError
from cnnstudio.training.evaluate import evaluate
from cnnstudio.training.loop import load_history


def plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def test_real_mnist_sample_one_epoch(tmp_path: Path, make_small_cnn) -> None:
    """10k real MNIST digits (bundled): 8k train, 1 epoch, > 90% on the 1k test split."""
    events: list[dict] = []
    torch.manual_seed(0)
    start = time.perf_counter()
    result = train(make_small_cnn(), "mnist-sample", TrainConfig(epochs=1, batch_size=64,
                   lr=2e-3), tmp_path, input_shape=(1, 28, 28), listener=events.append)
    seconds = time.perf_counter() - start
    assert result.status == "completed" and result.test_metrics is not None
    assert result.test_metrics["accuracy"] > 0.90, result.test_metrics["accuracy"]
    assert seconds < 60
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and "batch" in kinds and "epoch" in kinds
    assert all(plain(e) for e in events)
    batch = next(e for e in events if e["event"] == "batch")
    assert {"epoch", "batch", "batches", "loss", "accuracy", "samples_per_s", "lr",
            "eta_s"} <= set(batch)
    for name in ("config.json", "history.json", "metrics.json", "metrics.csv",
                 "checkpoints/last.safetensors", "checkpoints/best.safetensors",
                 "checkpoints/last.optim.safetensors", "checkpoints/last.json"):
        assert (tmp_path / name).is_file(), name
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["preprocess"]["input_shape"] == [1, 28, 28]
    assert TrainConfig.from_dict(config["train"]).epochs == 1


def blob_config(**kw: Any) -> TrainConfig:
    base = {"epochs": 2, "batch_size": 32, "lr": 3e-3, "val_split": 0.2, "test_split": 0.1,
            "log_every": 1}
    return TrainConfig(**{**base, **kw})


def test_augment_schedulers_and_optimizers(blobs, make_tiny_net) -> None:
    for opt, sched in [("sgd", "onecycle"), ("adamw", "cosine"), ("rmsprop", "step"),
                       ("adam", "plateau")]:
        cfg = blob_config(optimizer=opt, scheduler=sched, nesterov=True, grad_clip=1.0,
                          label_smoothing=0.1, weight_decay=1e-4,
                          augment=["crop:1", "hflip", "rotate:5", "jitter", "erase"])
        data = prepare_data(blobs, (1, 8, 8), val_split=0.2, test_split=0.1)
        result = train(make_tiny_net(), data, cfg)
        assert result.status == "completed" and len(result.history) == 2, (opt, sched)
        assert all(math.isfinite(r["train_loss"]) for r in result.history)


class NaNAfter(nn.Module):
    """Emits NaN once it has run ``after`` training forward passes."""

    def __init__(self, inner: nn.Module, after: int) -> None:
        super().__init__()
        self.inner, self.after, self.calls = inner, after, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.inner(x)
        if self.training:
            self.calls += 1
            if self.calls > self.after:
                return out * float("nan")
        return out


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path: Path, blobs,
                                                       make_tiny_net) -> None:
    data = prepare_data(blobs, (1, 8, 8), val_split=0.2, test_split=0.1)
    steps = -(-len(data.train) // 32)
    model = NaNAfter(make_tiny_net(), after=steps + 2)  # NaN in epoch 2, batch 3
    events: list[dict] = []
    with pytest.raises(NonFiniteLossError, match="epoch 2, batch 3.*lower the learning rate"):
        train(model, data, blob_config(epochs=3), tmp_path, listener=events.append)
    info = json.loads((tmp_path / "checkpoints" / "last.json").read_text())
    assert info["epochs_done"] == 1
    assert events[-1]["event"] == "end" and events[-1]["status"] == "error"


def test_huge_learning_rate_diverges(blobs, make_tiny_net) -> None:
    data = prepare_data(blobs, (1, 8, 8), val_split=0.2, test_split=0.1)
    with pytest.raises(NonFiniteLossError, match="loss (became|grew).*lower the learning rate"):
        train(make_tiny_net(), data, blob_config(epochs=5, optimizer="sgd", lr=1e12,
                                                 momentum=0.0, precision="fp32"))


class OutOfMemory(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return torch.zeros(x.shape[0], 4) + self.w

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(4))


def test_out_of_memory_says_lower_the_batch_size(blobs) -> None:
    data = prepare_data(blobs, (1, 8, 8), val_split=0.2, test_split=0.1)
    with pytest.raises(DeviceMemoryError, match="lower the batch size.*try 16"):
        train(OutOfMemory(), data, blob_config())


def test_model_shape_problems_are_clear(blobs) -> None:
    data = prepare_data(blobs, (1, 8, 8), val_split=0.2, test_split=0.1)
    too_few = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    with pytest.raises(DatasetError, match="4 classes but the model has 3 outputs"):
        train(too_few, data, blob_config())
    wrong_input = nn.Sequential(nn.Flatten(), nn.Linear(100, 4))
    with pytest.raises(DatasetError, match=r"shape \(1, 8, 8\)"):
        train(wrong_input, data, blob_config())


def test_cancel_stops_within_one_batch_and_resume_continues(tmp_path: Path, blobs,
                                                            make_tiny_net) -> None:
    data = prepare_data(blobs, (1, 8, 8), val_split=0.2, test_split=0.1)
    cancel = threading.Event()
    events: list[dict] = []

    def listener(event: dict) -> None:
        events.append(event)
        if event["event"] == "batch" and event["epoch"] == 2 and event["batch"] == 3:
            cancel.set()

    model = make_tiny_net()
    result = train(model, data, blob_config(epochs=3), tmp_path, listener=listener,
                   cancel=cancel)
    assert result.status == "cancelled" and len(result.history) == 1
    batches = [e for e in events if e["event"] == "batch" and e["epoch"] == 2]
    assert batches[-1]["batch"] == 3  # no batch reported after the one that set the event
    stop = next(e for e in events if e["event"] == "cancelled")
    assert stop["batch"] <= 4
    info = json.loads((tmp_path / "checkpoints" / "last.json").read_text())
    assert info["status"] == "cancelled" and info["epochs_done"] == 1
    resumed = train(make_tiny_net(), data, blob_config(epochs=3), tmp_path, resume=True)
    assert resumed.status == "completed"
    assert [r["epoch"] for r in resumed.history] == [1, 2, 3]
    assert [r["epoch"] for r in load_history(tmp_path)] == [1, 2, 3]
    assert resumed.history[0] == result.history[0]


def test_resume_with_more_epochs(tmp_path: Path, blobs, make_tiny_net) -> None:
    from cnnstudio.training import resume

    data = prepare_data(blobs, (1, 8, 8), val_split=0.2, test_split=0.1)
    first = train(make_tiny_net(), data, blob_config(epochs=1, scheduler="step"), tmp_path)
    again = resume(make_tiny_net(), tmp_path, data, epochs=3)
    assert [r["epoch"] for r in again.history] == [1, 2, 3]
    assert again.history[0] == first.history[0]


def test_checkpoint_round_trip(tmp_path: Path, make_tiny_net) -> None:
    torch.manual_seed(0)
    model = make_tiny_net()
    opt = torch.optim.AdamW(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt)
    x, y = torch.randn(8, 1, 8, 8), torch.randint(0, 4, (8,))
    for _ in range(3):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    sched.step(1.0)
    save_checkpoint(tmp_path, "c", model, opt, sched, {"epochs_done": 3})
    model2 = make_tiny_net()
    opt2 = torch.optim.AdamW(model2.parameters(), lr=0.5)
    sched2 = torch.optim.lr_scheduler.ReduceLROnPlateau(opt2)
    info = load_checkpoint(tmp_path, "c", model2, opt2, sched2)
    assert info["epochs_done"] == 3
    assert sched2.state_dict() == sched.state_dict()
    for a, b in zip(model.state_dict().values(), model2.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    for m, o in ((model, opt), (model2, opt2)):  # one more identical step
        o.zero_grad()
        nn.functional.cross_entropy(m(x), y).backward()
        o.step()
    for a, b in zip(model.parameters(), model2.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*"))


def test_config_json_round_trip(tmp_path: Path) -> None:
    cfg = TrainConfig(epochs=3, optimizer="sgd", augment=["crop:4", "hflip"], scheduler="cosine")
    assert TrainConfig.from_json(cfg.to_json()) == cfg
    cfg.save(tmp_path / "c.json")
    assert TrainConfig.load(tmp_path / "c.json") == cfg
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig.from_dict({"optimizer": "lbfgs"})
    with pytest.raises(ValueError, match="unknown setting.*epoks"):
        TrainConfig.from_dict({"epoks": 3})


def test_evaluate_and_streamed_folder(shared_data: Path, make_small_cnn) -> None:
    """An image folder streamed through the DataLoader path (memory limit 0), then evaluate."""
    data = prepare_data(shared_data / "cifar10-sample-200", (3, 28, 28), val_split=0.2,
                        test_split=0.2, memory_limit_mb=0)
    assert data.streamed
    result = train(make_small_cnn(3), data, TrainConfig(epochs=1, batch_size=32),
                   evaluate_test=False)
    assert result.status == "completed" and result.history[0]["train_loss"] > 0
    metrics = evaluate(make_small_cnn(3), data, split="test")
    assert metrics["samples"] == len(data.test)
    assert len(metrics["confusion_matrix"]) == 10 and plain(metrics)


def test_early_stopping(blobs, make_tiny_net) -> None:
    data = prepare_data(blobs, (1, 8, 8), val_split=0.2, test_split=0.1)
    cfg = blob_config(epochs=6, optimizer="sgd", lr=1e-30, momentum=0.0, early_stopping=2,
                      monitor="val_loss")  # updates vanish: the score never improves
    result = train(make_tiny_net(), data, cfg)
    assert result.status == "early_stopped" and len(result.history) == 3
    assert result.best_epoch == 1
