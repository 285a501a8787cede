"""The options of a training run, declared once (torch-free, Qt-free).

``TRAIN_OPTIONS`` is the one list that ``cnnstudio train``'s parser (cnnstudio.cli.train) and
the app's training form (cnnstudio.gui.training.form) are built from, and that
``TrainConfig.validate`` checks ranges against, so the three cannot drift. Each
``TrainOption`` names its ``TrainConfig`` field, its command-line flag, its kind, its range
(finite, each end inclusive or open), its choices, a one-line help (the CLI's help and the
form's tooltip), its group (a section of the form) and whether ``--resume`` may change it.
Defaults are read from ``TrainConfig`` itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from cnnstudio.training.augment_spec import parse_augment

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULERS = ("none", "step", "cosine", "onecycle", "plateau")
#: the device names; ``cuda:N`` picks one GPU (training.device.available_devices lists them)
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
CHANNELS_LAST = ("auto", "on", "off")
MONITORS = ("val_accuracy", "val_loss")
#: the sections of the training form, in order
GROUPS = ("Training", "Optimiser", "Transfer", "Data", "Device")
#: the longest text a text option takes (a file path or a list of node names)
MAX_TEXT = 4096

Kind = Literal["int", "float", "bool", "choice", "device", "list", "text"]


def parse_freeze(text: str) -> str | list[str]:
    """``--freeze``: ``none``, ``backbone`` (every weighted node but the head) or node names
    separated by commas; ValueError says what is allowed."""
    text = text.strip()
    if text in ("none", "backbone"):
        return text
    names = [name.strip() for name in text.split(",")]
    bad = [name for name in names if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)]
    if not text or bad:
        raise ValueError(f"freeze {text!r}: give none, backbone or node names separated by "
                         "commas (e.g. conv1,layer1_0_conv1)")
    return names


def is_device_name(text: str) -> bool:
    """``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` (present or not on this machine)."""
    return text in DEVICES or re.fullmatch(r"cuda:\d{1,3}", text) is not None


@dataclass(frozen=True)
class TrainOption:
    """One training setting as the CLI and the form show it."""

    name: str  # the TrainConfig field
    flag: str  # the ``cnnstudio train`` option
    label: str  # the form's label
    kind: Kind
    help: str  # the CLI's help and the form's tooltip
    group: str
    low: float = 0.0
    high: float = 0.0
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    resumable: bool = False  # ``--resume`` may give it again (see training.api.RESUMABLE)
    typed: bool = False  # a float spanning orders of magnitude: typed as text (1e-3)
    metavar: str | None = None
    placeholder: str = ""  # what an empty text field means (the form shows it)

    @property
    def default(self) -> Any:
        from cnnstudio.training.config import TrainConfig

        return getattr(TrainConfig(), self.name)

    @property
    def ranged(self) -> bool:
        return self.kind in ("int", "float")

    def span(self) -> str:
        """The range as ``[0, 1)``."""
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        low, high = (f"{int(self.low)}", f"{int(self.high)}") if self.kind == "int" else (
            f"{self.low:g}", f"{self.high:g}")
        return f"{left}{low}, {high}{right}"

    def inside(self, value: float) -> bool:
        """Finite and in the range."""
        above = self.low < value if self.low_open else self.low <= value
        below = value < self.high if self.high_open else value <= self.high
        return (isinstance(value, int) or math.isfinite(value)) and above and below

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is refused for this option (None when it is fine)."""
        if self.kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            return f"must be a whole number in {self.span()}"
        if self.kind == "float" and (isinstance(value, bool)
                                     or not isinstance(value, (int, float))):
            return f"must be a number in {self.span()}"
        if self.ranged and not self.inside(value):
            return f"must be in {self.span()}"
        if self.kind == "bool" and not isinstance(value, bool):
            return "must be true or false"
        if self.kind == "choice" and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}"
        if self.kind == "device" and not (isinstance(value, str) and is_device_name(value)):
            return f"must be one of {', '.join(DEVICES)} or cuda:N"
        if self.kind == "text":
            if not isinstance(value, str) or len(value) > MAX_TEXT or "\n" in value:
                return f"must be one line of text (at most {MAX_TEXT} characters)"
            if self.name == "freeze":
                try:
                    parse_freeze(value)
                except ValueError as exc:
                    return str(exc)
        if self.kind == "list":
            if not isinstance(value, list | tuple):
                return "must be a list"
            try:
                parse_augment(list(value))
            except ValueError as exc:
                return str(exc)
        return None


def _int(name: str, flag: str, label: str, low: int, high: int, help: str, group: str,
         **extra: Any) -> TrainOption:
    return TrainOption(name, flag, label, "int", help, group, low, high, **extra)


def _float(name: str, flag: str, label: str, low: float, high: float, help: str, group: str,
           **extra: Any) -> TrainOption:
    return TrainOption(name, flag, label, "float", help, group, low, high, **extra)


def _choice(name: str, flag: str, label: str, choices: tuple[str, ...], help: str, group: str,
            **extra: Any) -> TrainOption:
    return TrainOption(name, flag, label, "choice", help, group, choices=choices, **extra)


TRAIN_OPTIONS: tuple[TrainOption, ...] = (
    _int("epochs", "--epochs", "Epochs", 1, 100_000, "passes over the training data",
         "Training", resumable=True),
    _int("batch_size", "--batch-size", "Batch size", 1, 65_536, "samples per step",
         "Training", resumable=True),
    _float("lr", "--lr", "Learning rate", 0, 1e12, "learning rate, e.g. 0.001 or 1e-3",
           "Training", low_open=True, typed=True, resumable=True),
    _choice("scheduler", "--scheduler", "Scheduler", SCHEDULERS,
            "learning-rate schedule", "Training"),
    _int("step_size", "--step-size", "Step size", 1, 100_000,
         "epochs between learning-rate decays (step scheduler)", "Training"),
    _float("gamma", "--gamma", "Gamma", 0, 1,
           "learning-rate decay factor (step and plateau schedulers)", "Training",
           low_open=True),
    _int("early_stopping", "--early-stopping", "Early stopping", 0, 100_000,
         "epochs without improvement before stopping (0: off)", "Training", resumable=True,
         metavar="PATIENCE"),
    _choice("monitor", "--monitor", "Monitor", MONITORS,
            "the metric that picks the best checkpoint and drives early stopping",
            "Training"),
    _choice("optimizer", "--optimizer", "Optimizer", OPTIMIZERS, "optimisation algorithm",
            "Optimiser"),
    _float("momentum", "--momentum", "Momentum", 0, 1, "SGD/RMSprop momentum", "Optimiser"),
    TrainOption("nesterov", "--nesterov", "Nesterov", "bool", "Nesterov momentum (SGD)",
                "Optimiser"),
    _float("weight_decay", "--weight-decay", "Weight decay", 0, 100,
           "L2 penalty (decoupled for adamw)", "Optimiser", typed=True),
    _float("label_smoothing", "--label-smoothing", "Label smoothing", 0, 1,
           "share of the target spread over the other classes", "Optimiser", high_open=True,
           resumable=True),
    _float("grad_clip", "--grad-clip", "Gradient clipping", 0, 1e6,
           "largest gradient norm (0: off)", "Optimiser", resumable=True),
    TrainOption("weights", "--weights", "Pretrained weights", "text",
                "pretrained weights loaded when the run starts: a .pth or .safetensors file, "
                "or torchvision (the torch hub cache; never downloaded)", "Transfer",
                metavar="FILE|torchvision", placeholder="none: fresh weights"),
    TrainOption("freeze", "--freeze", "Freeze", "text",
                "nodes frozen when the run starts: none, backbone (every weighted node but "
                "the head) or node names separated by commas", "Transfer",
                metavar="backbone|none|NODE[,NODE...]", placeholder="none"),
    _float("backbone_lr_factor", "--backbone-lr-factor", "Backbone LR factor", 0, 1000,
           "the backbone (every node but the head) learns at lr times this factor",
           "Transfer", typed=True, metavar="F"),
    _int("unfreeze_after", "--unfreeze-after", "Unfreeze after", 0, 100_000,
         "epochs after which every frozen node becomes trainable (0: never)", "Transfer",
         metavar="N"),
    TrainOption("augment", "--augment", "Augmentation", "list",
                "e.g. crop:4 hflip rotate:10 jitter:0.2 erase:0.25", "Data", resumable=True,
                metavar="AUG"),
    _float("val_split", "--val-split", "Validation split", 0, 1,
           "share of the training data held out for validation", "Data", high_open=True),
    _float("test_split", "--test-split", "Test split", 0, 1,
           "share held out for testing when the data has no test part", "Data",
           high_open=True),
    TrainOption("grey", "--grey", "Grey", "bool",
                "convert RGB data to grey (for a 1-channel Input node)", "Data"),
    _int("num_workers", "--workers", "Workers", 0, 256,
         "DataLoader worker processes for image folders too large for memory (0: none)",
         "Data", resumable=True),
    _int("seed", "--seed", "Seed", 0, 2**31 - 1, "seed of the data split and the weights",
         "Data"),
    TrainOption("device", "--device", "Device", "device",
                "auto: CUDA, then Apple MPS, then the CPU; cuda:N picks one GPU", "Device",
                choices=DEVICES, resumable=True),
    _choice("precision", "--precision", "Precision", PRECISIONS,
            "auto: bf16/fp16 autocast where it pays, else fp32", "Device", resumable=True),
    _choice("channels_last", "--channels-last", "Channels last", CHANNELS_LAST,
            "channels-last memory format (auto: on CUDA and the CPU)", "Device",
            resumable=True),
    _int("num_threads", "--threads", "Threads", 0, 1024,
         "torch threads on the CPU (0: all cores)", "Device", resumable=True),
)

BY_NAME = {option.name: option for option in TRAIN_OPTIONS}
