"""Run by test_training_distributed under torchrun (two gloo processes on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
from torch import nn

from cnnstudio.training import TrainConfig, train
from cnnstudio.training.data import prepare_data
from cnnstudio.training.datasets import ArrayData, RawDataset


def main() -> None:
    out = Path(sys.argv[1])
    rank = int(os.environ["RANK"])
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(300) % 3
    images = torch.randint(0, 80, (300, 1, 8, 8), generator=g, dtype=torch.uint8)
    for k in range(3):
        images[labels == k, :, 2 * k:2 * k + 3] += 150
    raw = RawDataset(ArrayData(images, labels, ["a", "b", "c"], "stripes"), None)
    data = prepare_data(raw, (1, 8, 8), val_split=0.2, test_split=0.1, seed=1)
    torch.manual_seed(rank)  # different initial weights: DDP must broadcast rank 0's
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 3))
    events: list[dict] = []
    cfg = TrainConfig(epochs=3, batch_size=16, lr=0.01, num_threads=1, log_every=1)
    result = train(model, data, cfg, out / "run", listener=events.append)
    params = torch.cat([p.detach().flatten() for p in model.parameters()])
    (out / f"rank{rank}.json").write_text(json.dumps({
        "params": params.tolist(), "events": len(events), "status": result.status,
        "history": result.history,
        "test_accuracy": (result.test_metrics or {}).get("accuracy"),
        "batches": next((e["batches_per_epoch"] for e in events if e["event"] == "start"),
                        None)}))


if __name__ == "__main__":
    main()
