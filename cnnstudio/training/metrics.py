"""Classification metrics and the files they are written to.

``classification_metrics`` computes accuracy, per-class precision/recall/F1/support, macro and
weighted averages and the confusion matrix (rows: true class, columns: predicted class) with
torch. A class never predicted has precision 0 (scikit-learn's ``zero_division=0``).
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

import torch

from cnnstudio.training.files import write_json_atomic, write_text_atomic

log = logging.getLogger("cnnstudio.training")


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor,
                     num_classes: int) -> torch.Tensor:
    """int64 (K, K): entry [i, j] counts samples of class i predicted as j."""
    y_true = torch.as_tensor(y_true).long().flatten().cpu()
    y_pred = torch.as_tensor(y_pred).long().flatten().cpu()
    k = max(num_classes, int(y_true.max()) + 1 if len(y_true) else 0,
            int(y_pred.max()) + 1 if len(y_pred) else 0)
    flat = torch.bincount(y_true * k + y_pred, minlength=k * k)
    return flat.reshape(k, k)


def metrics_from_confusion(cm: torch.Tensor, classes: list[str] | None = None) -> dict[str, Any]:
    cm = cm.to(torch.float64)
    k = cm.shape[0]
    names = list(classes or []) + [str(i) for i in range(len(classes or []), k)]
    tp = cm.diag()
    support = cm.sum(1)
    predicted = cm.sum(0)
    total = float(cm.sum())

    def safe(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.where(b > 0, a / b.clamp_min(1e-300), torch.zeros_like(a))

    precision = safe(tp, predicted)
    recall = safe(tp, support)
    f1 = safe(2 * precision * recall, precision + recall)
    weights = support / total if total else torch.zeros_like(support)
    per_class = [{"class": names[i], "precision": float(precision[i]),
                  "recall": float(recall[i]), "f1": float(f1[i]), "support": int(support[i])}
                 for i in range(k)]
    return {
        "accuracy": float(tp.sum() / total) if total else 0.0,
        "samples": int(total),
        "per_class": per_class,
        "macro": {"precision": float(precision.mean()), "recall": float(recall.mean()),
                  "f1": float(f1.mean())},
        "weighted": {"precision": float((precision * weights).sum()),
                     "recall": float((recall * weights).sum()),
                     "f1": float((f1 * weights).sum())},
        "confusion_matrix": cm.long().tolist(),
        "classes": names,
    }


def classification_metrics(y_true: torch.Tensor, y_pred: torch.Tensor, num_classes: int,
                           classes: list[str] | None = None) -> dict[str, Any]:
    return metrics_from_confusion(confusion_matrix(y_true, y_pred, num_classes), classes)


def metrics_csv(metrics: dict[str, Any]) -> str:
    """One row per class, then macro avg, weighted avg and accuracy rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["class", "precision", "recall", "f1", "support"])
    for row in metrics["per_class"]:
        writer.writerow([row["class"], f"{row['precision']:.6f}", f"{row['recall']:.6f}",
                         f"{row['f1']:.6f}", row["support"]])
    for name in ("macro", "weighted"):
        avg = metrics[name]
        writer.writerow([f"{name} avg", f"{avg['precision']:.6f}", f"{avg['recall']:.6f}",
                         f"{avg['f1']:.6f}", metrics["samples"]])
    writer.writerow(["accuracy", "", "", f"{metrics['accuracy']:.6f}", metrics["samples"]])
    return out.getvalue()


def write_metrics(folder: str | Path, metrics: dict[str, Any]) -> None:
    """metrics.json (everything) and metrics.csv (per-class table) in ``folder``."""
    folder = Path(folder)
    write_json_atomic(folder / "metrics.json", metrics)
    write_text_atomic(folder / "metrics.csv", metrics_csv(metrics))


class TensorBoardLog:
    """Scalars to TensorBoard when ``torch.utils.tensorboard`` imports; one log line if not."""

    def __init__(self, folder: str | Path) -> None:
        self.writer: Any = None
        try:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            log.info("TensorBoard events skipped: %s (pip install tensorboard to get them)", e)
            return
        self.writer = SummaryWriter(str(Path(folder) / "tensorboard"))

    def scalars(self, step: int, values: dict[str, float]) -> None:
        if self.writer is not None:
            for key, value in values.items():
                if value is not None:
                    self.writer.add_scalar(key, value, step)
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
