"""``cnnstudio sweep TARGET --dataset ... --param lr=1e-4:1e-2:log --out SWEEP_DIR``.

Trains TARGET once per trial over a space of training settings and writes SWEEP_DIR/trial-000
... (ordinary run folders, listed by ``cnnstudio runs SWEEP_DIR``) and SWEEP_DIR/sweep.json;
then prints the trials best first. ``--param`` gives a range ``lo:hi`` / ``lo:hi:log`` or a
list ``a,b,c`` of a declared training option (cnnstudio.training.options); the other training
options are fixed settings of every trial. As with ``cnnstudio train``, every option, the
design and the data are checked before anything is written, and ``--out`` must be new or
empty. ``--resume SWEEP_DIR`` continues a stopped sweep with its recorded design, space and
settings (``--trials`` may raise the total). Optuna and torch are imported only when the
sweep runs (cnnstudio.sweeps.runner).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cnnstudio.cli.errors import describe
from cnnstudio.cli.options import number, train_argument
from cnnstudio.cli.target import add_target_args, network_problem, open_target
from cnnstudio.cli.train import Progress, explicit_settings, fail
from cnnstudio.core.shapes import analyse
from cnnstudio.sweeps.record import SweepRecord, ranked, table
from cnnstudio.sweeps.space import (
    METRICS,
    STRATEGIES,
    ParamError,
    SweepParam,
    format_value,
    parse_param,
    sweepable_options,
)
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.options import TRAIN_OPTIONS

PARAM_HELP = (
    "a setting to vary: NAME=lo:hi, NAME=lo:hi:log (int and float options) or NAME=a,b,c; "
    "NAME is one of " + ", ".join(o.name for o in sweepable_options()) + " (repeatable)")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "sweep", help="train a project or preset over a space of settings (Optuna)",
        description="Train TARGET once per trial, varying the settings given with --param, "
        "and write SWEEP_DIR/trial-000, ... (run folders, as cnnstudio train writes) and "
        "SWEEP_DIR/sweep.json; then print the trials best first. Strategies: grid (every "
        "combination of the lists, in the order given; --trials caps it), random, tpe "
        "(Optuna's TPE sampler). Trials that fall below the median of the earlier trials at "
        "the same epoch are pruned (Optuna's MedianPruner) unless --no-prune. The other "
        "training options are the fixed settings of every trial. --resume SWEEP_DIR (no "
        "TARGET) continues a stopped sweep: the trials done are kept, those cut short are "
        "tried again, and the study learns from the recorded ones.")
    add_target_args(p, optional=True)
    p.add_argument("--dataset", metavar="NAME|PATH",
                   help="dataset name or path, as for cnnstudio train (required unless "
                   "--resume)")
    p.add_argument("--data-root", metavar="DIR", help="folder holding a built-in dataset's files")
    p.add_argument("--download", action="store_true",
                   help="download mnist, fashion-mnist or cifar10 when no local copy is found")
    p.add_argument("--param", metavar="NAME=VALUES", action="append", default=[],
                   help=PARAM_HELP)
    p.add_argument("--strategy", choices=STRATEGIES,
                   help="how trials are chosen (default tpe)")
    p.add_argument("--trials", metavar="N", type=number(int, 1, 100_000),
                   help="number of trials (needed with random and tpe; caps a grid); with "
                   "--resume the new total, trials done included")
    p.add_argument("--metric", choices=tuple(METRICS),
                   help="the per-epoch validation metric to optimise (default val_accuracy)")
    p.add_argument("--out", metavar="SWEEP_DIR",
                   help="the sweep folder to write: new or empty (required unless --resume)")
    p.add_argument("--resume", metavar="SWEEP_DIR",
                   help="continue a stopped sweep in SWEEP_DIR (no TARGET)")
    p.add_argument("--no-prune", action="store_true", help="never stop a trial early")
    p.add_argument("--prune-startup", metavar="N", type=number(int, 0, 100_000),
                   help="trials that finish before any is pruned (default 2)")
    p.add_argument("--prune-warmup", metavar="EPOCHS", type=number(int, 0, 100_000),
                   help="epochs a trial trains before it may be pruned (default 1)")
    for option in TRAIN_OPTIONS:  # fixed settings; an option left out keeps its default
        p.add_argument(option.flag, default=argparse.SUPPRESS, **train_argument(option))
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def read_space(args: argparse.Namespace) -> list[SweepParam]:
    """The ``--param`` values, each checked; one given as a fixed option too is refused."""
    space = [parse_param(text) for text in args.param]
    given = vars(args)
    flags = {o.name: o.flag for o in TRAIN_OPTIONS}
    for param in space:
        if param.name in given:
            raise ParamError(f"--param {param.text} and {flags[param.name]} both set "
                             f"{param.name}: give one")
    return space


class Printer:
    """Prints each trial's start and end; the engine's progress through ``Progress``."""

    def __init__(self, progress: Progress, metric: str) -> None:
        self.progress, self.metric = progress, metric

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "trial":
            shown = ", ".join(f"{k}={format_value(v)}" for k, v in event["params"].items())
            print(f"trial {event['trial'] + 1}/{event['trials']}: {shown}", flush=True)
        elif kind == "trial_end":
            self.progress.close()
            value = "" if event["value"] is None else f", {self.metric} {event['value']:.4f}"
            message = f" ({event['message']})" if event["message"] else ""
            print(f"trial-{event['trial']:03d}: {event['state']}{value}{message}", flush=True)
        else:
            self.progress(event)


def report(record: SweepRecord, out: str) -> None:
    print(f"sweep {record.status}: {len(record.trials)} trial(s) in {out}")
    for line in table(record):
        print(line)
    best = ranked(record.trials, record.direction)
    if best and best[0].state == "complete" and best[0].value is not None:
        print(f"best: {best[0].folder}, {record.metric} {best[0].value:.4f}")


#: what --resume takes from sweep.json, so it may not be given again
RECORDED = ("target", "dataset", "out", "param", "strategy", "metric", "no_prune",
            "prune_startup", "prune_warmup", "input_shape", "num_classes")


def combination_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the combination of TARGET, --resume, --out and the options."""
    if args.resume:
        flags = {o.name: o.flag for o in TRAIN_OPTIONS}
        given = ["TARGET" if name == "target" else "--" + name.replace("_", "-")
                 for name in RECORDED if getattr(args, name, None)]
        given += [flags[name] for name in explicit_settings(args)]
        if given:
            shown = ", ".join(given)
            return (f"{shown} cannot be given with --resume: a resumed sweep keeps its "
                    "recorded design, space and settings (it takes --trials, --data-root "
                    "and --download)")
        return None
    if not args.target:
        return "give TARGET (a project file or preset id), or --resume SWEEP_DIR"
    if not args.dataset:
        return "--dataset NAME|PATH is required (unless --resume)"
    if not args.out:
        return "--out SWEEP_DIR is required (or --resume SWEEP_DIR)"
    return None


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    problem = combination_problem(args)
    if problem:
        return fail(problem)
    if args.resume:
        return resume(args)
    args.strategy = args.strategy or "tpe"
    args.metric = args.metric or "val_accuracy"
    args.prune_startup = 2 if args.prune_startup is None else args.prune_startup
    args.prune_warmup = 1 if args.prune_warmup is None else args.prune_warmup
    try:
        space = read_space(args)
    except ParamError as exc:
        return fail(str(exc))
    project = open_target(args)
    if project is None:
        return 2
    problem = network_problem(project, str(args.target))
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    shape = analyse(project.graph).input_shape
    assert shape is not None and len(shape) == 3
    settings = explicit_settings(args)
    settings.setdefault("monitor", args.metric)  # the best checkpoint follows the metric
    from cnnstudio.compiler import CompileError
    from cnnstudio.sweeps.runner import Pruning, prepare_sweep
    from cnnstudio.training import TrainingError

    try:
        plan = prepare_sweep(project, args.dataset, space, TrainConfig(**settings),
                             Path(args.out), input_shape=(shape[0], shape[1], shape[2]),
                             strategy=args.strategy, trials=args.trials, metric=args.metric,
                             root=args.data_root, download=args.download,
                             pruning=Pruning(not args.no_prune, args.prune_startup,
                                             args.prune_warmup), target=args.target)
    except ParamError as exc:
        return fail(str(exc))
    except (CompileError, TrainingError, ValueError, OSError) as exc:
        return fail(describe(exc), 1)
    print(f"sweep: {plan.trials} trial(s), {args.strategy}, {args.metric}; folder {args.out}",
          flush=True)
    progress = Progress(not args.no_progress and sys.stderr.isatty())
    record = plan.run(Printer(progress, args.metric))
    progress.close()
    report(record, args.out)
    return 0 if record.status == "completed" else 1


def resume(args: argparse.Namespace) -> int:
    """``--resume SWEEP_DIR``: the remaining trials of a stopped sweep."""
    from pathlib import Path

    from cnnstudio.compiler import CompileError
    from cnnstudio.sweeps.runner import resume_sweep
    from cnnstudio.training import TrainingError

    try:
        plan = resume_sweep(Path(args.resume), trials=args.trials, root=args.data_root,
                            download=args.download)
    except ParamError as exc:
        return fail(str(exc))
    except (CompileError, TrainingError, ValueError, OSError) as exc:
        return fail(describe(exc), 1)
    done = len(plan.previous)
    print(f"sweep: resuming {args.resume} after {done} recorded trial(s); {plan.trials} more "
          f"({plan.strategy}, {plan.metric})", flush=True)
    progress = Progress(not args.no_progress and sys.stderr.isatty())
    record = plan.run(Printer(progress, plan.metric))
    progress.close()
    report(record, args.resume)
    return 0 if record.status == "completed" else 1
