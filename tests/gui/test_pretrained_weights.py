"""Train > Load Pretrained Weights... on the resnet18 preset: a torchvision state dict (saved
from torchvision's resnet18, weights=None) chosen in the file dialog or found in the torch hub
cache, checked in a worker, written into the training form, the backbone frozen as one undo
step (canvas flags and summary counts); the training worker loads it before training."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from PySide6.QtWidgets import QMessageBox
from safetensors.torch import load_file

from cnnstudio.core import project_io
from cnnstudio.core.presets import build_preset
from cnnstudio.core.presets.origin import PRESET_KEY
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.training.worker import TrainWorker
from cnnstudio.training.config import TrainConfig
from tests.conftest import RESNET18_FILE
from tests.gui.conftest import Dialogs

FC_PARAMS = 512 * 1000 + 1000
RESNET18_PARAMS = 11_689_512
Yes, No = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No


@pytest.fixture
def weights(resnet18_weights: Path) -> Path:
    return resnet18_weights


def load(qtbot: Any, window: MainWindow) -> None:
    """Trigger the action (its dialogs answer from ``dialogs``); wait for the check."""
    action = window.actions.all["train_load_weights"]
    window.pretrained.update_enabled()
    assert action.isEnabled()
    action.trigger()
    qtbot.waitUntil(lambda: window.pretrained.job is None, timeout=60_000)


def trainable(window: MainWindow) -> dict[str, bool]:
    assert window.doc is not None
    return {n.name: n.trainable for n in window.doc.graph.nodes.values()
            if n.spec.has_weights}


def test_a_weights_file_fills_the_form_and_freezes_the_backbone_undoably(
        qtbot: Any, window: MainWindow, dialogs: Dialogs, weights: Path) -> None:
    assert window.open_preset("resnet18")
    doc = window.doc
    assert doc is not None
    dialogs.question, dialogs.open_path = No, str(weights)  # No: a file, not the hub cache
    window.pretrained.choose()
    dialogs.question = Yes  # then: freeze the backbone
    qtbot.waitUntil(lambda: window.pretrained.job is None, timeout=60_000)
    assert not dialogs.errors
    assert window.pretrained.panel.form.fields["weights"].text() == str(weights)
    _, _, config = window.pretrained.panel.form.read()
    assert config.weights == str(weights) and config.freeze == "none"
    assert "122 tensors from" in dialogs.asked[-1][1] and "fresh weights: none" in (
        dialogs.asked[-1][1])  # 1000 classes: the head loads too
    flags = trainable(window)
    assert flags.pop("fc") is True and not any(flags.values()) and len(flags) == 40
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Freeze 40 nodes"
    totals = window.summary.totals.text
    qtbot.waitUntil(lambda: f"frozen {RESNET18_PARAMS - FC_PARAMS:,})" in totals())
    doc.undo_stack.undo()
    assert all(trainable(window).values())
    qtbot.waitUntil(lambda: "frozen 0)" in totals())


def test_the_torch_hub_cache_for_a_torchvision_preset(
        qtbot: Any, window: MainWindow, dialogs: Dialogs, weights: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # empty at first
    assert window.open_preset("resnet18")
    dialogs.question = Yes  # the hub cache, then freeze
    load(qtbot, window)
    folder = tmp_path / "hub" / "checkpoints"
    assert dialogs.errors == [f"no torchvision weights for resnet18 in the torch hub cache: put "
                              f"{RESNET18_FILE} into {folder}/ (CNN Studio never downloads "
                              "weights)"]
    assert window.pretrained.panel.form.fields["weights"].text() == ""
    assert all(trainable(window).values())
    folder.mkdir(parents=True)
    (folder / RESNET18_FILE).write_bytes(weights.read_bytes())
    load(qtbot, window)
    assert window.pretrained.panel.form.fields["weights"].text() == "torchvision"
    assert not trainable(window)["conv1"] and trainable(window)["fc"]


def test_the_training_worker_loads_the_weights_before_training(
        weights: Path, shared_data: Path, tmp_path: Path) -> None:
    graph = build_preset("resnet18", (3, 32, 32), 10)
    text = project_io.dumps(project_io.Project(graph, "mine", metadata={PRESET_KEY: "resnet18"}))
    config = TrainConfig(epochs=1, batch_size=50, val_split=0.2, weights=str(weights),
                         freeze="backbone", num_threads=1)
    run = tmp_path / "run"
    worker = TrainWorker(project_io.loads(text).graph, str(shared_data / "cifar10-sample-200"),
                         config, run, (3, 32, 32), project_text=text)
    result = worker.work()  # the worker's body, here in the test's thread
    assert result["status"] == "completed"
    report = json.loads((run / "pretrained.json").read_text())
    assert report["fresh"] == ["fc"] and report["tensors_loaded"] == 120
    after = load_file(run / "checkpoints" / "last.safetensors")
    state = torch.load(weights, weights_only=True)
    assert torch.equal(after["layer4_1_conv2.weight"], state["layer4.1.conv2.weight"])
    saved = project_io.load(run / "project.cnnproj")  # frozen as trained
    assert not saved.graph.by_name("conv1").trainable and saved.graph.by_name("fc").trainable
