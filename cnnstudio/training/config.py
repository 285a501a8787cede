"""Training run settings: a JSON-serialisable dataclass.

``TrainConfig`` holds everything a run needs besides the model and the data. It is plain Python
(no torch import) so the GUI can build and edit it without loading torch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

#: dataset names the engine knows (torch-free here, so the GUI form can list them cheaply)
BUILTIN_NAMES = ("mnist", "fashion-mnist", "cifar10", "mnist-sample")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULERS = ("none", "step", "cosine", "onecycle", "plateau")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
CHANNELS_LAST = ("auto", "on", "off")
MONITORS = ("val_accuracy", "val_loss")
#: the ``cnnstudio train`` option of each setting that has one (named in validation errors)
CLI_OPTIONS = {name: "--" + name.replace("_", "-") for name in (
    "epochs", "batch_size", "lr", "optimizer", "momentum", "weight_decay", "scheduler",
    "label_smoothing", "grad_clip", "early_stopping", "val_split", "device", "precision",
    "seed")} | {"num_workers": "--workers"}


@dataclass
class TrainConfig:
    """Settings of one training run (all fields have working defaults)."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    scheduler: str = "none"
    step_size: int = 10  # epochs between decays for the "step" scheduler
    gamma: float = 0.1  # decay factor for "step" and "plateau"
    label_smoothing: float = 0.0
    grad_clip: float = 0.0  # max gradient norm; 0 turns clipping off
    early_stopping: int = 0  # patience in epochs; 0 turns it off
    monitor: str = "val_accuracy"  # chooses the best checkpoint and drives early stopping
    device: str = "auto"
    seed: int = 0
    augment: list[str] = field(default_factory=list)  # e.g. ["crop:4", "hflip", "rotate:10"]
    val_split: float = 0.1
    test_split: float = 0.1  # used only when the data has no test part of its own
    num_threads: int = 0  # 0: all cores (less one when leave_core_for_gui)
    leave_core_for_gui: bool = False
    num_workers: int = 0  # DataLoader workers for streamed image folders (0 in the GUI process)
    precision: str = "auto"  # auto | fp32 | bf16 | fp16
    channels_last: str = "auto"  # auto | on | off
    fused_optimizer: bool = True
    grey: bool = False  # convert RGB data to grey for a 1-channel Input node
    log_every: int = 10  # batches between progress reports

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        checks = [
            ("epochs", self.epochs >= 1, "must be at least 1"),
            ("batch_size", self.batch_size >= 1, "must be at least 1"),
            ("lr", self.lr > 0, "must be positive"),
            ("optimizer", self.optimizer in OPTIMIZERS, f"must be one of {OPTIMIZERS}"),
            ("scheduler", self.scheduler in SCHEDULERS, f"must be one of {SCHEDULERS}"),
            ("device", self.device in DEVICES, f"must be one of {DEVICES}"),
            ("precision", self.precision in PRECISIONS, f"must be one of {PRECISIONS}"),
            ("channels_last", self.channels_last in CHANNELS_LAST, f"one of {CHANNELS_LAST}"),
            ("monitor", self.monitor in MONITORS, f"must be one of {MONITORS}"),
            ("val_split", 0.0 <= self.val_split < 1.0, "must be in [0, 1)"),
            ("test_split", 0.0 <= self.test_split < 1.0, "must be in [0, 1)"),
            ("label_smoothing", 0.0 <= self.label_smoothing < 1.0, "must be in [0, 1)"),
            ("weight_decay", self.weight_decay >= 0, "must be >= 0"),
            ("grad_clip", self.grad_clip >= 0, "must be >= 0"),
            ("early_stopping", self.early_stopping >= 0, "must be >= 0"),
            ("num_threads", self.num_threads >= 0, "must be >= 0"),
            ("num_workers", self.num_workers >= 0, "must be >= 0"),
            ("log_every", self.log_every >= 1, "must be at least 1"),
        ]
        for name, ok, why in checks:
            if not ok:
                option = f" ({CLI_OPTIONS[name]})" if name in CLI_OPTIONS else ""
                raise ValueError(f"TrainConfig.{name} = {getattr(self, name)!r}{option}: {why}")
        if self.val_split + self.test_split >= 1.0:
            raise ValueError("TrainConfig: val_split + test_split must be below 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict; unknown keys raise ValueError (catches typos in JSON files)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"TrainConfig: unknown setting(s) {', '.join(unknown)}")
        config = cls(**data)
        config.augment = list(config.augment)
        config.validate()
        return config

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> None:
        from cnnstudio.training.files import write_text_atomic

        write_text_atomic(Path(path), self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))
