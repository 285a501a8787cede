"""Run folders as the dock sees them: a new one per run, JSON files read back, durations.

A run folder (written by the engine, as for ``cnnstudio train``) holds ``project.cnnproj``,
``config.json``, ``history.json``, ``checkpoints/`` and, after a test evaluation,
``metrics.json``/``metrics.csv``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from cnnstudio.core.graph import Graph
from cnnstudio.core.shapes import analyse


def new_run_dir(runs: Path, project_name: str) -> Path:
    """``runs/<project>-<date-time>`` (with ``-2``, ``-3``... when that exists)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", project_name).strip("._") or "run"
    base = runs / f"{slug}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def read_json_file(path: Path, default: Any) -> Any:
    """The JSON value in ``path``, or ``default`` when there is no such file."""
    if not path.is_file():
        return default
    return json.loads(path.read_text(encoding="utf-8"))


def duration(seconds: float) -> str:
    s = int(round(max(seconds, 0.0)))
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def trainable_shape(graph: Graph) -> tuple[tuple[int, int, int] | None, str]:
    """The Input node's (C, H, W) when ``graph`` can be trained, else None and the message
    that says why (each problem with its node), for the training dock and the sweep view."""
    analysis = analyse(graph)
    if not analysis.ok:
        errors = [i.describe(graph) for i in analysis.issues if i.severity == "error"]
        return None, "The network has problems to fix first:\n\n" + "\n\n".join(errors)
    shape = analysis.input_shape
    if shape is None or len(shape) != 3:
        return None, "Training needs an Input node giving images (channels, height, width)."
    return (shape[0], shape[1], shape[2]), ""
