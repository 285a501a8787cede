"""The results tab: test metrics of a finished run and its confusion matrix.

``ResultsView.show_metrics`` takes the dict of ``cnnstudio.training.metrics`` (accuracy,
per-class precision/recall/F1/support, macro and weighted averages, confusion matrix with
rows = true class and columns = predicted class) as the engine returns it, so it works for
a run just finished and for ``metrics.json`` read from an older run folder.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

METRIC_COLUMNS = ("Class", "Precision", "Recall", "F1", "Support")


def _item(text: str, align_right: bool = True) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def heat_colour(fraction: float, diagonal: bool) -> QColor:
    """White to blue on the diagonal (correct), white to red elsewhere (mistakes)."""
    f = min(max(fraction, 0.0), 1.0)
    if diagonal:
        return QColor(int(255 - 200 * f), int(255 - 140 * f), 255)
    return QColor(255, int(255 - 190 * f), int(255 - 190 * f))


class ResultsView(QWidget):
    """Summary line, per-class table with averages, and a confusion-matrix heat map."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metrics: dict[str, Any] | None = None
        self.summary = QLabel("No results yet: train a model to see its test metrics.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(METRIC_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(METRIC_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.confusion = QTableWidget(0, 0)
        self.confusion.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.confusion.setToolTip("Rows: true class; columns: predicted class")
        self.confusion.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Confusion matrix (rows: true class, columns: predicted)"))
        lay.addWidget(self.confusion)
        split.addWidget(box)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)

    def clear(self) -> None:
        self.metrics = None
        self.summary.setText("No results yet: train a model to see its test metrics.")
        self.table.setRowCount(0)
        self.confusion.setRowCount(0)
        self.confusion.setColumnCount(0)

    def show_message(self, text: str) -> None:
        self.summary.setText(text)

    def show_metrics(self, metrics: dict[str, Any], title: str = "Test set") -> None:
        self.metrics = metrics
        macro, weighted = metrics["macro"], metrics["weighted"]
        loss = metrics.get("loss")
        self.summary.setText(
            f"<b>{title}</b>: accuracy <b>{metrics['accuracy']:.2%}</b> on "
            f"{metrics['samples']} samples"
            + (f", loss {loss:.4f}" if isinstance(loss, float) else "")
            + f"; macro F1 {macro['f1']:.3f}, weighted F1 {weighted['f1']:.3f}")
        self._fill_table(metrics)
        self._fill_confusion(metrics["confusion_matrix"], metrics["classes"])

    def _fill_table(self, m: dict[str, Any]) -> None:
        rows = [(r["class"], r["precision"], r["recall"], r["f1"], r["support"])
                for r in m["per_class"]]
        rows += [(f"{name} avg", m[name]["precision"], m[name]["recall"], m[name]["f1"],
                  m["samples"]) for name in ("macro", "weighted")]
        self.table.setRowCount(len(rows))
        for i, (name, p, r, f1, support) in enumerate(rows):
            cells = [_item(str(name), align_right=False)]
            cells += [_item(f"{value:.3f}") for value in (p, r, f1)]
            cells.append(_item(str(support)))
            for j, cell in enumerate(cells):
                if i >= len(m["per_class"]):  # the averages in bold
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
                self.table.setItem(i, j, cell)

    def _fill_confusion(self, matrix: list[list[int]], classes: list[str]) -> None:
        k = len(matrix)
        self.confusion.setRowCount(k)
        self.confusion.setColumnCount(k)
        self.confusion.setHorizontalHeaderLabels([str(c) for c in classes[:k]])
        self.confusion.setVerticalHeaderLabels([str(c) for c in classes[:k]])
        for i, row in enumerate(matrix):
            total = max(sum(row), 1)
            for j, count in enumerate(row):
                item = _item(str(count))
                item.setBackground(QBrush(heat_colour(count / total, i == j)))
                item.setForeground(QBrush(QColor("black")))
                item.setToolTip(f"true {classes[i]}, predicted {classes[j]}: {count} "
                                f"({count / total:.1%} of {classes[i]})")
                self.confusion.setItem(i, j, item)
