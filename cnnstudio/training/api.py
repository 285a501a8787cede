"""Entry points for the CLI and the GUI worker: ``train``, ``resume``, ``evaluate_run``."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import torch

from cnnstudio.training.checkpoints import checkpoint_exists, load_checkpoint
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.data import PreparedData, prepare_data
from cnnstudio.training.errors import DatasetError
from cnnstudio.training.evaluate import evaluate
from cnnstudio.training.files import read_json
from cnnstudio.training.guards import align_classes, check_finite_weights
from cnnstudio.training.loop import Listener, Trainer, TrainResult
from cnnstudio.training.run_files import (
    data_fingerprint,
    fingerprint_changes,
    probe_outputs,
    read_run_config,
    recorded_fingerprint,
)

#: settings a resumed run may change; the others belong to its optimiser state, its schedule,
#: its data split or its model (optimizer, momentum, nesterov, weight_decay, scheduler, seed,
#: val_split, test_split, grey, ...), so a new value for them is refused
RESUMABLE = ("epochs", "batch_size", "lr", "label_smoothing", "grad_clip", "early_stopping",
             "augment", "device", "precision", "num_workers", "num_threads", "log_every",
             "channels_last", "fused_optimizer", "leave_core_for_gui")


def canonical_source(source: str | Path) -> str:
    """A dataset source as a run records it: paths made absolute, names as given."""
    return str(Path(source).resolve()) if Path(source).exists() else str(source)


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


def make_trainer(model: torch.nn.Module, data: PreparedData | str | Path, config: TrainConfig,
                 run_dir: str | Path | None = None, *,
                 input_shape: tuple[int, int, int] | None = None,
                 listener: Listener | None = None, cancel: threading.Event | None = None,
                 root: str | Path | None = None, download: bool = False) -> Trainer:
    """Load and check the data, the model and every setting, writing nothing yet.

    ``Trainer.fit()`` then creates the run's files; a caller that writes files of its own
    (the CLI's project.cnnproj) does so between the two, once all checks have passed.
    """
    if not isinstance(data, PreparedData):
        if input_shape is None:
            raise ValueError("train: input_shape (C, H, W) is needed with a data source")
        config.validate()
        data = load_data(data, input_shape, config, model, root, download)
    return Trainer(model, data, config, run_dir, [listener] if listener else [], cancel)


def train(model: torch.nn.Module, data: PreparedData | str | Path, config: TrainConfig,
          run_dir: str | Path | None = None, *, input_shape: tuple[int, int, int] | None = None,
          listener: Listener | None = None, cancel: threading.Event | None = None,
          resume: bool = False, evaluate_test: bool = True, root: str | Path | None = None,
          download: bool = False) -> TrainResult:
    """Train ``model`` (returns logits) on ``data``; a source needs ``input_shape`` (C, H, W).

    Works alike in one process and under torchrun (then each rank calls it). Raises
    DatasetError, NonFiniteLossError, DeviceMemoryError with messages fit for the user.
    """
    trainer = make_trainer(model, data, config, run_dir, input_shape=input_shape,
                           listener=listener, cancel=cancel, root=root, download=download)
    return trainer.fit(resume=resume, evaluate_test=evaluate_test)


def epochs_done(run_dir: str | Path) -> int:
    """Epochs the run's ``last`` checkpoint holds (0 without one)."""
    path = Path(run_dir) / "checkpoints" / "last.json"
    return int(read_json(path).get("epochs_done", 0)) if path.is_file() else 0


def check_resume_changes(config: TrainConfig, changes: dict[str, Any], done: int) -> None:
    """Refuse settings a resumed run cannot take, naming them and why (ValueError)."""
    fixed = sorted(k for k, v in changes.items() if k not in RESUMABLE
                   and v != getattr(config, k, None))
    if fixed:
        raise ValueError(f"{', '.join(fixed)} cannot change when a run is resumed (the saved "
                         "optimiser state, schedule, data split or model depend on them): "
                         "start a new run instead")
    fixed_by = {"onecycle": ("epochs", "batch_size"), "cosine": ("epochs",)}
    moved = [k for k in fixed_by.get(config.scheduler, ()) if k in changes
             and changes[k] != getattr(config, k)]
    if moved:
        raise ValueError(f"the {config.scheduler} schedule was fixed for {config.epochs} "
                         f"epochs at batch size {config.batch_size} when the run started: "
                         f"{' and '.join(moved)} cannot change on resume")
    if "lr" in changes and changes["lr"] != config.lr and config.scheduler in (
            "cosine", "onecycle"):
        raise ValueError(f"the {config.scheduler} schedule sets the learning rate of this run: "
                         "lr can change on resume only with the none, step or plateau "
                         "schedulers")
    epochs = changes.get("epochs", config.epochs)
    if epochs <= done:
        raise ValueError(f"the run has already trained {done} epoch(s) of {config.epochs}: "
                         f"set epochs above {done} to train it further")


def align_data(data: PreparedData, classes: list[str], what: str) -> PreparedData:
    """``data`` with every part's labels renumbered to the run's ``classes`` (by name)."""
    data.train = align_classes(data.train, classes, what)
    if data.val is not None:
        data.val = align_classes(data.val, classes, what)
    if data.test is not None:
        data.test = align_classes(data.test, classes, what)
    return data


def resume(model: torch.nn.Module, run_dir: str | Path,
           data: PreparedData | str | Path | None = None, *, epochs: int | None = None,
           changes: dict[str, Any] | None = None, root: str | Path | None = None,
           allow_different_data: bool = False, listener: Listener | None = None,
           cancel: threading.Event | None = None) -> TrainResult:
    """Continue a run from its ``last`` checkpoint with its saved config.

    ``data`` defaults to the run's own source and root; ``root`` replaces the recorded root.
    ``changes`` (TrainConfig fields, ``RESUMABLE`` only) and ``epochs`` apply on top. Data
    whose classes differ by name is refused; data whose fingerprint (samples per split,
    input shape) differs is refused unless ``allow_different_data``.
    """
    config, prep, info = read_run_config(run_dir)
    changes = {**(changes or {}), **({"epochs": epochs} if epochs is not None else {})}
    check_resume_changes(config, changes, epochs_done(run_dir))
    new_lr = changes["lr"] if changes.get("lr", config.lr) != config.lr else None
    for key, value in changes.items():
        setattr(config, key, value)
    config.validate()
    recorded = info["data"]
    if not isinstance(data, PreparedData):
        source = recorded["source"] if data is None else data
        if root is None and canonical_source(source) == recorded["source"]:
            root = recorded.get("root") or None
        data = load_data(source, prep.input_shape, config, model, root)
    what = f"the dataset {data.source or data.train.source}"
    align_data(data, list(prep.classes), what)
    changed = fingerprint_changes(recorded_fingerprint(info), data_fingerprint(data))
    if changed and not allow_different_data:
        raise DatasetError(
            f"{what} differs from the data the run was trained on ({recorded['source']}): "
            f"{'; '.join(changed)}. Resume on the run's data, or allow different data "
            "(--allow-different-data) to continue on this one")
    data.preprocess = prep  # the run's normalisation and class order
    trainer = Trainer(model, data, config, run_dir, [listener] if listener else [], cancel)
    return trainer.fit(resume=True, new_lr=new_lr)


def evaluate_run(model: torch.nn.Module, run_dir: str | Path,
                 source: str | Path | None = None, checkpoint: str = "best",
                 **kwargs: Any) -> dict[str, Any]:
    """Metrics of a run's checkpoint on ``source`` (default: the run's own test split).

    Another source's classes are matched to the run's by name (a subset is fine, a class the
    run does not know is refused). Non-finite weights are refused, naming the node.
    """
    config, prep, info = read_run_config(run_dir)
    ckpt = Path(run_dir) / "checkpoints"
    name = checkpoint if checkpoint_exists(ckpt, checkpoint) else "last"
    load_checkpoint(ckpt, name, model)
    check_finite_weights(model, f"checkpoint {ckpt / name}.safetensors")
    recorded = info["data"]
    if source is None:
        data = load_data(recorded["source"], prep.input_shape, config,
                         root=kwargs.pop("root", None) or recorded.get("root") or None)
        data = align_data(data, list(prep.classes), "the run's data")
        data.preprocess = prep
        return evaluate(model, data, **kwargs)
    if kwargs.get("root") is None and canonical_source(source) == recorded["source"]:
        kwargs["root"] = recorded.get("root") or None
    return evaluate(model, source, prep, **kwargs)
