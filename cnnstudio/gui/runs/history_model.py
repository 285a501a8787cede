"""The run history as a Qt table: one row per ``RunRecord``, sorted and filtered by a proxy.

``RunsModel`` holds the records of one runs folder (``cnnstudio.runs.list_runs``); its name
cell is editable and a new name (like ``set_notes``) is written at once with
``set_name_and_notes`` into the run's ``run.json``; a write that fails emits ``writeFailed``
and changes nothing shown. ``RunsProxy`` sorts every column by its value (numbers as numbers,
times as times) with empty cells last in either order, and shows only the runs of one design
(``project``) unless that is None.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from cnnstudio.gui.training.runs import duration
from cnnstudio.runs import RunRecord
from cnnstudio.runs.user import set_name_and_notes

SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # the value a column sorts by (None: empty)
PATH_ROLE = Qt.ItemDataRole.UserRole + 2  # the run folder (any column)

Index = QModelIndex | QPersistentModelIndex
Value = float | str | None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _fixed(value: Any) -> str:
    number = _number(value)
    return "" if number is None else f"{number:.4f}"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _started(r: RunRecord) -> str:
    number = _number(r.started)
    return "" if number is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(number))


def _epochs(r: RunRecord) -> str:
    planned = _number(r.epochs_planned)
    return f"{r.epochs_done}" if planned is None else f"{r.epochs_done}/{int(planned)}"


def _status_tip(r: RunRecord) -> str:
    return r.message or r.status


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[RunRecord], str]
    key: Callable[[RunRecord], Value]
    tip: Callable[[RunRecord], str] | None = None


COLUMNS: tuple[Column, ...] = (
    Column("Name", lambda r: r.name, lambda r: r.name.casefold(), lambda r: r.path),
    Column("Started", _started, lambda r: _number(r.started)),
    Column("Status", lambda r: r.status, lambda r: r.status, _status_tip),
    Column("Project", lambda r: r.project, lambda r: r.project.casefold() or None),
    Column("Dataset", lambda r: Path(r.dataset).name if r.dataset else "",
           lambda r: r.dataset.casefold() or None, lambda r: r.dataset),
    Column("Architecture", lambda r: r.architecture, lambda r: r.architecture or None,
           lambda r: "" if r.params is None else f"{r.params:,} parameters"),
    Column("Optimizer", lambda r: _text(r.settings.get("optimizer")),
           lambda r: _text(r.settings.get("optimizer")) or None),
    Column("LR", lambda r: "" if _number(r.settings.get("lr")) is None
           else f"{r.settings['lr']:g}", lambda r: _number(r.settings.get("lr"))),
    Column("Batch", lambda r: _text(r.settings.get("batch_size")),
           lambda r: _number(r.settings.get("batch_size"))),
    Column("Epochs", _epochs, lambda r: float(r.epochs_done),
           lambda r: "" if r.best_epoch is None else f"best epoch {r.best_epoch}"),
    Column("Best val acc", lambda r: _fixed(r.best_val_accuracy),
           lambda r: _number(r.best_val_accuracy)),
    Column("Test acc", lambda r: _fixed(r.test_accuracy), lambda r: _number(r.test_accuracy)),
    Column("Macro F1", lambda r: _fixed(r.test_macro_f1), lambda r: _number(r.test_macro_f1)),
    Column("Duration", lambda r: duration(r.seconds) if r.seconds else "",
           lambda r: _number(r.seconds) or None),
)
TITLES = tuple(c.title for c in COLUMNS)
NAME = TITLES.index("Name")


class RunsModel(QAbstractTableModel):
    """The records of one runs folder; the name cell edits the run's name."""

    writeFailed = Signal(str)  # the message of a name or notes write that failed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.records: list[RunRecord] = []

    def set_records(self, records: list[RunRecord]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record, column = self.records[index.row()], COLUMNS[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return column.text(record)
        if role == Qt.ItemDataRole.ToolTipRole and column.tip is not None:
            return column.tip(record) or None
        if role == SORT_ROLE:
            return column.key(record)
        if role == PATH_ROLE:
            return record.path
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsEditable if index.column() == NAME else flags

    def setData(self, index: Index, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != NAME or role != Qt.ItemDataRole.EditRole:
            return False
        name = str(value).strip()
        if name == self.records[index.row()].name:
            return False
        return self._write(index.row(), name=name)

    def set_notes(self, row: int, notes: str) -> bool:
        """Write the run's notes (False, and ``writeFailed``, when that fails)."""
        return self._write(row, notes=notes)

    def _write(self, row: int, name: str | None = None, notes: str | None = None) -> bool:
        record = self.records[row]
        try:
            set_name_and_notes(record.path, name=name, notes=notes)
        except OSError as exc:
            what = "name" if name is not None else "notes"
            self.writeFailed.emit(f"Could not save the run's {what} in "
                                  f"{Path(record.path) / 'run.json'}:\n\n{exc}")
            return False
        if name is not None:
            record.name = name or Path(record.path).name  # "" clears: the folder's name
        if notes is not None:
            record.notes = notes
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        return True

    def row_of(self, path: str) -> int:
        return next((i for i, r in enumerate(self.records) if r.path == path), -1)


class RunsProxy(QSortFilterProxyModel):
    """Sorts by ``SORT_ROLE`` (empty cells last in both orders); keeps one design's runs."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: str | None = None

    def set_project(self, project: str | None) -> None:
        """Show only the runs of the design named ``project`` (None: every run)."""
        self.beginFilterChange()
        self.project = project
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if self.project is None or not isinstance(model, RunsModel):
            return True
        return model.records[source_row].project == self.project

    def lessThan(self, left: Index, right: Index) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a is None or b is None:
            # empty is the largest value ascending and the smallest descending: always last
            empty_is_less = self.sortOrder() == Qt.SortOrder.DescendingOrder
            return a is not b and (a is None) == empty_is_less
        if isinstance(a, str) or isinstance(b, str):
            return str(a) < str(b)
        return bool(a < b)
