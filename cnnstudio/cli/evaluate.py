"""``cnnstudio evaluate RUN_DIR|CHECKPOINT``: accuracy, per-class precision / recall / F1,
macro and weighted averages and the confusion matrix of a trained run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cnnstudio.core.errors import ProjectFileError
from cnnstudio.core.project_io import load


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "evaluate", help="metrics of a trained run on its test split or another dataset",
        description="Evaluate a run folder (its best checkpoint, else its last) or one "
        "checkpoint file RUN_DIR/checkpoints/NAME.safetensors. Without --dataset it uses the "
        "run's own test split. A checkpoint holding NaN or infinite weights is refused, naming "
        "the node.")
    p.add_argument("run_path", metavar="RUN_DIR|CHECKPOINT")
    p.add_argument("--dataset", metavar="NAME|PATH",
                   help="another dataset to evaluate on; its classes are matched to the run's "
                   "by name (it may hold fewer; a class the run does not know is refused)")
    p.add_argument("--data-root", metavar="DIR", help="folder holding a built-in dataset's "
                   "files (default: the one the run used)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def locate(path: Path) -> tuple[Path, str]:
    """(run folder, checkpoint name) for a run folder or a checkpoint file."""
    if path.is_file() and path.suffix == ".safetensors" and path.parent.name == "checkpoints":
        return path.parent.parent, path.name.removesuffix(".safetensors")
    return path, "best"


def format_metrics(m: dict[str, Any]) -> str:
    names = [r["class"] for r in m["per_class"]]
    width = max(8, *(len(n) for n in names))
    lines = [f"accuracy {m['accuracy']:.4f} on {m['samples']:,} samples"
             + (f", loss {m['loss']:.4f}" if "loss" in m else ""), "",
             f"{'class':<{width}}  precision  recall      f1  support"]
    for r in m["per_class"]:
        lines.append(f"{r['class']:<{width}}  {r['precision']:9.4f}  {r['recall']:6.4f}  "
                     f"{r['f1']:6.4f}  {r['support']:7d}")
    for avg in ("macro", "weighted"):
        a = m[avg]
        lines.append(f"{avg + ' avg':<{width}}  {a['precision']:9.4f}  {a['recall']:6.4f}  "
                     f"{a['f1']:6.4f}")
    lines += ["", "confusion matrix (rows: true class, columns: predicted)"]
    cell = max(5, *(len(str(v)) + 1 for row in m["confusion_matrix"] for v in row))
    for name, row in zip(names, m["confusion_matrix"], strict=True):
        lines.append(f"{name:<{width}}" + "".join(f"{v:>{cell}}" for v in row))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from cnnstudio.compiler import build_model
    from cnnstudio.training import TrainingError, evaluate_run

    run_dir, name = locate(Path(args.run_path))
    project_file = run_dir / "project.cnnproj"
    if not project_file.is_file():
        print(f"error: {run_dir} is not a run folder (no project.cnnproj); train with "
              "`cnnstudio train ... --out RUN_DIR` first", file=sys.stderr)
        return 2
    try:
        model = build_model(load(project_file).graph, for_training=True)
        metrics = evaluate_run(model, run_dir, args.dataset, checkpoint=name,
                               root=args.data_root)
    except (ProjectFileError, TrainingError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    metrics = {k: v for k, v in metrics.items() if k not in ("predictions", "labels")}
    print(json.dumps(metrics, indent=2) if args.json else format_metrics(metrics))
    return 0
