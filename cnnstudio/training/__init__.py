"""Training: datasets, the training engine, metrics and checkpoints (Qt-free).

Submodules import torch; this package file does not, so ``from cnnstudio.training import
TrainConfig`` stays cheap. Names resolve lazily:

- ``train(model, data, config, run_dir, input_shape=..., listener=..., cancel=..., resume=...)``
- ``resume(model, run_dir, data, epochs=...)``, ``evaluate(model, dataset, preprocess)``,
  ``evaluate_run(model, run_dir, source=None)``
- ``prepare_data(source, input_shape, ...)``, ``load_data(source, input_shape, config, model)``
- ``Trainer``, ``TrainResult``, ``TrainConfig``, ``PreparedData``, ``Preprocess``
- errors: ``DatasetError``, ``TrainingError``, ``NonFiniteLossError``, ``DeviceMemoryError``
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from cnnstudio.training.config import BUILTIN_NAMES, TrainConfig
from cnnstudio.training.errors import (
    DatasetError,
    DeviceMemoryError,
    NonFiniteLossError,
    TrainingError,
)

_LAZY = {
    "train": "api", "resume": "api", "evaluate_run": "api", "load_data": "api",
    "evaluate": "evaluate", "prepare_data": "data", "PreparedData": "data",
    "Preprocess": "data", "Trainer": "loop", "TrainResult": "loop", "load_history": "loop",
    "classification_metrics": "metrics", "write_metrics": "metrics",
    "select_device": "device", "save_weights": "checkpoints", "load_weights": "checkpoints",
    "read_run_config": "run_files", "launch": "distributed",
    "load_source": "datasets",
}

__all__ = ["BUILTIN_NAMES", "TrainConfig", "DatasetError", "DeviceMemoryError",
           "NonFiniteLossError",
           "TrainingError", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"cnnstudio.training.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'cnnstudio.training' has no attribute {name!r}")
