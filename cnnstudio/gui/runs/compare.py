"""Compare Runs: two or more run folders side by side.

``CompareView`` shows, for the runs given (the first is the reference):

- the loss, accuracy and learning-rate curves per epoch overlaid (pyqtgraph), one colour per
  run and a legend with the run names; loss and accuracy show the validation or the training
  figures (the "Curves" choice);
- the settings table (every training setting and the data, one column per run), the rows
  whose values differ highlighted and, when asked, shown alone;
- the metrics side by side: test accuracy, macro F1, best validation accuracy, epochs,
  duration (``cnnstudio.runs.read_run``'s figures);
- the architecture diff (``cnnstudio.core.diff``) from the first run to each other run.

``open_compare(parent, run_dirs)`` opens it in its own window; the run history's
``compareRequested(list[Path])`` and Train > Compare Runs... both end there.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.diff import ArchitectureDiff, diff_graphs
from cnnstudio.gui.runs.compare_data import (
    METRICS,
    MISSING,
    ComparedRun,
    curve,
    differing_settings,
    format_setting,
    load_compared,
    setting_names,
)
from cnnstudio.gui.training.runs import duration

#: one colour per run (matplotlib's tab10), repeated past ten runs
RUN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
               "#7f7f7f", "#bcbd22", "#17becf")
#: the background of a setting row whose values differ
DIFFER_COLOUR = "#ffe8a3"
VALUE_ROLE = Qt.ItemDataRole.UserRole + 1  # a metric cell's raw value
#: plot -> (title, history column for validation, for training)
PLOTS = {
    "loss": ("Loss", "val_loss", "train_loss"),
    "accuracy": ("Accuracy", "val_accuracy", "train_accuracy"),
    "lr": ("Learning rate", "lr", "lr"),
}


class CompareView(QWidget):
    """Curves, settings, metrics and architecture diffs of ``run_dirs`` (2 or more)."""

    def __init__(self, run_dirs: Sequence[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if len(run_dirs) < 2:
            raise ValueError("compare needs at least two runs")
        self.runs: list[ComparedRun] = [load_compared(p) for p in run_dirs]
        self.plots: dict[str, Any] = {}
        self.curves: dict[str, list[Any]] = {}
        self.differing = differing_settings(self.runs)
        self.diffs: list[ArchitectureDiff | None] = [
            diff_graphs(self.runs[0].graph, r.graph)
            if self.runs[0].graph is not None and r.graph is not None else None
            for r in self.runs[1:]]
        self.source = QComboBox()
        self.source.addItem("Validation", "val")
        self.source.addItem("Training", "train")
        self.source.setToolTip("The loss and accuracy shown: per epoch on the validation split, "
                               "or the training figures")
        self.source.currentIndexChanged.connect(self.update_curves)
        self.only_differing = QCheckBox("Only differences")
        self.only_differing.setToolTip("Show only the settings whose values differ")
        self.only_differing.toggled.connect(self._filter_settings)
        self.settings_table = QTableWidget()
        self.metrics_table = QTableWidget()
        self.diff_tree = QTreeWidget()
        self._build()

    def colour(self, index: int) -> str:
        return RUN_COLOURS[index % len(RUN_COLOURS)]

    # ------------------------------------------------------------ layout
    def _build(self) -> None:
        import pyqtgraph as pg  # type: ignore[import-untyped]

        plots = QWidget()
        row = QHBoxLayout(plots)
        row.setContentsMargins(0, 0, 0, 0)
        for key, (title, _val, _train) in PLOTS.items():
            plot = pg.PlotWidget(plots, title=title)
            plot.setBackground(None)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", "epoch")
            plot.addLegend(offset=(-10, 10))
            self.plots[key] = plot
            self.curves[key] = [
                plot.plot([], [], name=run.name, pen=pg.mkPen(self.colour(i), width=2),
                          symbol="o", symbolSize=5, symbolBrush=self.colour(i))
                for i, run in enumerate(self.runs)]
            row.addWidget(plot)
        self.plots["accuracy"].setYRange(0.0, 1.0, padding=0.02)
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        choice = QHBoxLayout()
        choice.addWidget(QLabel("Curves"))
        choice.addWidget(self.source)
        choice.addStretch(1)
        column.addLayout(choice)
        column.addWidget(plots, 1)
        tabs = QTabWidget()
        settings = QWidget()
        box = QVBoxLayout(settings)
        box.addWidget(self.only_differing)
        box.addWidget(self.settings_table)
        tabs.addTab(settings, "Settings")
        tabs.addTab(self.metrics_table, "Metrics")
        tabs.addTab(self.diff_tree, "Architecture diff")
        self.tabs = tabs
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.update_curves()
        self._fill_settings()
        self._fill_metrics()
        self._fill_diffs()

    def _headers(self, table: QTableWidget, rows: list[str]) -> None:
        table.setColumnCount(len(self.runs))
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels([r.name for r in self.runs])
        table.setVerticalHeaderLabels(rows)
        for i, run in enumerate(self.runs):
            header = table.horizontalHeaderItem(i)
            header.setForeground(QBrush(QColor(self.colour(i))))
            header.setToolTip(str(run.path))
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

    # ------------------------------------------------------------ contents
    def update_curves(self) -> None:
        """Show each run's curves from its history (validation or training figures)."""
        validation = self.source.currentData() != "train"
        for key, (_title, val_key, train_key) in PLOTS.items():
            column = val_key if validation else train_key
            for run, item in zip(self.runs, self.curves[key], strict=True):
                xs, ys = curve(run.history, column)
                item.setData(xs, ys)

    def _fill_settings(self) -> None:
        names = setting_names(self.runs)
        table = self.settings_table
        self._headers(table, names)
        bold = QFont()
        bold.setBold(True)
        for r, name in enumerate(names):
            differs = name in self.differing
            for c, run in enumerate(self.runs):
                value = run.settings.get(name, MISSING)
                item = QTableWidgetItem(format_setting(value))
                item.setToolTip(f"{name} = {format_setting(value) or '(not set)'}")
                if differs:
                    item.setBackground(QColor(DIFFER_COLOUR))
                    item.setForeground(QColor("#1d2330"))
                    item.setFont(bold)
                table.setItem(r, c, item)
            if differs:
                table.verticalHeaderItem(r).setFont(bold)
        table.resizeColumnsToContents()

    def _filter_settings(self, only: bool) -> None:
        for r in range(self.settings_table.rowCount()):
            name = self.settings_table.verticalHeaderItem(r).text()
            self.settings_table.setRowHidden(r, only and name not in self.differing)

    def _fill_metrics(self) -> None:
        table = self.metrics_table
        self._headers(table, list(METRICS))
        for r, attr in enumerate(METRICS.values()):
            for c, run in enumerate(self.runs):
                value = getattr(run.record, attr)
                item = QTableWidgetItem(_metric_text(attr, value))
                item.setData(VALUE_ROLE, value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(r, c, item)
        table.resizeColumnsToContents()

    def _fill_diffs(self) -> None:
        tree = self.diff_tree
        tree.setHeaderLabels(["Change", "Details"])
        first = self.runs[0].name
        for run, diff in zip(self.runs[1:], self.diffs, strict=True):
            top = QTreeWidgetItem([f"{first} -> {run.name}"])
            tree.addTopLevelItem(top)
            if diff is None:
                top.setText(1, "a design could not be read (project.cnnproj)")
                continue
            top.setText(1, "no architecture changes" if diff.is_empty else
                        f"{len(diff.added)} added, {len(diff.removed)} removed, "
                        f"{len(diff.changed)} changed; params {diff.params_delta:+,}, "
                        f"mult-adds {diff.mult_adds_delta:+,}")
            top.setToolTip(1, diff.text(first, run.name))
            for ref in diff.added:
                QTreeWidgetItem(top, [f"+ {ref.label()}", f"{ref.params:,} params"])
            for ref in diff.removed:
                QTreeWidgetItem(top, [f"- {ref.label()}", f"{ref.params:,} params"])
            for change in diff.changed:
                QTreeWidgetItem(top, [f"~ {change.new.label()}", change.text()])
            top.setExpanded(True)
        tree.resizeColumnToContents(0)

    def diff_lines(self, index: int = 0) -> list[str]:
        """The rows under the ``index``-th diff (first run -> run ``index + 1``) as text."""
        top = self.diff_tree.topLevelItem(index)
        return [f"{top.child(i).text(0)}: {top.child(i).text(1)}"
                for i in range(top.childCount())]


def _metric_text(attr: str, value: Any) -> str:
    if value is None:
        return "-"
    if attr == "seconds":
        return duration(float(value))
    if attr == "epochs_done":
        return str(value)
    return f"{float(value):.2%}" if attr != "test_macro_f1" else f"{float(value):.4f}"


class CompareWindow(QDialog):
    """A window holding one ``CompareView`` (closing it deletes it)."""

    def __init__(self, run_dirs: Sequence[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare Runs ({len(run_dirs)})")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.view = CompareView([Path(p) for p in run_dirs], self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view)
        self.resize(1100, 720)


def open_compare(parent: QWidget | None, run_dirs: Sequence[Path]) -> CompareWindow:
    """Open a Compare Runs window on ``run_dirs`` (2 or more run folders) and return it."""
    window = CompareWindow(run_dirs, parent)
    window.show()
    return window
