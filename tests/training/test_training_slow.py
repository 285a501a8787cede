"""Long real-data runs (``--runslow``): LeNet-5 on MNIST, a CNN on Fashion-MNIST, CIFAR-10."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from cnnstudio.training import TrainConfig, train
from cnnstudio.training.data import prepare_data

pytestmark = pytest.mark.slow


def lenet5() -> nn.Module:
    """LeNet-5-like; padding 2 on the first conv stands for the 28->32 input padding."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def fashion_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def cifar_cnn() -> nn.Module:
    def block(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.MaxPool2d(2)]

    return nn.Sequential(*block(3, 32), *block(32, 64), *block(64, 128), nn.Flatten(),
                         nn.Dropout(0.2), nn.Linear(128 * 4 * 4, 10))


def run(model: nn.Module, source: Path | str, shape: tuple[int, int, int], cfg: TrainConfig,
        run_dir: Path) -> float:
    torch.manual_seed(cfg.seed)
    result = train(model, source, cfg, run_dir, input_shape=shape)
    print(f"\n{source}: history {[round(r['val_accuracy'], 4) for r in result.history]}, "
          f"samples/s {[round(r['samples_per_s']) for r in result.history]}, "
          f"test accuracy {result.test_metrics['accuracy']:.4f}")
    assert (run_dir / "metrics.json").is_file()
    return result.test_metrics["accuracy"]


def test_lenet5_mnist(shared_data: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(epochs=3, batch_size=64, lr=2e-3, optimizer="adam", scheduler="cosine",
                      val_split=0.05)
    assert run(lenet5(), shared_data / "mnist", (1, 28, 28), cfg, tmp_path) >= 0.985


def test_fashion_cnn(shared_data: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(epochs=5, batch_size=128, lr=2e-3, optimizer="adam", scheduler="cosine",
                      val_split=0.05)
    assert run(fashion_cnn(), shared_data / "fashion-mnist", (1, 28, 28), cfg, tmp_path) >= 0.90


def test_cifar10_folders(shared_data: Path, tmp_path: Path) -> None:
    """The 10k CIFAR-10 test JPEGs split 80/10/10, with crop + flip augmentation."""
    cfg = TrainConfig(epochs=4, batch_size=64, lr=2e-3, optimizer="adamw", scheduler="onecycle",
                      augment=["crop:4", "hflip"], val_split=0.1, test_split=0.1)
    acc = run(cifar_cnn(), shared_data / "cifar10-test-jpg" / "test", (3, 32, 32), cfg, tmp_path)
    assert acc > 0.35


def test_bf16_costs_no_accuracy(make_small_cnn) -> None:
    data = prepare_data("mnist-sample", (1, 28, 28), seed=0)
    accs = {}
    for precision in ("fp32", "bf16"):
        torch.manual_seed(0)
        cfg = TrainConfig(epochs=2, batch_size=64, lr=2e-3, precision=precision)
        result = train(make_small_cnn(), data, cfg)
        accs[precision] = result.test_metrics["accuracy"]
    print(f"\nfp32 vs bf16 test accuracy: {accs}")
    assert accs["bf16"] >= accs["fp32"] - 0.01
