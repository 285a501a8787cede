"""``cnnstudio train TARGET --dataset ... --out RUN_DIR``: train a design headlessly.

Runs in one process, or in several under ``torchrun --nproc-per-node N -m cnnstudio train ...``
(DistributedDataParallel; only rank 0 prints and writes). The run folder gets the project
file (``project.cnnproj``) beside the engine's checkpoints, history and metrics, so
``cnnstudio evaluate RUN_DIR`` and ``cnnstudio export RUN_DIR/project.cnnproj --checkpoint
RUN_DIR/checkpoints/best.safetensors`` need nothing else.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from cnnstudio.cli.target import add_target_args, open_target
from cnnstudio.core.project_io import load, save
from cnnstudio.core.shapes import analyse
from cnnstudio.training.config import DEVICES, OPTIMIZERS, SCHEDULERS, TrainConfig


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = TrainConfig()
    p = sub.add_parser(
        "train", help="train a project or preset on a dataset",
        description="Train TARGET on a dataset and write a run folder (checkpoints, history, "
        "metrics.json/.csv). Datasets: mnist, fashion-mnist, cifar10 (from --data-root or "
        "torchvision's layout), mnist-sample (bundled), an image folder root/<class>/<image>, "
        "or an .npz file with x and y. Under torchrun it trains on every process (DDP).")
    add_target_args(p)
    p.add_argument("--dataset", required=True, metavar="NAME|PATH",
                   help="dataset name or path (see above)")
    p.add_argument("--data-root", metavar="DIR", help="folder holding a built-in dataset's files")
    p.add_argument("--out", metavar="RUN_DIR", help="run folder to write (required unless "
                   "--resume)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr, help="learning rate")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer)
    p.add_argument("--momentum", type=float, default=d.momentum, help="SGD/RMSprop momentum")
    p.add_argument("--nesterov", action="store_true", help="Nesterov momentum (SGD)")
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--scheduler", choices=SCHEDULERS, default=d.scheduler)
    p.add_argument("--label-smoothing", type=float, default=d.label_smoothing)
    p.add_argument("--grad-clip", type=float, default=d.grad_clip, help="max gradient norm")
    p.add_argument("--early-stopping", type=int, default=d.early_stopping, metavar="PATIENCE")
    p.add_argument("--augment", nargs="*", default=[], metavar="AUG",
                   help="e.g. crop:4 hflip rotate:10 jitter:0.2 erase:0.25")
    p.add_argument("--val-split", type=float, default=d.val_split)
    p.add_argument("--grey", action="store_true", help="convert RGB data to grey")
    p.add_argument("--device", choices=DEVICES, default=d.device)
    p.add_argument("--precision", choices=("auto", "fp32", "bf16", "fp16"), default=d.precision)
    p.add_argument("--workers", type=int, default=d.num_workers,
                   help="DataLoader workers for image folders too large for memory")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def config_from(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
        momentum=args.momentum, nesterov=args.nesterov, weight_decay=args.weight_decay,
        scheduler=args.scheduler, label_smoothing=args.label_smoothing,
        grad_clip=args.grad_clip, early_stopping=args.early_stopping,
        augment=list(args.augment), val_split=args.val_split, grey=args.grey,
        device=args.device, precision=args.precision, num_workers=args.workers,
        seed=args.seed)


class Progress:
    """A tqdm bar per epoch fed by the engine's progress events (rank 0 only)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "batch" and self.enabled:
            from tqdm import tqdm

            if self.bar is None:
                self.bar = tqdm(total=event["batches"], unit="batch", leave=False,
                                desc=f"epoch {event['epoch']}/{event['epochs']}")
            self.bar.n = event["batch"]
            self.bar.set_postfix(loss=f"{event['loss']:.4f}", acc=f"{event['accuracy']:.3f}",
                                 lr=f"{event['lr']:.2g}", sps=f"{event['samples_per_s']:.0f}",
                                 refresh=False)
            self.bar.refresh()
        elif kind == "epoch":
            self.close()
            parts = [f"epoch {event.get('epoch')}"]
            for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
                if event.get(key) is not None:
                    parts.append(f"{key} {event[key]:.4f}")
            print("  ".join(parts), flush=True)
        elif kind in ("end", "cancelled"):
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run(args: argparse.Namespace) -> int:
    from cnnstudio.compiler import CompileError, build_model
    from cnnstudio.training import TrainingError, train

    rank0 = int(os.environ.get("RANK", "0")) == 0
    if args.resume:
        run_dir = Path(args.resume)
        project_file = run_dir / "project.cnnproj"
        if not project_file.is_file():
            print(f"error: {run_dir} is not a run folder (no project.cnnproj)", file=sys.stderr)
            return 2
        project = load(project_file)
    else:
        if not args.out:
            print("error: --out RUN_DIR is required (or --resume RUN_DIR)", file=sys.stderr)
            return 2
        run_dir = Path(args.out)
        project = open_target(args)
        if project is None:
            return 2
    analysis = analyse(project.graph)
    if not analysis.ok:
        print(f"error: {args.target} is not a valid network:", file=sys.stderr)
        for issue in analysis.issues:
            print(issue.describe(project.graph), file=sys.stderr)
        return 1
    try:
        model = build_model(project.graph, for_training=True)
    except CompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    input_shape = analysis.input_shape
    assert input_shape is not None and len(input_shape) == 3
    config = config_from(args)
    if rank0 and not args.resume:
        run_dir.mkdir(parents=True, exist_ok=True)
        save(project, run_dir / "project.cnnproj")
    progress = Progress(rank0 and not args.no_progress and sys.stderr.isatty())
    printer = progress if rank0 else None
    try:
        if args.resume:
            from cnnstudio.training import resume

            result = resume(model, run_dir, args.dataset, epochs=args.epochs, listener=printer)
        else:
            result = train(model, args.dataset, config, run_dir,
                           input_shape=(input_shape[0], input_shape[1], input_shape[2]),
                           listener=printer, root=args.data_root)
    except (TrainingError, ValueError) as exc:
        progress.close()
        print(f"error: {exc}", file=sys.stderr)
        print(f"The last good checkpoint (if any) is in {run_dir / 'checkpoints'}.",
              file=sys.stderr)
        return 1
    if rank0:
        print(f"{result.status}: {result.epochs_done} epoch(s); run folder {run_dir}")
        if result.test_metrics:
            m = result.test_metrics
            print(f"test accuracy {m.get('accuracy', float('nan')):.4f}, "
                  f"macro F1 {m.get('macro', {}).get('f1', float('nan')):.4f}")
    return 0
