"""Running a sweep: one ordinary training run per trial, chosen and pruned by Optuna.

``prepare_sweep(...)`` checks everything before anything is written: the space against the
strategy, the fixed settings and each swept value with them, the design, the pretrained
weights, the data against the model (and that it has a validation split, which the metric
needs) and the sweep folder (new or empty). ``SweepPlan.run(listener, cancel)`` then makes
the folder, writes ``sweep.json`` and runs the trials: ``trial-000``... are run folders like
``cnnstudio train`` makes (project.cnnproj, config.json, checkpoints, history, status.json),
so the run history lists them.

Strategies: ``grid`` runs every combination in the order given (the first parameter varying
slowest; ``trials`` caps it) through Optuna's GridSampler; ``random`` RandomSampler;
``tpe`` TPESampler; all seeded by the fixed ``seed``. Pruning (``Pruning``): Optuna's
MedianPruner on the per-epoch metric; a pruned trial is stopped through the engine's cancel
event and recorded as pruned. A trial that fails (a diverging loss, out of memory) is
recorded as failed and the sweep goes on (so is one whose sampled settings do not go
together, e.g. val_split + test_split reaching 1). Listener events are the engine's, with a
``trial`` number added, plus ``trial`` (a trial starts: number, trials, params) and
``trial_end`` (number, state, value). Optuna and torch are imported here only.

``resume_sweep(folder)`` continues a stopped sweep (cancelled, failed, or ended with the
process) from its folder: the design saved beside sweep.json, the recorded space, strategy,
metric, fixed settings, dataset and pruning. Its trials seed a new study (complete ones with
their values and per-epoch metric from each run's history.json, so TPE and the pruner learn
from them; pruned and failed ones as such); trials that were cut short (cancelled, or
running when the process ended) keep their folders and are tried again as new trials. A
grid resumes with the combinations not yet done.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import torch

from cnnstudio.core.project_io import Project, load, save
from cnnstudio.core.shapes import analyse
from cnnstudio.presets_torch.finetune import prepare_fine_tuning, write_report
from cnnstudio.runs.record import read_json
from cnnstudio.runs.status import write_status
from cnnstudio.runs.user import set_name_and_notes
from cnnstudio.sweeps.record import SweepRecord, TrialRecord, read_sweep
from cnnstudio.sweeps.space import (
    METRICS,
    ParamError,
    SweepParam,
    candidate_values,
    check_space,
    format_value,
    grid,
    grid_size,
)
from cnnstudio.training.api import canonical_source, load_data, make_trainer
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.data import PreparedData
from cnnstudio.training.errors import TrainingError

Listener = Callable[[dict[str, Any]], None]
#: swept settings that change the data split: the data is prepared again for each trial
DATA_SETTINGS = ("val_split", "test_split", "seed", "grey")
#: the design every trial trains, saved beside sweep.json (a stopped sweep resumes from it)
PROJECT_FILE = "project.cnnproj"
#: trial states a resumed sweep keeps as done (cancelled and running ones are tried again)
DONE_STATES = ("complete", "pruned", "failed")


@dataclass(frozen=True)
class Pruning:
    """MedianPruner settings: ``startup`` trials finish before any is pruned; a trial trains
    ``warmup`` epochs before it may be pruned."""

    enabled: bool = True
    startup: int = 2
    warmup: int = 1

    def pruner(self) -> optuna.pruners.BasePruner:
        if not self.enabled:
            return optuna.pruners.NopPruner()
        return optuna.pruners.MedianPruner(n_startup_trials=self.startup,
                                           n_warmup_steps=self.warmup)


class SweepCancelled(Exception):
    """The user stopped the sweep (its cancel event was set)."""


class _TrialCancel(threading.Event):
    """The engine's cancel event for one trial: set by pruning, or by the sweep's cancel."""

    def __init__(self, sweep: threading.Event) -> None:
        super().__init__()
        self.sweep = sweep

    def is_set(self) -> bool:
        return super().is_set() or self.sweep.is_set()


def folder_problem(out: Path) -> str | None:
    """Why ``out`` cannot take a new sweep (None when it is new or an empty folder)."""
    if out.exists() and not out.is_dir():
        return f"--out {out} is a file, not a folder"
    if out.is_dir() and any(out.iterdir()):
        return f"--out {out} is not empty: choose a new or empty folder for the sweep"
    return None


def trial_count(space: list[SweepParam], strategy: str, trials: int | None) -> int:
    if strategy == "grid":
        return min(grid_size(space), trials) if trials else grid_size(space)
    if not trials:
        raise ParamError(f"--trials N is needed with --strategy {strategy}")
    return trials


def suggest(trial: optuna.Trial, param: SweepParam) -> Any:
    if not param.is_range:
        return trial.suggest_categorical(param.name, list(param.values))
    assert param.low is not None and param.high is not None
    if param.option.kind == "int":
        return trial.suggest_int(param.name, int(param.low), int(param.high), log=param.log)
    return trial.suggest_float(param.name, param.low, param.high, log=param.log)


def best_value(history: list[dict[str, Any]], metric: str) -> float | None:
    values = [row[metric] for row in history if isinstance(row.get(metric), (int, float))
              and math.isfinite(row[metric])]
    if not values:
        return None
    return max(values) if METRICS[metric] == "maximize" else min(values)


def remaining_grid(space: list[SweepParam],
                   previous: list[optuna.trial.FrozenTrial]) -> list[dict[str, Any]]:
    """The grid's combinations in order, less those of ``previous`` trials that are done."""
    done = [t.params for t in previous if t.user_attrs.get("state") in DONE_STATES]
    return [params for params in grid(space) if params not in done]


