"""``cnnstudio train TARGET --dataset ... --out RUN_DIR``: train a design headlessly.

Runs in one process, or in several under ``torchrun --nproc-per-node N -m cnnstudio train ...``
(DistributedDataParallel; only rank 0 prints and writes). The run folder gets the project
file (``project.cnnproj``) beside the engine's checkpoints, history and metrics, so
``cnnstudio evaluate RUN_DIR`` and ``cnnstudio export RUN_DIR/project.cnnproj --checkpoint
RUN_DIR/checkpoints/best.safetensors`` need nothing else.

No earlier work is destroyed: ``--out`` onto a folder that holds files is refused unless
``--overwrite``, and nothing is written in the run folder before the options, the model and
the data have all been checked. ``--resume RUN_DIR`` continues a run with the options it was
started with; only the options in ``RESUMABLE_OPTIONS`` may be given again.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from cnnstudio.cli.errors import describe, one_line
from cnnstudio.cli.options import train_argument
from cnnstudio.cli.target import add_target_args, network_problem, open_target
from cnnstudio.core.project_io import load, save
from cnnstudio.core.shapes import analyse
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.options import TRAIN_OPTIONS

#: the flag of each option dest (the TrainConfig field for the declared training options)
FLAGS = {option.name: option.flag for option in TRAIN_OPTIONS}
#: options --resume accepts: the declared resumable settings, the data and the display
RESUMABLE_OPTIONS = (*(o.name for o in TRAIN_OPTIONS if o.resumable), "dataset", "data_root",
                     "allow_different_data", "no_progress")
RESUME_HELP = (
    "Resume (--resume RUN_DIR, no TARGET) continues from the run's last checkpoint with the "
    "run's own options and data (its dataset and --data-root). It accepts --epochs (above the "
    "epochs done), --lr (cosine and onecycle schedules fix --lr and --epochs, onecycle also "
    "--batch-size), "
    + ", ".join(o.flag for o in TRAIN_OPTIONS if o.resumable and o.name not in ("epochs", "lr"))
    + ", --dataset and --data-root; any other option is refused, since the optimiser state, "
    "the schedule, the data split or the model depend on it. Data whose class names differ "
    "from the run's is refused; data whose samples per split or input shape differ is refused "
    "unless --allow-different-data.")


def flag(dest: str) -> str:
    return FLAGS.get(dest, "--" + dest.replace("_", "-"))


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "train", help="train a project or preset on a dataset",
        description="Train TARGET on a dataset and write a run folder (checkpoints, history, "
        "metrics.json/.csv). Datasets: mnist, fashion-mnist, cifar10 (from --data-root or "
        "torchvision's layout; --download fetches them), mnist-sample (bundled), an image "
        "folder root/<class>/<image>, or an .npz file with x and y. Under torchrun it trains "
        "on every process (DDP). " + RESUME_HELP)
    add_target_args(p, optional=True)
    p.add_argument("--dataset", metavar="NAME|PATH",
                   help="dataset name or path (see above; required unless --resume)")
    p.add_argument("--data-root", metavar="DIR", help="folder holding a built-in dataset's files")
    p.add_argument("--download", action="store_true",
                   help="download mnist, fashion-mnist or cifar10 into --data-root (default "
                   "~/.cache/cnnstudio/data) when no local copy is found (checksums checked)")
    p.add_argument("--list-devices", action="store_true",
                   help="print the devices of this machine (for --device) and exit")
    p.add_argument("--out", metavar="RUN_DIR", help="run folder to write (required unless "
                   "--resume); a folder that holds files is refused unless --overwrite")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an earlier run in --out: once the options and data have been "
                   "checked, its run files (project.cnnproj, config.json, history.json, "
                   "metrics.json/.csv, checkpoints/, tensorboard/) are deleted; other files in "
                   "the folder are left alone")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its last checkpoint "
                   "(instead of TARGET; see above for the options it accepts)")
    p.add_argument("--allow-different-data", action="store_true",
                   help="with --resume: continue on data whose samples per split or input "
                   "shape differ from the run's (class names must still match)")
    for option in TRAIN_OPTIONS:  # an option left out stays absent: explicit ones are known
        p.add_argument(option.flag, default=argparse.SUPPRESS, **train_argument(option))
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def explicit_settings(args: argparse.Namespace) -> dict[str, Any]:
    """TrainConfig fields the user gave on the command line, with their values."""
    given = vars(args)
    return {o.name: (list(given[o.name]) if o.kind == "list" else given[o.name])
            for o in TRAIN_OPTIONS if o.name in given}


def config_from(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(**explicit_settings(args))


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
        elif kind == "unfrozen":
            self.close()
            print(f"epoch {event['epoch']}: {len(event['nodes'])} frozen node(s) now trainable "
                  "(--unfreeze-after)", flush=True)
        elif kind in ("end", "cancelled"):
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def fail(message: str, code: int = 2) -> int:
    print(f"error: {one_line(message)}", file=sys.stderr)
    return code


def usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the combination of TARGET, --resume, --out and the options."""
    given = vars(args)
    if args.resume:
        if args.target:
            return (f"give TARGET ({args.target}) or --resume RUN_DIR, not both: a resumed run "
                    "trains the project saved in its folder")
        refused = [flag(d) for d in given if d not in RESUMABLE_OPTIONS
                   and (d in FLAGS or d in ("input_shape", "num_classes", "out", "download"))
                   and given[d] is not None]
        refused = [r for r in refused if r != "--download" or args.download]
        refused += ["--overwrite"] if args.overwrite else []
        if refused:
            return (f"{', '.join(refused)} cannot be given with --resume: the run keeps the "
                    "options it was started with (the optimiser state, schedule, data split "
                    "or model depend on them); options a resume accepts: "
                    f"{', '.join(flag(d) for d in RESUMABLE_OPTIONS)}")
        return None
    if not args.target:
        return "give TARGET (a project file or preset id), or --resume RUN_DIR"
    if args.allow_different_data:
        return "--allow-different-data goes with --resume RUN_DIR"
    if not args.dataset:
        return "--dataset NAME|PATH is required (unless --resume)"
    if not args.out:
        return "--out RUN_DIR is required (or --resume RUN_DIR)"
    return None


