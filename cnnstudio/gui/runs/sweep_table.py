"""The results table of a sweep: one row per trial (trial, parameters, metric, state,
epochs), best first until the user sorts by a column; numbers sort as numbers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

from cnnstudio.sweeps.record import SweepRecord, ranked
from cnnstudio.sweeps.space import format_value


class _Item(QTableWidgetItem):
    """A read-only cell sorted by its key (numbers as numbers, a missing value last)."""

    def __init__(self, text: str, key: Any) -> None:
        super().__init__(text)
        self.key = key
        self.setFlags(self.flags() & ~Qt.ItemFlag.ItemIsEditable)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.key, getattr(other, "key", None)
        if type(mine) is type(theirs) or {type(mine), type(theirs)} <= {int, float}:
            return bool(mine < theirs)
        return str(mine) < str(theirs)


class SweepTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 0, parent)
        self.setSortingEnabled(True)
        self.verticalHeader().setVisible(False)

    def show_sweep(self, record: SweepRecord) -> None:
        names = [p.name for p in record.space]
        headers = ["trial", *names, record.metric, "state", "epochs"]
        self.setSortingEnabled(False)
        self.clear()
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        trials = ranked(record.trials, record.direction)
        self.setRowCount(len(trials))
        for row, t in enumerate(trials):
            value = t.value if t.value is not None else float("inf")
            cells = [_Item(t.folder, t.number)]
            cells += [_Item(format_value(t.params.get(n, "")), t.params.get(n, ""))
                      for n in names]
            cells += [_Item("-" if t.value is None else f"{t.value:.4f}", value),
                      _Item(t.state, t.state), _Item(str(t.epochs), t.epochs)]
            for column, cell in enumerate(cells):
                self.setItem(row, column, cell)
        # best first until the user sorts by a column (no sort indicator: no re-sorting)
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
