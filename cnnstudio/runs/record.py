"""One run folder as a row of the run history, and the listing of a runs folder.

``read_run(path)`` reads what a run folder holds (every file optional, each JSON file read
within ``core.limits``): its name and notes, status and message, the dataset, the design's
name and architecture fingerprint, the key settings, the epochs, the best validation figures
and the test metrics. ``list_runs(folder)`` finds the run folders under ``folder`` (a sweep's
trials one level down too), newest first. Nothing here imports torch.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cnnstudio.core.graph import Graph
from cnnstudio.core.limits import MAX_JSON_BYTES, read_capped
from cnnstudio.runs.status import STATUS_FILE

#: the settings shown as columns of the history (TrainConfig field names)
KEY_SETTINGS = ("optimizer", "lr", "batch_size", "epochs", "scheduler", "weight_decay",
                "augment", "seed")
#: what marks a folder as a run
MARKERS = ("config.json", "project.cnnproj")


@dataclass
class RunRecord:
    """What the history shows of one run (plain data; ``to_dict`` for JSON)."""

    path: str
    name: str
    notes: str = ""
    status: str = "unknown"
    message: str = ""
    started: float | None = None
    ended: float | None = None
    dataset: str = ""
    project: str = ""
    architecture: str = ""
    params: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    epochs_done: int = 0
    epochs_planned: int | None = None
    best_epoch: int | None = None
    best_val_accuracy: float | None = None
    best_val_loss: float | None = None
    test_accuracy: float | None = None
    test_macro_f1: float | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_json(path: Path, default: Any = None) -> Any:
    """A JSON file of the run, or ``default`` when it is absent, unreadable or too large."""
    if not path.is_file():
        return default
    try:
        return json.loads(read_capped(path, MAX_JSON_BYTES, path.name))
    except (OSError, ValueError, RecursionError):
        return default


def is_run(folder: Path) -> bool:
    return folder.is_dir() and all((folder / m).is_file() for m in MARKERS)


def architecture_fingerprint(graph: Graph) -> str:
    """12 hex digits that change exactly when the computation changes: kinds, parameters and
    connections in topological order; not names, positions, groups or frozen flags."""
    order, rest = graph.topo_order()
    index = {nid: i for i, nid in enumerate(order + rest)}
    items = []
    for nid in order + rest:
        node = graph.nodes[nid]
        params = {p.name: p.to_json(node.params[p.name]) for p in node.spec.params}
        inputs = sorted((e.port, index[e.src]) for e in graph.edges if e.dst == nid)
        items.append([node.kind, params, inputs])
    text = json.dumps(items, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _design(folder: Path, record: RunRecord) -> None:
    from cnnstudio.core.errors import ProjectFileError
    from cnnstudio.core.project_io import load
    from cnnstudio.core.shapes import analyse

    try:
        project = load(folder / "project.cnnproj")
    except ProjectFileError:
        return
    record.project = project.name
    record.architecture = architecture_fingerprint(project.graph)
    analysis = analyse(project.graph)
    if analysis.ok:
        record.params = int(analysis.total("params"))


def _history(history: list[dict[str, Any]], record: RunRecord) -> None:
    rows = [r for r in history if isinstance(r, dict)]
    record.epochs_done = len(rows)
    record.seconds = float(sum(r.get("seconds", 0.0) or 0.0 for r in rows))
    accuracies = [(r["val_accuracy"], r.get("epoch")) for r in rows
                  if isinstance(r.get("val_accuracy"), (int, float))]
    losses = [r["val_loss"] for r in rows if isinstance(r.get("val_loss"), (int, float))]
    if accuracies:
        record.best_val_accuracy, record.best_epoch = max(accuracies, key=lambda a: a[0])
    if losses:
        record.best_val_loss = min(losses)
    best = [r.get("epoch") for r in rows if r.get("best")]
    if best:
        record.best_epoch = best[-1]


def read_run(path: str | Path) -> RunRecord:
    """The history row of one run folder (missing files leave their fields empty)."""
    folder = Path(path)
    user = read_json(folder / "run.json", {})
    user = user if isinstance(user, dict) else {}
    record = RunRecord(str(folder), str(user.get("name") or folder.name),
                       str(user.get("notes") or ""))
    config = read_json(folder / "config.json", {})
    config = config if isinstance(config, dict) else {}
    train = config.get("train") if isinstance(config.get("train"), dict) else {}
    record.settings = {k: train[k] for k in KEY_SETTINGS if k in train}
    record.epochs_planned = train.get("epochs")
    data = config.get("data") if isinstance(config.get("data"), dict) else {}
    record.dataset = str(data.get("source", ""))
    history = read_json(folder / "history.json", [])
    _history(history if isinstance(history, list) else [], record)
    metrics = read_json(folder / "metrics.json", {})
    if isinstance(metrics, dict):
        record.test_accuracy = metrics.get("accuracy")
        macro = metrics.get("macro")
        record.test_macro_f1 = macro.get("f1") if isinstance(macro, dict) else None
    status = read_json(folder / STATUS_FILE, {})
    if isinstance(status, dict) and status:
        record.status = str(status.get("status", "unknown"))
        record.message = str(status.get("message", ""))
        record.started, record.ended = status.get("started"), status.get("ended")
    else:  # a run from before status.json: judge by its files
        record.status = "completed" if metrics else "unknown"
    if record.started is None and (folder / "config.json").is_file():
        record.started = os.path.getmtime(folder / "config.json")
    _design(folder, record)
    return record


def list_runs(folder: str | Path, project: str | None = None) -> list[RunRecord]:
    """The runs in ``folder`` (and in its subfolders, such as a sweep's trials), newest first;
    only those of the design named ``project`` when given. The trash is not listed."""
    root = Path(folder)
    found: list[RunRecord] = []
    if not root.is_dir():
        return found
    candidates = [root] if is_run(root) else []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        if is_run(entry):
            candidates.append(entry)
        else:
            candidates += [sub for sub in sorted(entry.iterdir()) if is_run(sub)]
    for run in candidates:
        record = read_run(run)
        if project is None or record.project == project:
            found.append(record)
    return sorted(found, key=lambda r: r.started or 0.0, reverse=True)
