"""Distributed data-parallel: two gloo processes under torchrun, and rank sharding."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch

from cnnstudio.training.data import TensorBatches
from cnnstudio.training.datasets import ArrayData

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_rank_shards_are_disjoint_and_cover() -> None:
    part = ArrayData(torch.zeros(103, 1, 2, 2, dtype=torch.uint8), torch.arange(103), ["x"], "")
    seen = []
    for rank in range(2):
        b = TensorBatches(part, 17, torch.device("cpu"), seed=3, rank=rank, world_size=2)
        b.set_epoch(1)
        seen.append(torch.cat([y for _, y in b]))
    assert len(seen[0]) == len(seen[1]) == 51
    assert not set(seen[0].tolist()) & set(seen[1].tolist())
    again = TensorBatches(part, 17, torch.device("cpu"), seed=3, rank=0, world_size=2)
    again.set_epoch(2)
    assert not torch.equal(torch.cat([y for _, y in again]), seen[0])  # set_epoch reshuffles


def test_two_process_ddp_on_cpu(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc-per-node=2",
           "--master-addr=127.0.0.1", f"--master-port={free_port()}",
           str(HERE / "ddp_script.py"), str(tmp_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r0, r1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2))
    assert r0["params"] == r1["params"]  # replicas stay identical
    assert r0["status"] == r1["status"] == "completed"
    keys = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy")
    rows = [[{k: row[k] for k in keys} for row in r["history"]] for r in (r0, r1)]
    assert rows[0] == rows[1] and len(rows[0]) == 3  # epoch metrics reduced over ranks
    assert r0["batches"] == 7  # 210 training samples / 2 ranks / batch 16
    assert r0["events"] > 0 and r1["events"] == 0  # only rank 0 reports
    assert r0["test_accuracy"] > 0.8
    assert (tmp_path / "run" / "checkpoints" / "last.safetensors").is_file()
    assert (tmp_path / "run" / "metrics.json").is_file()
