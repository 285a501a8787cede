"""Resume... in the training dock: a run continues from its last checkpoint, and a run whose
data is gone is refused with the engine's message, the run folder untouched (issue #9)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PySide6.QtWidgets import QInputDialog

from cnnstudio.compiler import build_model
from cnnstudio.core.project_io import Project, save
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.training import TrainConfig, train
from tests.gui.conftest import Dialogs, chain_graph

TIMEOUT_MS = 120_000


def tiny_run(tmp_path: Path) -> tuple[Path, Path]:
    """A one-epoch run on a small .npz of random digits-shaped images."""
    rng = np.random.default_rng(0)
    data = tmp_path / "digits.npz"
    np.savez(data, x=rng.integers(0, 255, (240, 28, 28), dtype=np.uint8),
             y=np.arange(240) % 10)
    run = tmp_path / "run"
    project = Project(chain_graph(), "chain")
    run.mkdir()
    save(project, run / "project.cnnproj")
    torch.manual_seed(0)
    train(build_model(project.graph, for_training=True), str(data),
          TrainConfig(epochs=1, batch_size=64, device="cpu"), run, input_shape=(1, 28, 28))
    return run, data


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def ask_epochs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    answers = [3]
    monkeypatch.setattr(QInputDialog, "getInt",
                        staticmethod(lambda *a, **k: (answers[0], True)))
    return answers


def test_resume_continues_the_run(qtbot: Any, window: MainWindow, tmp_path: Path,
                                  dialogs: Dialogs, ask_epochs: list[int]) -> None:
    run, _ = tiny_run(tmp_path)
    panel = window.training
    assert panel.open_run(run)
    assert panel.resume_button.isEnabled()
    panel.resume_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=TIMEOUT_MS)
    assert dialogs.errors == []
    history = json.loads((run / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3]
    last = json.loads((run / "checkpoints" / "last.json").read_text())
    assert last["epochs_done"] == 3
    assert panel.run_dir == run and panel.resume_button.isEnabled()


def test_resume_without_the_data_is_refused_and_keeps_the_run(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs,
        ask_epochs: list[int]) -> None:
    run, data = tiny_run(tmp_path)
    data.unlink()
    before = digest(run)
    panel = window.training
    assert panel.open_run(run)
    panel.resume_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=TIMEOUT_MS)
    assert len(dialogs.errors) == 1 and "digits.npz" in dialogs.errors[0]
    assert "Traceback" not in dialogs.errors[0]
    assert digest(run) == before