def distribution(param: SweepParam) -> optuna.distributions.BaseDistribution:
    """The Optuna distribution ``suggest`` samples ``param`` from."""
    if not param.is_range:
        return optuna.distributions.CategoricalDistribution(list(param.values))
    assert param.low is not None and param.high is not None
    if param.option.kind == "int":
        return optuna.distributions.IntDistribution(int(param.low), int(param.high),
                                                    log=param.log)
    return optuna.distributions.FloatDistribution(param.low, param.high, log=param.log)


def frozen_trial(entry: TrialRecord, space: list[SweepParam], folder: Path,
                 metric: str) -> optuna.trial.FrozenTrial:
    """A recorded trial for a resumed study: its params, value and per-epoch ``metric``
    (from its run's history.json); a trial cut short is a failed one to Optuna."""
    states = optuna.trial.TrialState
    state = {"complete": states.COMPLETE, "pruned": states.PRUNED}.get(entry.state, states.FAIL)
    history = read_json(folder / entry.folder / "history.json", [])
    steps = {int(row["epoch"]): float(row[metric]) for row in
             (history if isinstance(history, list) else [])
             if isinstance(row, dict) and isinstance(row.get("epoch"), int)
             and isinstance(row.get(metric), (int, float)) and math.isfinite(row[metric])}
    if state == states.COMPLETE and entry.value is None:
        raise ParamError(f"trial {entry.number} is complete but has no value")
    return optuna.trial.create_trial(
        params=entry.params, distributions={p.name: distribution(p) for p in space},
        value=entry.value if state == states.COMPLETE else None, state=state,
        intermediate_values=steps, user_attrs={"state": entry.state})


