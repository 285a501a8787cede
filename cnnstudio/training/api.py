"""Entry points for the CLI and the GUI worker: ``train``, ``resume``, ``evaluate_run``."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import torch

from cnnstudio.training.checkpoints import checkpoint_exists, load_checkpoint
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.data import PreparedData, prepare_data
from cnnstudio.training.evaluate import evaluate
from cnnstudio.training.loop import Listener, Trainer, TrainResult
from cnnstudio.training.run_files import probe_outputs, read_run_config


def load_data(source: str | Path, input_shape: tuple[int, int, int], config: TrainConfig,
              model: torch.nn.Module | None = None, root: str | Path | None = None,
              download: bool = False) -> PreparedData:
    """prepare_data with the config's split, seed and grey settings (checks the model)."""
    outputs = None
    if model is not None:
        outputs = probe_outputs(model, input_shape)
    return prepare_data(source, input_shape, val_split=config.val_split,
                        test_split=config.test_split, seed=config.seed, grey=config.grey,
                        root=root, download=download, num_outputs=outputs)


def train(model: torch.nn.Module, data: PreparedData | str | Path, config: TrainConfig,
          run_dir: str | Path | None = None, *, input_shape: tuple[int, int, int] | None = None,
          listener: Listener | None = None, cancel: threading.Event | None = None,
          resume: bool = False, evaluate_test: bool = True, root: str | Path | None = None,
          download: bool = False) -> TrainResult:
    """Train ``model`` (returns logits) on ``data``; a source needs ``input_shape`` (C, H, W).

    Works alike in one process and under torchrun (then each rank calls it). Raises
    DatasetError, NonFiniteLossError, DeviceMemoryError with messages fit for the user.
    """
    if not isinstance(data, PreparedData):
        if input_shape is None:
            raise ValueError("train: input_shape (C, H, W) is needed with a data source")
        data = load_data(data, input_shape, config, model, root, download)
    trainer = Trainer(model, data, config, run_dir, [listener] if listener else [], cancel)
    return trainer.fit(resume=resume, evaluate_test=evaluate_test)


def resume(model: torch.nn.Module, run_dir: str | Path, data: PreparedData | str | Path,
           *, epochs: int | None = None, listener: Listener | None = None,
           cancel: threading.Event | None = None) -> TrainResult:
    """Continue a run from its ``last`` checkpoint with its saved config (``epochs`` may grow)."""
    config, prep, _ = read_run_config(run_dir)
    if epochs is not None:
        config.epochs = epochs
    return train(model, data, config, run_dir, input_shape=prep.input_shape,
                 listener=listener, cancel=cancel, resume=True)


def evaluate_run(model: torch.nn.Module, run_dir: str | Path,
                 source: str | Path | None = None, checkpoint: str = "best",
                 **kwargs: Any) -> dict[str, Any]:
    """Metrics of a run's checkpoint on ``source`` (default: the run's own test split)."""
    config, prep, info = read_run_config(run_dir)
    ckpt = Path(run_dir) / "checkpoints"
    name = checkpoint if checkpoint_exists(ckpt, checkpoint) else "last"
    load_checkpoint(ckpt, name, model)
    if source is None:
        recorded = info["data"]
        data = load_data(recorded["source"], prep.input_shape, config,
                         root=recorded.get("root") or None)
        return evaluate(model, data, **kwargs)
    return evaluate(model, source, prep, **kwargs)
