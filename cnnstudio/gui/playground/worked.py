"""The worked example: a small crop of the input, the kernel and the output cells it gives,
as number grids, with each cell's arithmetic (``1×0 + 2×1 + ... = 7``).

``show_cells(cells, kernel, op_text)`` takes the output cells (rows of ``conv_arith.Cell``,
each knowing its input terms); the input grid is the crop those terms cover, padding shown
greyed. Hovering or clicking an output cell selects it: its window is highlighted on the
input grid, its formula is written below, and ``cellChosen(row, col)`` gives the cell in
output coordinates. Every cell's formula is also its tooltip and a line of the list below.
For a filter over several input channels the grids show one ``channel`` (its input crop and
its kernel slice) and each formula adds the channels' sums (``names``: R, G, B).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.conv_arith import Cell, fmt

HIGHLIGHT = QBrush(QColor("#ffcc80"))
CHOSEN = QBrush(QColor("#ff9800"))
PADDING = QBrush(QColor("#e0e0e0"))


def _table(parent: QWidget) -> QTableWidget:
    table = QTableWidget(parent)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setDefaultSectionSize(44)
    table.verticalHeader().setDefaultSectionSize(24)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    return table


class WorkedExample(QWidget):
    cellChosen = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cells: list[list[Cell]] = []
        self.origin = (0, 0)  # the crop's top-left input position (negative in padding)
        self.chosen: tuple[int, int] | None = None
        self.channel: int | None = None  # the input channel the grids show (None: every term)
        self.names: Sequence[str] | None = None
        self.caption = QLabel(self)
        self.input_table, self.kernel_table = _table(self), _table(self)
        self.output_table = _table(self)
        self.output_table.setMouseTracking(True)
        self.output_table.cellEntered.connect(self.choose)
        self.output_table.cellClicked.connect(self.choose)
        self.op_label, self.equals = QLabel("*", self), QLabel("=", self)
        self.formula = QLabel(self)
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.formula.setFont(mono)
        self.all_cells = QPlainTextEdit(self)
        self.all_cells.setReadOnly(True)
        self.all_cells.setFont(mono)
        self.all_cells.setMaximumHeight(110)
        grids = QHBoxLayout()
        for w in (self.input_table, self.op_label, self.kernel_table, self.equals,
                  self.output_table):
            grids.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addWidget(self.caption)
        lay.addLayout(grids, 1)
        lay.addWidget(self.formula)
        lay.addWidget(self.all_cells)

    def show_cells(self, cells: list[list[Cell]], kernel: np.ndarray | None,
                   op_text: str, caption: str, channel: int | None = None,
                   names: Sequence[str] | None = None) -> None:
        """Show output ``cells`` (rows), their input crop and ``kernel`` (None: a pool); with
        ``channel``, the crop of that input channel (``kernel`` is then its slice)."""
        self.cells, self.chosen, self.channel, self.names = cells, None, channel, names
        self.caption.setText(caption)
        self.op_label.setText(op_text)
        terms = [t for row in cells for cell in row for t in cell.terms
                 if channel is None or t.channel == channel]
        if not terms:
            for table in (self.input_table, self.kernel_table, self.output_table):
                table.setRowCount(0)
            self.formula.clear()
            self.all_cells.clear()
            return
        rows = [t.row for t in terms]
        cols = [t.col for t in terms]
        self.origin = (min(rows), min(cols))
        crop: dict[tuple[int, int], tuple[float, bool]] = {
            (t.row, t.col): (t.value, t.padding) for t in terms}
        self.input_table.setRowCount(max(rows) - self.origin[0] + 1)
        self.input_table.setColumnCount(max(cols) - self.origin[1] + 1)
        for r in range(self.input_table.rowCount()):
            for c in range(self.input_table.columnCount()):
                value, pad = crop.get((r + self.origin[0], c + self.origin[1]), (None, False))
                item = QTableWidgetItem("" if value is None else fmt(value))
                if pad:
                    item.setBackground(PADDING)
                    item.setToolTip("padding")
                self.input_table.setItem(r, c, item)
        self._headers(self.input_table, *self.origin)
        self.kernel_table.setVisible(kernel is not None)
        if kernel is not None:
            self._fill(self.kernel_table, [[fmt(float(v)) for v in row] for row in kernel])
        self._fill(self.output_table, [[fmt(cell.value) for cell in row] for row in cells])
        self._headers(self.output_table, cells[0][0].row, cells[0][0].col)
        lines = []
        for i, row in enumerate(cells):
            for j, cell in enumerate(row):
                text = f"out[{cell.row}, {cell.col}] = {cell.text(names)}"
                self.output_table.item(i, j).setToolTip(text)
                lines.append(text)
        self.all_cells.setPlainText("\n".join(lines))
        self.choose(0, 0)

    @staticmethod
    def _fill(table: QTableWidget, texts: list[list[str]]) -> None:
        table.setRowCount(len(texts))
        table.setColumnCount(len(texts[0]) if texts else 0)
        for r, row in enumerate(texts):
            for c, text in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(text))
        table.resizeColumnsToContents()

    @staticmethod
    def _headers(table: QTableWidget, row: int, col: int) -> None:
        """Number the rows and columns with their positions in the whole map."""
        table.setVerticalHeaderLabels([str(row + r) for r in range(table.rowCount())])
        table.setHorizontalHeaderLabels([str(col + c) for c in range(table.columnCount())])
        table.resizeColumnsToContents()

    def input_value(self, row: int, col: int) -> str:
        """The text of the input grid at input position (row, col)."""
        item = self.input_table.item(row - self.origin[0], col - self.origin[1])
        return item.text() if item is not None else ""

    @Slot(int, int)
    def choose(self, i: int, j: int) -> None:
        """Select output cell (i, j) of the grid: highlight its window, write its formula."""
        if not (0 <= i < len(self.cells) and 0 <= j < len(self.cells[i])):
            return
        if self.chosen is not None:
            old = self.output_table.item(*self.chosen)
            if old is not None:
                old.setBackground(QBrush())
        self.chosen = (i, j)
        cell = self.cells[i][j]
        window = {(t.row, t.col) for t in cell.terms
                  if self.channel is None or t.channel == self.channel}
        for r in range(self.input_table.rowCount()):
            for c in range(self.input_table.columnCount()):
                item = self.input_table.item(r, c)
                pos = (r + self.origin[0], c + self.origin[1])
                item.setBackground(HIGHLIGHT if pos in window else
                                   PADDING if item.toolTip() == "padding" else QBrush())
        self.output_table.item(i, j).setBackground(CHOSEN)
        self.formula.setText(f"out[{cell.row}, {cell.col}] = {cell.text(self.names)}")
        self.cellChosen.emit(cell.row, cell.col)