def folder_problem(run_dir: Path, overwrite: bool) -> str | None:
    """Why ``--out run_dir`` would destroy earlier work (None when it is free to use)."""
    if run_dir.exists() and not run_dir.is_dir():
        return f"--out {run_dir} is a file, not a folder"
    if overwrite or not run_dir.is_dir() or not any(run_dir.iterdir()):
        return None
    what = "holds a run" if (run_dir / "project.cnnproj").exists() else "is not empty"
    return (f"{run_dir} {what}: use --resume {run_dir} to continue it, --overwrite to replace "
            "its run files, or another --out folder")


def download_only(args: argparse.Namespace) -> int:
    """``--download --dataset NAME`` without TARGET: fetch the files and stop."""
    from cnnstudio.training import DatasetError
    from cnnstudio.training.builtin import download_builtin

    if not args.dataset:
        return fail("--download needs --dataset mnist, fashion-mnist or cifar10")

    def show(event: dict[str, Any]) -> None:
        print(f"downloading {event['file']} ({event['index'] + 1}/{event['files']})",
              flush=True)

    try:
        folder = download_builtin(args.dataset, args.data_root, progress=show)
    except DatasetError as exc:
        return fail(str(exc), 1)
    print(f"{args.dataset}: downloaded into {folder}")
    return 0


def run(args: argparse.Namespace) -> int:
    from cnnstudio.compiler import CompileError, build_model
    from cnnstudio.presets_torch.finetune import prepare_fine_tuning, write_report
    from cnnstudio.training import NonFiniteLossError, TrainingError
    from cnnstudio.training.api import make_trainer, resume
    from cnnstudio.training.run_files import clear_run

    if args.list_devices:
        from cnnstudio.training.device import available_devices

        for device, label in available_devices():
            print(f"{device:8} {label}")
        return 0
    if args.download and not (args.target or args.resume):
        return download_only(args)
    problem = usage_problem(args)
    if problem:
        return fail(problem)
    rank0 = int(os.environ.get("RANK", "0")) == 0
    if args.resume:
        run_dir = Path(args.resume)
        project_file = run_dir / "project.cnnproj"
        if not project_file.is_file():
            return fail(f"{run_dir} is not a run folder (no project.cnnproj)")
        project = load(project_file)
    else:
        run_dir = Path(args.out)
        problem = folder_problem(run_dir, args.overwrite) if rank0 else None
        if problem:
            return fail(problem)
        project = open_target(args)
        if project is None:
            return 2
    problem = network_problem(project, str(args.target or project_file))
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    report = None
    try:
        if args.resume:
            model = build_model(project.graph, for_training=True)
        else:  # --freeze and --weights apply when a run starts
            settings = explicit_settings(args)
            model, report = prepare_fine_tuning(project, settings.get("weights", ""),
                                                settings.get("freeze", "none"))
    except CompileError as exc:
        return fail(str(exc), 1)
    except (ValueError, OSError) as exc:
        return fail(describe(exc), 1)
    input_shape = analyse(project.graph).input_shape
    assert input_shape is not None and len(input_shape) == 3
    progress = Progress(rank0 and not args.no_progress and sys.stderr.isatty())
    printer = progress if rank0 else None
    config = None
    try:
        if args.resume:
            result = resume(model, run_dir, args.dataset, changes=explicit_settings(args),
                            root=args.data_root, allow_different_data=args.allow_different_data,
                            listener=printer)
        else:
            config = config_from(args)
            trainer = make_trainer(model, args.dataset, config, run_dir,
                                   input_shape=(input_shape[0], input_shape[1], input_shape[2]),
                                   listener=printer, root=args.data_root,
                                   download=args.download)
            if rank0:  # every check has passed: now the run folder may be written
                removed = clear_run(run_dir) if args.overwrite and run_dir.is_dir() else []
                if removed:
                    print(f"--overwrite: removed the earlier run's {', '.join(removed)}",
                          flush=True)
                run_dir.mkdir(parents=True, exist_ok=True)
                save(project, run_dir / "project.cnnproj")
                if report is not None:
                    write_report(run_dir, report)
                    print("\n".join(report.lines()), flush=True)
            result = trainer.fit()
    except NonFiniteLossError as exc:
        progress.close()
        lr = config.lr if config is not None else explicit_settings(args).get("lr")
        hint = f" (try --lr {lr / 10:g})" if lr else ""
        return fail(f"{exc}\nLower --lr{hint} and train again with --overwrite, or resume "
                    f"with --resume {run_dir} --lr ...", 1)
    except (TrainingError, ValueError, OSError) as exc:
        progress.close()
        return fail(describe(exc), 1)
    if rank0:
        print(f"{result.status}: {result.epochs_done} epoch(s); run folder {run_dir}")
        if result.test_metrics:
            m = result.test_metrics
            print(f"test accuracy {m.get('accuracy', float('nan')):.4f}, "
                  f"macro F1 {m.get('macro', {}).get('f1', float('nan')):.4f}")
    return 0
