"""``SWEEP_DIR/sweep.json``: what a sweep tried and how each trial ended (torch-free).

The file holds the space (``SweepParam.to_dict``), the strategy, the metric and its
direction, the fixed settings, the dataset, the pruning settings, the sweep's status
(running, completed, cancelled, failed) and one entry per trial: its number, folder (an
ordinary run folder, ``trial-000``...), params, state (running, complete, pruned, failed,
cancelled), value (the best per-epoch metric it reached; for a pruned trial, the best before
it was stopped), epochs and message. It is rewritten atomically after every change, so a
sweep stopped half-way still describes its trials. ``ranked`` orders trials best first;
``table`` prints them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cnnstudio.core.files import write_bytes_atomic
from cnnstudio.core.limits import MAX_JSON_BYTES, read_capped
from cnnstudio.sweeps.space import METRICS, SweepParam, format_value

SWEEP_FILE = "sweep.json"
FORMAT = 1
STATES = ("complete", "pruned", "failed", "cancelled", "running")


def trial_folder(number: int) -> str:
    return f"trial-{number:03d}"


@dataclass
class TrialRecord:
    number: int
    params: dict[str, Any]
    state: str = "running"
    value: float | None = None
    epochs: int = 0
    message: str = ""
    folder: str = ""

    def __post_init__(self) -> None:
        self.folder = self.folder or trial_folder(self.number)


@dataclass
class SweepRecord:
    """The content of sweep.json (``save`` writes it; ``read_sweep`` reads it back)."""

    space: list[SweepParam]
    strategy: str
    metric: str
    trials_planned: int
    fixed: dict[str, Any] = field(default_factory=dict)
    dataset: str = ""
    target: str = ""
    pruning: dict[str, Any] = field(default_factory=dict)
    status: str = "running"
    trials: list[TrialRecord] = field(default_factory=list)

    @property
    def direction(self) -> str:
        return METRICS[self.metric]

    def to_dict(self) -> dict[str, Any]:
        best = ranked(self.trials, self.direction)
        return {"format": FORMAT, "strategy": self.strategy, "metric": self.metric,
                "direction": self.direction, "trials_planned": self.trials_planned,
                "status": self.status, "dataset": self.dataset, "target": self.target,
                "space": [p.to_dict() for p in self.space], "fixed": self.fixed,
                "pruning": self.pruning,
                "best_trial": best[0].number if best and best[0].state == "complete" else None,
                "trials": [asdict(t) for t in self.trials]}

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / SWEEP_FILE
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False)
        write_bytes_atomic(path, text.encode("utf-8"))
        return path


class SweepFileError(ValueError):
    """A sweep.json that cannot be read; the message names the file."""


def read_sweep(folder: str | Path) -> SweepRecord:
    """The sweep recorded in ``folder/sweep.json`` (SweepFileError when it is not one)."""
    path = Path(folder) / SWEEP_FILE
    if not path.is_file():
        raise SweepFileError(f"{folder} is not a sweep folder (no {SWEEP_FILE})")
    try:
        data = json.loads(read_capped(path, MAX_JSON_BYTES, SWEEP_FILE))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a format {FORMAT} sweep file")
        if data.get("metric") not in METRICS:
            raise ValueError(f"unknown metric {data.get('metric')!r}")
        record = SweepRecord([SweepParam.from_dict(p) for p in data["space"]],
                             str(data["strategy"]), str(data["metric"]),
                             int(data["trials_planned"]), dict(data.get("fixed") or {}),
                             str(data.get("dataset", "")), str(data.get("target", "")),
                             dict(data.get("pruning") or {}), str(data.get("status", "")))
        for item in data["trials"]:
            trial = TrialRecord(int(item["number"]), dict(item["params"]), str(item["state"]),
                                _number(item.get("value")), int(item.get("epochs", 0)),
                                str(item.get("message", "")))
            if trial.state not in STATES:
                raise ValueError(f"trial {trial.number}: unknown state {trial.state!r}")
            record.trials.append(trial)
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise SweepFileError(f"{path}: {exc}") from None
    return record


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"value {value!r} is not a number")
    return float(value)


def ranked(trials: list[TrialRecord], direction: str) -> list[TrialRecord]:
    """Best first: complete trials by value, then pruned ones by value, then the rest."""
    order = {state: i for i, state in enumerate(STATES)}
    sign = -1.0 if direction == "maximize" else 1.0

    def key(t: TrialRecord) -> tuple[int, int, float, int]:
        has = t.value is not None
        return (order[t.state], 0 if has else 1, sign * t.value if has else 0.0, t.number)

    return sorted(trials, key=key)


def table(record: SweepRecord) -> list[str]:
    """The results as text lines, best first: trial, each parameter, the metric, state."""
    names = [p.name for p in record.space]
    header = ["trial", *names, record.metric, "state"]
    rows = [header]
    for t in ranked(record.trials, record.direction):
        value = "-" if t.value is None else f"{t.value:.4f}"
        rows.append([t.folder, *(format_value(t.params.get(n, "-")) for n in names), value,
                     t.state])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]
