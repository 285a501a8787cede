"""What the Compare Runs window shows of each run, read from its folder (no Qt, no torch).

``load_compared(path)`` reads a run folder into a ``ComparedRun``: its ``RunRecord``
(``cnnstudio.runs.read_run``: name, metrics, epochs, duration), its per-epoch history
(history.json), every training setting (config.json's ``train``, plus the data source) and
its design (project.cnnproj; None when unreadable). ``differing_settings`` names the settings
whose values are not the same in every run; ``curve`` gives one history column as x/y lists
(epochs, finite values only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnstudio.core.errors import ProjectFileError
from cnnstudio.core.graph import Graph
from cnnstudio.core.project_io import load
from cnnstudio.runs import RunRecord, read_run
from cnnstudio.runs.record import read_json

#: metric rows of the comparison: label -> RunRecord field
METRICS = {
    "Test accuracy": "test_accuracy",
    "Macro F1": "test_macro_f1",
    "Best val accuracy": "best_val_accuracy",
    "Epochs": "epochs_done",
    "Duration": "seconds",
}
#: the setting row of the data the run was trained on
DATA_ROW = "data"
MISSING = object()


@dataclass
class ComparedRun:
    """One run as compared: record, history rows, settings and design."""

    path: Path
    record: RunRecord
    history: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    graph: Graph | None = None

    @property
    def name(self) -> str:
        return self.record.name


def load_compared(path: str | Path) -> ComparedRun:
    folder = Path(path)
    history = read_json(folder / "history.json", [])
    config = read_json(folder / "config.json", {})
    config = config if isinstance(config, dict) else {}
    train = config.get("train")
    settings = dict(train) if isinstance(train, dict) else {}
    data = config.get("data")
    if isinstance(data, dict) and "source" in data:
        settings[DATA_ROW] = data["source"]
    graph: Graph | None
    try:
        graph = load(folder / "project.cnnproj").graph
    except (ProjectFileError, OSError):
        graph = None
    rows = [r for r in history if isinstance(r, dict)] if isinstance(history, list) else []
    return ComparedRun(folder, read_run(folder), rows, settings, graph)


def setting_names(runs: Sequence[ComparedRun]) -> list[str]:
    """Every setting any run has, the data source first, then in first-seen order."""
    names: dict[str, None] = {}
    for run in runs:
        names.update(dict.fromkeys(run.settings))
    ordered = list(names)
    if DATA_ROW in names:
        ordered.remove(DATA_ROW)
        ordered.insert(0, DATA_ROW)
    return ordered


def differing_settings(runs: Sequence[ComparedRun]) -> set[str]:
    """The settings whose values (or presence) are not the same in every run."""
    out: set[str] = set()
    for name in setting_names(runs):
        values = [repr(run.settings.get(name, MISSING)) for run in runs]
        if len(set(values)) > 1:
            out.add(name)
    return out


def format_setting(value: Any) -> str:
    if value is MISSING:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def curve(history: Sequence[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    """``key`` per epoch (x: the row's epoch, else its position from 1), finite values only."""
    xs: list[float] = []
    ys: list[float] = []
    for i, row in enumerate(history, start=1):
        value = row.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(value):
            continue
        epoch = row.get("epoch")
        xs.append(float(epoch) if isinstance(epoch, (int, float)) else float(i))
        ys.append(float(value))
    return xs, ys
