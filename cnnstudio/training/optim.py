"""Optimiser, scheduler and loss built from a TrainConfig."""

from __future__ import annotations

import logging
from typing import Any

import torch

from cnnstudio.training.config import TrainConfig

log = logging.getLogger("cnnstudio.training")


def build_optimizer(params: Any, config: TrainConfig,
                    device: torch.device) -> torch.optim.Optimizer:
    """SGD/Adam/AdamW use the fused kernels where the device has them, else foreach."""
    params = [p for p in params if p.requires_grad]
    name = config.optimizer
    fused_ok = config.fused_optimizer and name in ("sgd", "adam", "adamw") and (
        device.type in ("cuda", "cpu", "mps"))
    speed: dict[str, Any] = {"fused": True} if fused_ok else {"foreach": True}
    wd = config.weight_decay
    if name == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum,
                               nesterov=config.nesterov and config.momentum > 0,
                               weight_decay=wd, **speed)
    if name == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=wd, **speed)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=wd, **speed)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=config.lr, momentum=config.momentum,
                                   weight_decay=wd, foreach=True)
    raise ValueError(f"unknown optimizer {name!r}")


def build_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig,
                    steps_per_epoch: int) -> tuple[Any, str]:
    """The scheduler and when to step it: 'batch', 'epoch', 'plateau' or 'none'."""
    s = config.scheduler
    sched = torch.optim.lr_scheduler
    if s == "step":
        return sched.StepLR(optimizer, config.step_size, config.gamma), "epoch"
    if s == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=config.epochs), "epoch"
    if s == "onecycle":
        total = max(1, config.epochs * steps_per_epoch)
        return sched.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total,
                                cycle_momentum=config.optimizer in ("sgd", "rmsprop")), "batch"
    if s == "plateau":
        mode = "max" if config.monitor == "val_accuracy" else "min"
        return sched.ReduceLROnPlateau(optimizer, mode=mode, factor=config.gamma,
                                       patience=max(1, config.early_stopping // 2)), "plateau"
    return None, "none"


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])
