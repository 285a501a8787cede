"""The GUI thread's share of a training run: batch events throttled in the worker thread,
the progress bar and status line drawn by the plots' timer, torch preloaded with the GIL
released (issue #11; bench/gui_training.py measures the latency)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QProgressBar

from cnnstudio.gui.training.panel import TrainingPanel
from cnnstudio.gui.training.plots import BatchStatus
from cnnstudio.gui.training.worker import Worker


def batch(i: int, batches: int = 100, epoch: int = 1) -> dict[str, Any]:
    return {"event": "batch", "epoch": epoch, "epochs": 2, "batch": i, "batches": batches,
            "loss": 1.0 / i, "accuracy": 0.5, "samples_per_s": 1000.0, "lr": 1e-3,
            "eta_s": 10.0}


def test_batch_events_are_throttled_but_epoch_ends_and_other_events_pass() -> None:
    worker = Worker()
    got: list[dict[str, Any]] = []
    worker.progress.connect(got.append)
    worker._listen({"event": "start", "epochs": 2})
    for i in range(1, 101):  # far faster than 20 a second
        worker._listen(batch(i))
    worker._listen({"event": "epoch", "epoch": 1})
    kinds = [e["event"] for e in got]
    batches = [e["batch"] for e in got if e["event"] == "batch"]
    assert kinds[0] == "start" and kinds[-1] == "epoch"
    assert batches[0] == 1 and batches[-1] == 100  # the first, and the epoch's last
    assert len(batches) < 10


def test_batch_status_is_written_on_flush_only(qtbot: Any) -> None:
    bar, label = QProgressBar(), QLabel("Idle.")
    bar.setRange(0, 1000)
    status = BatchStatus(bar, label)
    status.pending = batch(50)
    assert label.text() == "Idle." and bar.value() <= 0
    status.flush()
    assert bar.value() == 250 and "Epoch 1/2, batch 50/100" in label.text()
    label.setText("Finished.")
    status.flush()  # nothing pending: the newer text stays
    assert label.text() == "Finished."


def test_panel_defers_batch_text_to_the_timer_and_flushes_before_other_events(
        qtbot: Any) -> None:
    panel = TrainingPanel(lambda: None)
    qtbot.addWidget(panel)
    panel.status.setText("Training on cpu")
    panel._on_event(batch(10))
    assert panel.plots.series["train_loss"].n == 1
    assert panel.status.text() == "Training on cpu"  # no widget work per event
    panel.plots.timer.timeout.emit()
    assert "batch 10/100" in panel.status.text() and panel.progress.value() == 50
    panel._on_event(batch(100))
    panel._on_event({"event": "cancelled", "epoch": 1, "batch": 100})
    assert panel.progress.value() == 500  # the last batch was shown first
    assert panel.status.text().startswith("Stopped at epoch 1")
    panel.plots.timer.timeout.emit()
    assert panel.status.text().startswith("Stopped at epoch 1")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="preloading is Linux only")
def test_preloaded_torch_imports_and_runs() -> None:
    code = ("from cnnstudio.gui.training.preload import preload_torch\n"
            "loaded = preload_torch()\n"
            "import torch\n"
            "print(loaded, float(torch.ones(3).sum()), preload_torch() == loaded)")
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120, env=env).stdout
    assert "libtorch_cpu.so" in out and "3.0 True" in out
