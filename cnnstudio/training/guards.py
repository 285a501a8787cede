"""Guards that keep numbers finite and data matched to the run that uses it.

- ``DivergenceGuard``: stops a run whose loss grows without bound before it turns NaN.
- ``check_finite_weights``: names the node whose weights hold NaN or infinity.
- ``align_classes``: matches a dataset's classes to a run's classes by name.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from cnnstudio.training.checkpoints import unwrap
from cnnstudio.training.datasets import ArrayData, FileData
from cnnstudio.training.errors import DatasetError, TrainingError

#: the loss "diverged" when a checked batch loss exceeds DIVERGE_FACTOR times its reference
#: (the mean of the run's first REFERENCE_BATCHES checked batch losses, at least 1.0), ...
DIVERGE_FACTOR = 100.0
REFERENCE_BATCHES = 5
#: ... or exceeds this bound at any time (a cross-entropy of 1e4 means logits 1e4 apart)
DIVERGE_ABSOLUTE = 1e4


class DivergenceGuard:
    """Feeds on batch losses; ``check`` says whether training has diverged.

    Cross-entropy starts near ln(classes) (2.3 for 10 classes) and falls. A loss more than
    ``DIVERGE_FACTOR`` times the run's first losses, or above ``DIVERGE_ABSOLUTE``, only comes
    from updates that are far too large (usually the learning rate): such a run is stopped like
    a NaN loss, before its weights overflow.
    """

    def __init__(self) -> None:
        self.first: list[float] = []
        self.reference: float | None = None

    def check(self, loss: float) -> bool:
        if not math.isfinite(loss):
            return False  # the non-finite check reports it
        if loss > DIVERGE_ABSOLUTE:
            return True
        if self.reference is None:
            self.first.append(loss)
            if len(self.first) >= REFERENCE_BATCHES:
                self.reference = max(sum(self.first) / len(self.first), 1.0)
            return False
        return loss > DIVERGE_FACTOR * self.reference

    def describe(self, loss: float) -> str:
        if loss > DIVERGE_ABSOLUTE:
            return f"the loss became {loss:.4g} (above {DIVERGE_ABSOLUTE:g})"
        start = f" ({self.reference:.4g})" if self.reference is not None else ""
        return f"the loss became {loss:.4g}, more than {DIVERGE_FACTOR:g}x its start{start}"


def fault_message(what: str, epoch: int, batch: int, lr: float,
                  checkpoints: Path | None) -> str:
    """The message of a stopped run: what happened, where, what to do, what was kept."""
    if checkpoints is None:
        kept = "no run folder, nothing saved"
    elif epoch == 0:
        kept = f"the initial weights are kept in {checkpoints / 'last'}"
    else:
        kept = f"the last good checkpoint (epoch {epoch}) is kept in {checkpoints / 'last'}"
    return (f"{what} at epoch {epoch + 1}, batch {batch}: lower the learning rate (now "
            f"{lr:g}), set gradient clipping, or check the data; {kept}")


def apply_resume_settings(optimizer: torch.optim.Optimizer, scheduler: Any,
                          new_lr: float | None) -> None:
    """After a resumed run loads ``last``: a new learning rate replaces the restored one
    (api.check_resume_changes allows it only with schedules that work on the current lr); a
    backbone group keeps its ``lr_factor``."""
    if new_lr is None:
        return
    lrs = [new_lr * group.get("lr_factor", 1.0) for group in optimizer.param_groups]
    for group, lr in zip(optimizer.param_groups, lrs, strict=True):
        group["lr"] = group["initial_lr"] = lr
    if scheduler is not None and hasattr(scheduler, "base_lrs"):
        scheduler.base_lrs = lrs


def non_finite_tensors(model: torch.nn.Module) -> list[tuple[str, int]]:
    """(state-dict key, count of NaN/inf values) for each tensor holding any."""
    bad = []
    for key, tensor in unwrap(model).state_dict().items():
        if tensor.is_floating_point() or tensor.is_complex():
            count = int((~torch.isfinite(tensor)).sum().item())
            if count:
                bad.append((key, count))
    return bad


def check_finite_weights(model: torch.nn.Module, what: str) -> None:
    """Raise TrainingError naming the nodes (keys ``<node>.weight``) with NaN/inf values."""
    bad = non_finite_tensors(model)
    if not bad:
        return
    nodes = sorted({key.rsplit(".", 1)[0] for key, _ in bad})
    listed = ", ".join(f"{key} ({count} values)" for key, count in bad[:4])
    more = f" and {len(bad) - 4} more" if len(bad) > 4 else ""
    raise TrainingError(
        f"{what} holds non-finite weights (NaN or infinity) in node(s) {', '.join(nodes)}: "
        f"{listed}{more}. The run diverged before it was saved: train again with a lower "
        "learning rate (--lr) or gradient clipping (--grad-clip)")


def align_classes(part: ArrayData | FileData, classes: list[str], what: str,
                  subset_ok: bool = False) -> ArrayData | FileData:
    """``part`` with its labels renumbered to ``classes`` (the run's), matched by name.

    A class name the run does not know is refused, naming both lists; so is a class the data
    lacks, unless ``subset_ok`` (evaluating on data holding only some classes).
    """
    names = [str(n) for n in part.classes]
    run_classes = [str(n) for n in classes]
    if names == run_classes:
        return part
    unknown = [n for n in names if n not in run_classes]
    missing = [n for n in run_classes if n not in names]
    if unknown or (missing and not subset_ok) or len(set(names)) != len(names):
        why = ("its class names repeat" if len(set(names)) != len(names)
               else f"classes {', '.join(unknown)} are not in the run" if unknown
               else f"classes {', '.join(missing)} are missing")
        raise DatasetError(
            f"{what} does not match the run's classes ({why}; classes are matched by name): "
            f"the data has [{', '.join(names)}], the run was trained on "
            f"[{', '.join(run_classes)}]")
    index = [run_classes.index(n) for n in names]
    if isinstance(part, ArrayData):
        mapping = torch.tensor(index, dtype=torch.int64)
        return ArrayData(part.images, mapping[part.labels], run_classes, part.source)
    return FileData(part.files, [index[label] for label in part.labels], run_classes,
                    part.source)