@dataclass
class SweepPlan:
    """A checked sweep, ready to run (``prepare_sweep`` makes it; nothing written yet)."""

    project: Project
    source: str
    space: list[SweepParam]
    fixed: TrainConfig
    out: Path
    strategy: str
    metric: str
    trials: int
    input_shape: tuple[int, int, int]
    data: PreparedData
    root: str | None
    pruning: Pruning
    record: SweepRecord
    #: a resumed sweep's recorded trials, seeding the study (``resume_sweep``)
    previous: list[optuna.trial.FrozenTrial] = field(default_factory=list)

    def config_for(self, params: dict[str, Any]) -> TrainConfig:
        config = dataclasses.replace(self.fixed, augment=list(self.fixed.augment), **params)
        config.validate()
        return config

    def run(self, listener: Listener | None = None,
            cancel: threading.Event | None = None) -> SweepRecord:
        """Make the folder and run the trials; the record says how each ended."""
        emit = listener or (lambda event: None)
        cancel = cancel or threading.Event()
        direction = METRICS[self.metric]
        self.out.mkdir(parents=True, exist_ok=True)
        self.record.status = "running"
        self.record.save(self.out)
        save(self.project, self.out / PROJECT_FILE)
        if self.strategy == "grid":
            sampler: optuna.samplers.BaseSampler = optuna.samplers.GridSampler(
                {p.name: p.grid_values() for p in self.space}, seed=self.fixed.seed)
        elif self.strategy == "random":
            sampler = optuna.samplers.RandomSampler(seed=self.fixed.seed)
        else:
            sampler = optuna.samplers.TPESampler(seed=self.fixed.seed)
        verbosity = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.ERROR)  # the record and table say it all
        try:
            study = optuna.create_study(direction=direction, sampler=sampler,
                                        pruner=self.pruning.pruner())
            for frozen in self.previous:
                study.add_trial(frozen)
            if self.strategy == "grid":  # the combinations in the order given (not yet done)
                for params in remaining_grid(self.space, self.previous)[:self.trials]:
                    study.enqueue_trial(params)
            study.optimize(lambda trial: self._trial(trial, emit, cancel),
                           n_trials=self.trials, catch=(TrainingError, ValueError))
            self.record.status = "completed"
        except SweepCancelled:
            self.record.status = "cancelled"
        except BaseException as exc:  # an error, or Ctrl+C: recorded, then passed on
            self.record.status = "failed" if isinstance(exc, Exception) else "cancelled"
            self.record.save(self.out)
            raise
        finally:
            optuna.logging.set_verbosity(verbosity)
        self.record.save(self.out)
        return self.record

    def _trial(self, trial: optuna.Trial, emit: Listener, cancel: threading.Event) -> float:
        if cancel.is_set():
            raise SweepCancelled()
        params = {p.name: suggest(trial, p) for p in self.space}
        entry = TrialRecord(trial.number, params)
        self.record.trials.append(entry)
        self.record.save(self.out)
        emit({"event": "trial", "trial": trial.number,
              "trials": len(self.previous) + self.trials, "params": dict(params)})
        pruned = threading.Event()
        stop = _TrialCancel(cancel)

        def listen(event: dict[str, Any]) -> None:
            emit({**event, "trial": trial.number})
            value = event.get(self.metric)
            if event.get("event") != "epoch" or not isinstance(value, (int, float)):
                return
            entry.epochs = int(event["epoch"])
            trial.report(float(value), step=int(event["epoch"]))
            if trial.should_prune():
                pruned.set()
                stop.set()

        try:
            history, status = self._train(trial.number, params, listen, stop)
        except BaseException as exc:
            entry.state = "failed" if isinstance(exc, Exception) else "cancelled"
            entry.message = " ".join(str(exc).split()) or type(exc).__name__
            self._finish(entry, emit)
            raise
        entry.value = best_value(history, self.metric)
        entry.epochs = len(history)
        folder = self.out / entry.folder
        if status == "cancelled" and pruned.is_set() and not cancel.is_set():
            entry.state = "pruned"
            entry.message = (f"pruned after {len(history)} epoch(s): worse than the median "
                             "of the earlier trials")
            write_status(folder, message=entry.message)
            self._finish(entry, emit)
            raise optuna.TrialPruned(entry.message)
        if status == "cancelled":
            entry.state, entry.message = "cancelled", "the sweep was stopped"
            self._finish(entry, emit)
            raise SweepCancelled()
        if entry.value is None:
            entry.state, entry.message = "failed", f"no finite {self.metric} was reported"
            self._finish(entry, emit)
            raise TrainingError(f"trial {trial.number}: {entry.message}")
        entry.state = "complete"
        self._finish(entry, emit)
        return entry.value

    def _finish(self, entry: TrialRecord, emit: Listener) -> None:
        self.record.save(self.out)
        emit({"event": "trial_end", "trial": entry.number, "state": entry.state,
              "value": entry.value, "message": entry.message})

    def _train(self, number: int, params: dict[str, Any], listen: Listener,
               stop: threading.Event) -> tuple[list[dict[str, Any]], str]:
        config = self.config_for(params)
        folder = self.out / TrialRecord(number, params).folder
        torch.manual_seed(config.seed)  # every trial starts from the same weights
        model, report = prepare_fine_tuning(self.project, config.weights, config.freeze)
        data: PreparedData = self.data
        if any(name in params for name in DATA_SETTINGS):
            data = load_data(self.source, self.input_shape, config, model, self.root)
        trainer = make_trainer(model, data, config, folder, listener=listen, cancel=stop)
        folder.mkdir(parents=True, exist_ok=False)
        save(self.project, folder / "project.cnnproj")
        if report is not None:
            write_report(folder, report)
        shown = ", ".join(f"{k}={format_value(v)}" for k, v in params.items())
        set_name_and_notes(folder, name=f"{folder.name} ({shown})")
        result = trainer.fit()
        return result.history, result.status


