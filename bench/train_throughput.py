"""Training throughput: the engine vs an idiomatic loop vs a tight permutation loop.

Same model (conv32 3x3, pool, conv32 3x3, pool, dense128, dense10), same initial weights, same
data (MNIST 60k train / 10k test from ../shared/data/mnist, else the bundled 10k sample split
8k/2k), batch 128, Adam lr 1e-3. Prints JSON: samples/s of each (training time only), test
accuracy of each, and the engine's ratios. Run: ``python bench/train_throughput.py [--epochs 2]``.
"""

from __future__ import annotations

import argparse
import copy
import json
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


def idiomatic(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int,
              batch: int) -> float:
    loader = DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
    return time.perf_counter() - start


def tight(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, batch: int) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(y))
        for i in range(0, len(y), batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
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
    results: dict[str, dict[str, float]] = {}
    for name, loop in (("idiomatic", idiomatic), ("tight", tight)):
        torch.manual_seed(1)
        model = copy.deepcopy(init)
        seconds = loop(model, x, y, e, b)
        results[name] = {"samples_per_s": n * e / seconds, "test_accuracy": accuracy(model, xt, yt),
                         "seconds": seconds}
    torch.manual_seed(1)
    model = copy.deepcopy(init)
    cfg = TrainConfig(epochs=e, batch_size=b, lr=1e-3, optimizer="adam", seed=1,
                      val_split=0.0, precision=args.precision, channels_last=args.channels_last)
    result = train(model, data, cfg)
    seconds = sum(r["seconds"] for r in result.history)
    results["engine"] = {"samples_per_s": n * e / seconds,
                         "test_accuracy": result.test_metrics["accuracy"], "seconds": seconds}
    report = {
        "data": str(source), "train_samples": n, "test_samples": len(yt), "epochs": e,
        "batch_size": b, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "engine_settings": {"precision": args.precision, "channels_last": args.channels_last},
        "results": results,
        "engine_vs_idiomatic": results["engine"]["samples_per_s"]
        / results["idiomatic"]["samples_per_s"],
        "engine_vs_tight": results["engine"]["samples_per_s"] / results["tight"]["samples_per_s"],
        "accuracy_delta_points_vs_idiomatic": 100 * (results["engine"]["test_accuracy"]
                                                     - results["idiomatic"]["test_accuracy"]),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
