"""Training run settings: a JSON-serialisable dataclass.

``TrainConfig`` holds everything a run needs besides the model and the data. It is plain Python
(no torch import) so the GUI can build and edit it without loading torch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from cnnstudio.training.options import (  # noqa: F401  (the names are used from here too)
    CHANNELS_LAST,
    DEVICES,
    MONITORS,
    OPTIMIZERS,
    PRECISIONS,
    SCHEDULERS,
    TRAIN_OPTIONS,
)

#: dataset names the engine knows (torch-free here, so the GUI form can list them cheaply)
BUILTIN_NAMES = ("mnist", "fashion-mnist", "cifar10", "mnist-sample")
#: the ``cnnstudio train`` option of each declared setting (named in validation errors)
CLI_OPTIONS = {option.name: option.flag for option in TRAIN_OPTIONS}


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
    weights: str = ""  # pretrained weights: a .pth/.safetensors file or "torchvision"
    freeze: str = "none"  # none | backbone | node names separated by commas
    backbone_lr_factor: float = 1.0  # the non-head parameters learn at lr * this
    unfreeze_after: int = 0  # epochs after which frozen nodes become trainable (0: never)
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
        for option in TRAIN_OPTIONS:  # the declared ranges and choices
            value = getattr(self, option.name)
            why = option.problem(value)
            if why:
                raise ValueError(f"TrainConfig.{option.name} = {value!r} ({option.flag}): {why}")
        checks = [
            ("log_every", isinstance(self.log_every, int) and self.log_every >= 1,
             "must be at least 1"),
            ("leave_core_for_gui", isinstance(self.leave_core_for_gui, bool), "true or false"),
            ("fused_optimizer", isinstance(self.fused_optimizer, bool), "true or false"),
        ]
        for name, ok, why in checks:
            if not ok:
                raise ValueError(f"TrainConfig.{name} = {getattr(self, name)!r}: {why}")
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
