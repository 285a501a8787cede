"""Optimiser, scheduler and loss built from a TrainConfig.

Fine-tuning: ``param_groups`` puts the head (the classifier node, ``CompileInfo.head``) and
the backbone (every other node) in two groups when ``backbone_lr_factor`` is not 1, the
backbone's learning rate being ``lr * backbone_lr_factor`` (each group keeps its
``lr_factor``, which a resumed run's new ``lr`` and the onecycle schedule follow). Frozen
parameters join the optimiser from the start when ``unfreeze_after`` is set: they have no
gradient, so the optimiser leaves them alone until ``unfreeze_frozen`` makes them trainable;
the groups stay the same through the run, so its optimiser state resumes as saved.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from cnnstudio.training.config import TrainConfig

log = logging.getLogger("cnnstudio.training")


def head_module(model: torch.nn.Module) -> str:
    """The attribute name of the model's head (its classifier node); ValueError without one."""
    from cnnstudio.compiler import compile_info

    try:
        info = compile_info(model)
    except TypeError:
        info = None
    if info is None or info.head is None:
        raise ValueError("--backbone-lr-factor needs a network whose head is a classifier (a "
                         "Dense or 1x1 Conv2d node before the output)")
    return info.attrs[info.head]


def param_groups(model: torch.nn.Module, config: TrainConfig) -> list[dict[str, Any]]:
    """The optimiser's parameter groups (see the module docstring)."""
    keep_frozen = config.unfreeze_after > 0
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad or keep_frozen]
    factor = config.backbone_lr_factor
    if factor == 1.0:
        return [{"params": [p for _, p in named], "lr_factor": 1.0}]
    head = head_module(model)
    in_head = [n.split(".", 1)[0] == head for n, _ in named]
    groups = [{"params": [p for (_, p), h in zip(named, in_head, strict=True) if h],
               "lr": config.lr, "lr_factor": 1.0},
              {"params": [p for (_, p), h in zip(named, in_head, strict=True) if not h],
               "lr": config.lr * factor, "lr_factor": factor}]
    return [group for group in groups if group["params"]]


def unfreeze_frozen(model: torch.nn.Module) -> list[str]:
    """Make every frozen parameter trainable; the names of the modules that held them."""
    names: list[str] = []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            param.requires_grad_(True)
            module = name.rsplit(".", 1)[0]
            if module not in names:
                names.append(module)
    return names


def build_optimizer(params: Any, config: TrainConfig,
                    device: torch.device) -> torch.optim.Optimizer:
    """SGD/Adam/AdamW use the fused kernels where the device has them, else foreach.

    ``params``: parameters (the frozen ones are left out) or ``param_groups``' groups."""
    params = list(params)
    if not params or not isinstance(params[0], dict):
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
        peaks = [config.lr * group.get("lr_factor", 1.0) for group in optimizer.param_groups]
        return sched.OneCycleLR(optimizer, max_lr=peaks, total_steps=total,
                                cycle_momentum=config.optimizer in ("sgd", "rmsprop")), "batch"
    if s == "plateau":
        mode = "max" if config.monitor == "val_accuracy" else "min"
        return sched.ReduceLROnPlateau(optimizer, mode=mode, factor=config.gamma,
                                       patience=max(1, config.early_stopping // 2)), "plateau"
    return None, "none"


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])
