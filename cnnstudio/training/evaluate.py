"""Evaluation: loss, accuracy and full classification metrics of a model on a dataset."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import torch

from cnnstudio.training.augment import BatchTransform
from cnnstudio.training.data import Part, PreparedData, Preprocess, make_batches, shape_part
from cnnstudio.training.datasets import load_source
from cnnstudio.training.device import select_device, speed_settings
from cnnstudio.training.distributed import DistContext, all_reduce_sum
from cnnstudio.training.errors import DatasetError
from cnnstudio.training.guards import align_classes
from cnnstudio.training.metrics import classification_metrics


def autocast(device: torch.device, dtype: torch.dtype | None) -> Any:
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


@torch.no_grad()
def run_eval(model: torch.nn.Module, batches: Any, transform: BatchTransform,
             amp_dtype: torch.dtype | None, ctx: DistContext | None = None,
             keep_predictions: bool = False) -> dict[str, Any]:
    """Loss sum, correct count and sample count (summed over ranks); predictions on request."""
    was_training = model.training
    model.eval()
    device = transform.device
    criterion = torch.nn.CrossEntropyLoss(reduction="sum")
    sums = torch.zeros(3, dtype=torch.float64, device=device)
    preds, labels = [], []
    try:
        for x, y in batches:
            with autocast(device, amp_dtype):
                out = model(transform(x))
            out = out.float()
            pred = out.argmax(1)
            sums[0] += criterion(out, y).double()
            sums[1] += (pred == y).sum()
            sums[2] += len(y)
            if keep_predictions:
                preds.append(pred.cpu())
                labels.append(y.cpu())
    finally:
        model.train(was_training)
    if ctx is not None:
        all_reduce_sum(sums, ctx)
    loss_sum, correct, n = (float(v) for v in sums.cpu())
    result: dict[str, Any] = {"loss": loss_sum / n if n else float("nan"),
                              "accuracy": correct / n if n else 0.0, "samples": int(n)}
    if keep_predictions:
        result["predictions"] = torch.cat(preds) if preds else torch.zeros(0, dtype=torch.long)
        result["labels"] = torch.cat(labels) if labels else torch.zeros(0, dtype=torch.long)
    return result


def evaluate(model: torch.nn.Module, dataset: PreparedData | Part | str | Path,
             preprocess: Preprocess | None = None, *, split: str = "test",
             batch_size: int = 256, device: str | torch.device = "auto",
             precision: str = "auto", root: str | Path | None = None) -> dict[str, Any]:
    """Full metrics of ``model`` (returning logits) on a dataset.

    ``dataset`` is PreparedData (its ``split`` part is used), an already shaped part together
    with ``preprocess``, or a source (name, folder, .npz) with ``preprocess`` from the run's
    config.json: its own test part when it has one, else all of it. The classes of raw
    data are matched to ``preprocess.classes`` by name (``guards.align_classes``).
    Returns the ``classification_metrics`` dict plus ``loss``.
    """
    if isinstance(dataset, PreparedData):
        part = getattr(dataset, split)
        preprocess = dataset.preprocess
        if part is None:
            raise DatasetError(f"the data has no '{split}' split")
    elif preprocess is None:
        raise ValueError("evaluate: pass preprocess (from the run's config.json) with raw data")
    elif isinstance(dataset, (str, Path)):
        raw = load_source(dataset, root)
        part = align_classes(raw.test or raw.train, preprocess.classes,
                             f"the dataset {dataset}", subset_ok=True)
        part = shape_part(part, preprocess.input_shape, preprocess.grey, 2048 * 2**20)
    else:
        part = align_classes(dataset, preprocess.classes, "the data", subset_ok=True)
    dev = device if isinstance(device, torch.device) else select_device(device)
    speed = speed_settings(dev, precision, "auto")
    model = model.to(dev)
    if speed.channels_last:
        model = model.to(memory_format=torch.channels_last)
    batches = make_batches(part, preprocess, batch_size, dev, shuffle=False)
    transform = BatchTransform(preprocess, [], dev, speed.channels_last)
    result = run_eval(model, batches, transform, speed.amp_dtype, keep_predictions=True)
    num_classes = len(preprocess.classes)
    metrics = classification_metrics(result["labels"], result["predictions"], num_classes,
                                     preprocess.classes)
    metrics["loss"] = result["loss"]
    return metrics
