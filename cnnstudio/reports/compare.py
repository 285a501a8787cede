"""A comparison of several runs: overlaid curves (one colour per run), settings and metrics
side by side with differing settings highlighted, and the architecture diff
(``core.diff.diff_graphs``) from the first run to each other run."""

from __future__ import annotations

from typing import Any

from cnnstudio.core.diff import diff_graphs
from cnnstudio.reports.charts import Series, colour, line_chart
from cnnstudio.reports.data import RunData
from cnnstudio.reports.page import cell, duration, esc, fmt, pct, section, table

#: (history key, title, percent) of the overlaid charts
COMPARED_CURVES = (("val_loss", "Validation loss", False),
                   ("val_accuracy", "Validation accuracy", True),
                   ("train_loss", "Training loss", False),
                   ("train_accuracy", "Training accuracy", True),
                   ("lr", "Learning rate", False))


def labels(runs: list[RunData]) -> list[str]:
    """``1. name`` per run: the number tells runs with one name apart."""
    return [f"{i}. {r.record.name}" for i, r in enumerate(runs, start=1)]


def overview(runs: list[RunData]) -> str:
    rows = []
    for i, (run, label) in enumerate(zip(runs, labels(runs), strict=True)):
        r = run.record
        swatch = f'<span style="color:{colour(i)}">\u25a0</span> '
        rows.append([f"<td>{swatch}{esc(label)}</td>", cell(r.status), cell(r.dataset or "-"),
                     cell(run.project_name or "-"), f"<td><code>{esc(r.architecture or '-')}"
                     "</code></td>", cell(f"{r.epochs_done}/{r.epochs_planned or '?'}", True),
                     f'<td><div class="notes">{esc(r.notes)}</div></td>' if r.notes
                     else cell("")])
    return table(["run", "status", "dataset", "design", "fingerprint", "epochs", "notes"],
                 rows, "runs")


def curves(runs: list[RunData]) -> str:
    charts = []
    for key, title, percent in COMPARED_CURVES:
        series = [Series(label, run.series(key), colour(i), key=f"run-{i + 1}")
                  for i, (run, label) in enumerate(zip(runs, labels(runs), strict=True))]
        if any(s.points for s in series):
            charts.append(line_chart(title, series, title.lower(), percent,
                                     ident=f"chart-{key}"))
    return f'<div class="charts">{"".join(charts)}</div>'


def side_by_side(runs: list[RunData], rows: list[tuple[str, list[Any]]],
                 highlight: bool) -> str:
    body, classes = [], []
    for label, values in rows:
        texts = [fmt(v) for v in values]
        body.append([f"<th>{esc(label)}</th>", *(cell(t) for t in texts)])
        classes.append("differs" if highlight and len(set(texts)) > 1 else "")
    return table(["", *labels(runs)], body, "side-by-side", classes)


def settings(runs: list[RunData]) -> str:
    keys: list[str] = []
    for run in runs:
        keys += [k for k in run.train if k not in keys]
    rows = [(k, [run.train.get(k) for run in runs]) for k in keys]
    rows.insert(0, ("dataset", [run.data.get("source") for run in runs]))
    rows.insert(1, ("classes", [run.preprocess.get("classes") for run in runs]))
    note = '<p class="muted">Highlighted rows differ between the runs.</p>'
    return note + side_by_side(runs, rows, highlight=True)


def metrics(runs: list[RunData]) -> str:
    def avg(run: RunData, part: str) -> Any:
        d = run.metrics.get(part)
        return d.get("f1") if isinstance(d, dict) else None

    rows: list[tuple[str, list[Any]]] = [
        ("status", [r.record.status for r in runs]),
        ("test accuracy", [pct(r.metrics.get("accuracy")) for r in runs]),
        ("test loss", [r.metrics.get("loss") for r in runs]),
        ("macro F1", [avg(r, "macro") for r in runs]),
        ("weighted F1", [avg(r, "weighted") for r in runs]),
        ("best validation accuracy", [pct(r.record.best_val_accuracy) for r in runs]),
        ("best validation loss", [r.record.best_val_loss for r in runs]),
        ("best epoch", [r.record.best_epoch for r in runs]),
        ("epochs", [r.record.epochs_done for r in runs]),
        ("parameters", [f"{r.record.params:,}" if r.record.params is not None else None
                        for r in runs]),
        ("training time", [duration(r.record.seconds) for r in runs])]
    return side_by_side(runs, rows, highlight=False)


def diffs(runs: list[RunData]) -> str:
    first, names = runs[0], labels(runs)
    out = []
    for run, label in zip(runs[1:], names[1:], strict=True):
        if first.graph is None or run.graph is None:
            text = "a project file could not be read: no diff"
        else:
            text = diff_graphs(first.graph, run.graph).text(names[0], label)
        out.append(f'<h3>{esc(names[0])} \u2192 {esc(label)}</h3><pre class="diff">'
                   f"{esc(text)}</pre>")
    return "".join(out)


def comparison(runs: list[RunData]) -> str:
    parts = [("overview", "Runs", overview(runs)), ("curves", "Curves", curves(runs)),
             ("settings", "Settings", settings(runs)), ("metrics", "Metrics", metrics(runs)),
             ("diff", "Architecture diff", diffs(runs))]
    return "\n".join(section(i, t, b) for i, t, b in parts)