def prepare_sweep(project: Project, source: str, space: list[SweepParam], fixed: TrainConfig,
                  out: Path, *, input_shape: tuple[int, int, int], strategy: str = "tpe",
                  trials: int | None = None, metric: str = "val_accuracy",
                  root: str | None = None, download: bool = False,
                  pruning: Pruning | None = None, target: str = "") -> SweepPlan:
    """Check the whole sweep (ValueError, ParamError, DatasetError...); nothing is written."""
    if metric not in METRICS:
        raise ParamError(f"--metric {metric}: choose {', '.join(METRICS)}")
    check_space(space, strategy)
    count = trial_count(space, strategy, trials)
    fixed.validate()
    for param in space:  # each swept value with the fixed settings
        for value in candidate_values(param):
            try:
                dataclasses.replace(fixed, **{param.name: value}).validate()
            except ValueError as exc:
                raise ParamError(f"--param {param.text or param.describe()}: {exc}") from None
    problem = folder_problem(out)
    if problem:
        raise ParamError(problem)
    data = checked_data(project, source, fixed, input_shape, metric, root, download)
    pruning = pruning or Pruning()
    settings = {k: v for k, v in fixed.to_dict().items() if k not in {p.name for p in space}}
    record = SweepRecord(space, strategy, metric, count, settings,
                         canonical_source(source), target, dataclasses.asdict(pruning))
    return SweepPlan(project, source, space, fixed, out, strategy, metric, count, input_shape,
                     data, root, pruning, record)


def checked_data(project: Project, source: str, fixed: TrainConfig,
                 input_shape: tuple[int, int, int], metric: str, root: str | None,
                 download: bool) -> PreparedData:
    """The data, checked against the design and the settings as ``make_trainer`` checks."""
    torch.manual_seed(fixed.seed)
    model, _ = prepare_fine_tuning(project, fixed.weights, fixed.freeze)
    data = load_data(source, input_shape, fixed, model, root, download)
    if data.val is None or len(data.val) == 0:
        raise ParamError(f"the data has no validation split for --metric {metric}: set "
                         "--val-split above 0")
    make_trainer(model, data, fixed, None)  # the engine's own checks (device, settings)
    return data


def resume_sweep(folder: Path, *, trials: int | None = None, root: str | None = None,
                 download: bool = False) -> SweepPlan:
    """A stopped sweep, checked and ready to run its remaining trials (nothing written yet).

    ``trials``: the sweep's total (done trials included); the recorded plan when None.
    """
    record = read_sweep(folder)
    numbers = [t.number for t in record.trials]
    if numbers != list(range(len(numbers))):
        raise ParamError(f"{folder}/sweep.json: the trials are not numbered 0..{len(numbers) - 1}")
    done = [t for t in record.trials if t.state in DONE_STATES]
    total = trials or record.trials_planned
    remaining = total - len(done)
    if record.strategy == "grid":
        remaining = min(remaining, grid_size(record.space) - len(done))
    if remaining <= 0:
        more = "" if record.strategy == "grid" else " (give a larger trial count to run more)"
        raise ParamError(f"{folder}: the sweep has run {len(done)} of its {total} trials; "
                         f"nothing is left to run{more}")
    design = folder / PROJECT_FILE
    if not design.is_file():
        firsts = [folder / t.folder / PROJECT_FILE for t in record.trials]
        design = next((f for f in firsts if f.is_file()), design)
    if not design.is_file():
        raise ParamError(f"{folder} holds no design to resume ({PROJECT_FILE}): start a new "
                         "sweep instead")
    project = load(design)
    shape = analyse(project.graph).input_shape
    if shape is None or len(shape) != 3:
        raise ParamError(f"{design}: the design has no image input")
    input_shape = (shape[0], shape[1], shape[2])
    try:
        fixed = TrainConfig.from_dict(dict(record.fixed))
        pruning = Pruning(**record.pruning) if record.pruning else Pruning()
    except (TypeError, ValueError) as exc:
        raise ParamError(f"{folder}/sweep.json: {exc}") from None
    try:
        previous = [frozen_trial(t, record.space, folder, record.metric)
                    for t in record.trials]
    except ValueError as exc:
        raise ParamError(f"{folder}/sweep.json: {exc}") from None
    data = checked_data(project, record.dataset, fixed, input_shape, record.metric, root,
                        download)
    return SweepPlan(project, record.dataset, record.space, fixed, folder, record.strategy,
                     record.metric, remaining, input_shape, data, root, pruning, record,
                     previous)
