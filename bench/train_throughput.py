"""Training throughput: the engine vs an idiomatic loop vs a tight permutation loop.

Same model (conv32 3x3, pool, conv32 3x3, pool, dense128, dense10), same initial weights, same
data (MNIST 60k train / 10k test from ../shared/data/mnist, else the bundled 10k sample split
8k/2k), batch 128, Adam lr 1e-3. The three run interleaved, one epoch each per round, so that
load from other processes on a shared machine hits them alike. Prints JSON: samples/s of each
(training time only; best epoch and median), test accuracy of each after all epochs, and the
engine's ratios. Run: ``python bench/train_throughput.py [--epochs 3]``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from cnnstudio.training import TrainConfig, train
from cnnstudio.training.data import prepare_data

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 32, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800, 128), nn.ReLU(), nn.Linear(128, 10))


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    correct = sum(int((model(xb).argmax(1) == yb).sum()) for xb, yb in
                  zip(x.split(1024), y.split(1024), strict=True))
    return correct / len(y)


class Idiomatic:
    """DataLoader over TensorDataset, fp32, default settings."""

    def __init__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int) -> None:
        self.model, self.loader = model, DataLoader(TensorDataset(x, y), batch_size=batch,
                                                    shuffle=True)
        self.opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def epoch(self) -> float:
        loss_fn = nn.CrossEntropyLoss()
        self.model.train()
        start = time.perf_counter()
        for xb, yb in self.loader:
            self.opt.zero_grad()
            loss_fn(self.model(xb), yb).backward()
            self.opt.step()
        return time.perf_counter() - start


class Tight:
    """Tensors indexed by a random permutation, fp32."""

    def __init__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int) -> None:
        self.model, self.x, self.y, self.batch = model, x, y, batch
        self.opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def epoch(self) -> float:
        loss_fn = nn.CrossEntropyLoss()
        self.model.train()
        start = time.perf_counter()
        perm = torch.randperm(len(self.y))
        for i in range(0, len(self.y), self.batch):
            idx = perm[i:i + self.batch]
            self.opt.zero_grad(set_to_none=True)
            loss_fn(self.model(self.x[idx]), self.y[idx]).backward()
            self.opt.step()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--precision", default="auto", help="engine precision (auto|fp32|bf16)")
    parser.add_argument("--channels-last", default="auto", help="engine channels_last")
    args = parser.parse_args()
    source = SHARED if SHARED.is_dir() else "mnist-sample"
    data = prepare_data(source, (1, 28, 28), val_split=0.0, test_split=0.2, seed=0)
    mean, std = data.preprocess.mean[0], data.preprocess.std[0]
    x = (data.train.images.float() / 255 - mean) / std
    y = data.train.labels
    xt = (data.test.images.float() / 255 - mean) / std
    yt = data.test.labels
    n, e, b = len(y), args.epochs, args.batch_size
    torch.manual_seed(0)
    init = small_cnn()
    models = {name: copy.deepcopy(init) for name in ("idiomatic", "tight", "engine")}
    loops = {"idiomatic": Idiomatic(models["idiomatic"], x, y, b),
             "tight": Tight(models["tight"], x, y, b)}
    seconds: dict[str, list[float]] = {name: [] for name in models}
    cfg = TrainConfig(epochs=1, batch_size=b, lr=1e-3, optimizer="adam", seed=1,
                      val_split=0.0, precision=args.precision, channels_last=args.channels_last)
    engine_acc = 0.0
    default_threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as run_dir:
        for r in range(e):
            for name, loop in loops.items():
                torch.set_num_threads(default_threads)  # the engine may have tuned it
                seconds[name].append(loop.epoch())
            cfg.epochs = r + 1
            result = train(models["engine"], data, cfg, run_dir, resume=r > 0,
                           evaluate_test=r == e - 1)
            seconds["engine"].append(result.history[-1]["seconds"])
            engine_acc = result.test_metrics["accuracy"] if result.test_metrics else 0.0
    results: dict[str, dict[str, float]] = {}
    for name, times in seconds.items():
        acc = engine_acc if name == "engine" else accuracy(models[name], xt, yt)
        results[name] = {"samples_per_s_best": n / min(times),
                         "samples_per_s_median": n / statistics.median(times),
                         "epoch_seconds": [round(t, 2) for t in times], "test_accuracy": acc}
    report = {
        "data": str(source), "train_samples": n, "test_samples": len(yt), "epochs": e,
        "batch_size": b, "cpu_cores": os.cpu_count(), "torch": torch.__version__,
        "engine_settings": {"precision": args.precision, "channels_last": args.channels_last},
        "results": results,
        "engine_vs_idiomatic": {k: results["engine"][k] / results["idiomatic"][k]
                                for k in ("samples_per_s_best", "samples_per_s_median")},
        "engine_vs_tight": {k: results["engine"][k] / results["tight"][k]
                            for k in ("samples_per_s_best", "samples_per_s_median")},
        "accuracy_delta_points_vs_idiomatic": 100 * (results["engine"]["test_accuracy"]
                                                     - results["idiomatic"]["test_accuracy"]),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
