"""The report page: one run in full, or several side by side (``compare.py``).

``build_report(paths)`` returns the HTML text; ``write_report(paths, out, overwrite)`` writes
it atomically (``core.files``) and refuses an existing ``out`` unless ``overwrite``. Sections
have stable ids (``overview``, ``settings``, ``curves``, ``metrics``, ``per-class``,
``confusion``, ``summary``, ``design``, ``fingerprint``, ``runtime``; a comparison has
``overview``, ``curves``, ``settings``, ``metrics``, ``diff``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cnnstudio.core.files import write_bytes_atomic
from cnnstudio.core.layers import fmt_shape
from cnnstudio.core.summary import summary_dict
from cnnstudio.reports.charts import Series, colour, line_chart
from cnnstudio.reports.data import RunData, read_run_data
from cnnstudio.reports.design import design_svg
from cnnstudio.reports.page import cell, duration, esc, fmt, frame, pct, section, table

#: (key, label, percent) of the curves a report draws
CURVES = (("loss", "Loss", False), ("accuracy", "Accuracy", True), ("lr", "Learning rate", False))


class ReportExistsError(FileExistsError):
    """``out`` exists and ``overwrite`` was not given."""


def when(stamp: Any) -> str:
    if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))
    return "-"


def rows_table(rows: list[tuple[str, Any]]) -> str:
    """A two-column table of label / value (both escaped here)."""
    return table([], [[f"<th>{esc(k)}</th>", cell(fmt(v))] for k, v in rows], "kv")


def overview(run: RunData) -> str:
    r = run.record
    status = r.status + (f": {r.message}" if r.message else "")
    rows: list[tuple[str, Any]] = [
        ("run", r.name), ("folder", Path(r.path).name), ("status", status),
        ("dataset", r.dataset or "-"), ("design", run.project_name or "-"),
        ("epochs", f"{r.epochs_done} of {r.epochs_planned or '?'}"),
        ("best validation accuracy", f"{pct(r.best_val_accuracy)} (epoch {fmt(r.best_epoch)})"),
        ("best validation loss", r.best_val_loss), ("test accuracy", pct(r.test_accuracy)),
        ("started", when(r.started)), ("ended", when(r.ended))]
    notes = f'<h3>Notes</h3><div class="notes">{esc(r.notes)}</div>' if r.notes else ""
    description = (f'<h3>Design description</h3><div class="notes">{esc(run.description)}</div>'
                   if run.description else "")
    return rows_table(rows) + notes + description


def settings(run: RunData) -> str:
    data = [("source", run.data.get("source")), *((f"{k} samples", run.data.get(k))
                                                   for k in ("train", "val", "test"))]
    pre = run.preprocess
    shape = pre.get("input_shape")
    prep = [("input shape", fmt_shape(tuple(shape)) if isinstance(shape, list) else shape),
            ("classes", len(pre["classes"]) if isinstance(pre.get("classes"), list) else "-"),
            ("mean", pre.get("mean")), ("std", pre.get("std"))]
    return ("<h3>Training</h3>" + rows_table(list(run.train.items())) + "<h3>Data</h3>"
            + rows_table(data) + "<h3>Preprocessing</h3>" + rows_table(prep))


def curves(run: RunData) -> str:
    charts = []
    for key, label, percent in CURVES:
        if key == "lr":
            series = [Series("learning rate", run.series("lr"), colour(0), key="lr")]
        else:
            series = [Series(f"training {key}", run.series(f"train_{key}"), colour(0),
                             key=f"train_{key}"),
                      Series(f"validation {key}", run.series(f"val_{key}"), colour(1),
                             key=f"val_{key}")]
            series = [s for s in series if s.points] or series[:1]
        charts.append(line_chart(label, series, label.lower(), percent, ident=f"chart-{key}"))
    return f'<div class="charts">{"".join(charts)}</div>'


def metrics(run: RunData) -> str:
    m = run.metrics
    if not m:
        return '<p class="muted">No test metrics: the run has no metrics.json.</p>'
    rows: list[tuple[str, Any]] = [("accuracy", pct(m.get("accuracy"))),
                                   ("loss", m.get("loss")), ("samples", m.get("samples"))]
    for avg in ("macro", "weighted"):
        found = m.get(avg)
        part: dict[str, Any] = found if isinstance(found, dict) else {}
        rows += [(f"{avg} {k}", part.get(k)) for k in ("precision", "recall", "f1")]
    return rows_table(rows)


def per_class(run: RunData) -> str:
    items = run.metrics.get("per_class")
    if not isinstance(items, list) or not items:
        return '<p class="muted">No per-class metrics.</p>'
    rows = [[cell(c.get("class", "?")), *(cell(fmt(c.get(k)), True)
                                          for k in ("precision", "recall", "f1", "support"))]
            for c in items if isinstance(c, dict)]
    return table(["class", "precision", "recall", "F1", "support"], rows, "per-class")


def heat(share: float) -> tuple[str, str]:
    """Background and text colour for a share in [0, 1]: white to deep red."""
    t = min(max(share, 0.0), 1.0)
    r, g, b = (round(255 + (end - 255) * t) for end in (165, 15, 21))
    return f"#{r:02x}{g:02x}{b:02x}", "#ffffff" if t > 0.5 else "#1d2430"


def confusion(run: RunData) -> str:
    matrix, classes = run.metrics.get("confusion_matrix"), run.metrics.get("classes")
    if not isinstance(matrix, list) or not isinstance(classes, list) or not matrix:
        return '<p class="muted">No confusion matrix.</p>'
    head = ["true \\ predicted", *(str(c) for c in classes)]
    rows = []
    for name, row in zip(classes, matrix, strict=False):
        values = [v if isinstance(v, (int, float)) else 0 for v in
                  (row if isinstance(row, list) else [])]
        total = sum(values) or 1
        cells = [f"<th>{esc(name)}</th>"]
        for v in values:
            bg, fg = heat(v / total)
            cells.append(f'<td style="background:{bg};color:{fg}">{esc(fmt(v))}</td>')
        rows.append(cells)
    note = '<p class="muted">Rows: true class; columns: predicted; shade: share of the row.</p>'
    return note + table(head, rows, "confusion")


def summary(run: RunData) -> str:
    if run.analysis is None:
        return '<p class="muted">The run\'s project file could not be read.</p>'
    d = summary_dict(run.analysis)
    rows = [[cell(f"{r['name']} ({r['type']})"),
             cell(fmt_shape(tuple(r["output_shape"])) if r["output_shape"] else "?"),
             cell(f"{r['params']:,}", True), cell(f"{r['mult_adds']:,}", True)]
            for r in d["layers"]]
    totals = [("total params", f"{d['total_params']:,}"),
              ("trainable params", f"{d['trainable_params']:,}"),
              ("non-trainable params", f"{d['non_trainable_params']:,}"),
              ("total mult-adds", f"{d['total_mult_adds']:,}")]
    return (table(["Layer (type)", "Output shape", "Param #", "Mult-adds"], rows, "summary")
            + rows_table(totals))


def runtime(run: RunData) -> str:
    r = run.record
    per_epoch = r.seconds / r.epochs_done if r.epochs_done else None
    rows: list[tuple[str, Any]] = [("training time", duration(r.seconds)),
                                   ("seconds per epoch", per_epoch)]
    rows += list(run.runtime.items())
    return rows_table(rows)


def single(run: RunData) -> str:
    r = run.record
    design = (design_svg(run.graph, run.analysis) if run.graph is not None
              else '<p class="muted">No design.</p>')
    fingerprint = (f"<p><code>{esc(r.architecture or '-')}</code> ({esc(fmt(r.params))} "
                   "parameters). The fingerprint changes exactly when the network's "
                   "computation changes (kinds, parameters, connections).</p>")
    parts = [("overview", "Overview", overview(run)), ("settings", "Settings", settings(run)),
             ("curves", "Curves", curves(run)), ("metrics", "Test metrics", metrics(run)),
             ("per-class", "Per class", per_class(run)),
             ("confusion", "Confusion matrix", confusion(run)),
             ("summary", "Summary", summary(run)), ("design", "Design", design),
             ("fingerprint", "Architecture fingerprint", fingerprint),
             ("runtime", "Runtime", runtime(run))]
    return "\n".join(section(i, t, b) for i, t, b in parts)


def build_report(paths: Sequence[str | Path]) -> str:
    """The HTML page for one run folder (a report) or several (a comparison)."""
    if not paths:
        raise ValueError("give at least one run folder")
    runs = [read_run_data(p) for p in paths]
    if len(runs) == 1:
        return frame(f"CNN Studio report: {runs[0].record.name}", single(runs[0]))
    from cnnstudio.reports.compare import comparison

    return frame(f"CNN Studio comparison of {len(runs)} runs", comparison(runs))


def check_destination(paths: Sequence[str | Path], out: str | Path, overwrite: bool) -> Path:
    """``out`` as a Path, or ``ReportExistsError``: a folder, an existing file without
    ``overwrite``, or a file of an input run other than an .html file (never a run's data)."""
    target = Path(out)
    if target.is_dir():
        raise ReportExistsError(f"{target} is a folder; give a file name such as report.html")
    inside = any(Path(p).resolve() in target.resolve().parents for p in paths)
    if inside and target.suffix.lower() not in (".html", ".htm"):
        raise ReportExistsError(f"{target} is inside a run folder of this report and is not an "
                                ".html file; the report never replaces a run's files")
    if target.exists() and not overwrite:
        raise ReportExistsError(f"{target} exists; choose another --out, or pass --overwrite "
                                "to replace it")
    return target


def write_report(paths: Sequence[str | Path], out: str | Path, overwrite: bool = False) -> Path:
    """Write the report to ``out`` atomically; an existing file only with ``overwrite``."""
    target = check_destination(paths, out, overwrite)
    text = build_report(paths)
    write_bytes_atomic(target, text.encode("utf-8"))
    return target
