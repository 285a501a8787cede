"""What a report reads from a run folder: the RunRecord plus the files it shows in full.

Every file is optional and read within ``core.limits`` (``runs.record.read_json``); a file of
the wrong shape reads as absent. Nothing here imports torch or Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnstudio.core.errors import ProjectFileError
from cnnstudio.core.graph import Graph
from cnnstudio.core.project_io import load
from cnnstudio.core.shapes import Analysis, analyse
from cnnstudio.runs import RunRecord, read_run
from cnnstudio.runs.record import is_run, read_json


@dataclass
class RunData:
    """One run as a report shows it (plain data)."""

    record: RunRecord
    history: list[dict[str, Any]] = field(default_factory=list)
    train: dict[str, Any] = field(default_factory=dict)
    preprocess: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    runtime: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    project_name: str = ""
    description: str = ""
    graph: Graph | None = None
    analysis: Analysis | None = None

    def series(self, key: str) -> list[tuple[float, float]]:
        """``(epoch, value)`` of one history column, finite numbers only."""
        points = []
        for i, row in enumerate(self.history, start=1):
            value, epoch = row.get(key), row.get("epoch", i)
            if (isinstance(value, (int, float)) and not isinstance(value, bool)
                    and math.isfinite(value) and isinstance(epoch, (int, float))):
                points.append((float(epoch), float(value)))
        return points


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def read_run_data(path: str | Path) -> RunData:
    """Read a run folder; ``ValueError`` naming it when it is not one."""
    folder = Path(path)
    if not is_run(folder):
        raise ValueError(f"{folder}: not a run folder (it needs config.json and "
                         "project.cnnproj, as cnnstudio train writes them)")
    run = RunData(read_run(folder))
    history = read_json(folder / "history.json", [])
    run.history = [r for r in history if isinstance(r, dict)] if isinstance(history, list) else []
    config = _dict(read_json(folder / "config.json", {}))
    run.train, run.preprocess = _dict(config.get("train")), _dict(config.get("preprocess"))
    run.data, run.runtime = _dict(config.get("data")), _dict(config.get("runtime"))
    run.metrics = _dict(read_json(folder / "metrics.json", {}))
    try:
        project = load(folder / "project.cnnproj")
    except ProjectFileError:
        return run
    run.project_name, run.description = project.name, project.description
    run.graph = project.graph
    run.analysis = analyse(project.graph)
    return run
