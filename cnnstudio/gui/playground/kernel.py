"""The kernel as editable numbers: a table, its size, a bias, and the preset kernels.

Every cell holds a number; a cell that does not read as one turns red, the message says
which, and the kernel keeps its last good value. ``changed`` fires after each accepted edit,
preset or size change.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from cnnstudio.core.conv_arith import fmt
from cnnstudio.gui.playground.sources import PRESETS

MAX_KERNEL = 11
BAD = QBrush(QColor("#f8d7da"))


class KernelEditor(QWidget):
    changed = Signal()
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values = np.array(PRESETS["Edge"], dtype=np.float64)
        self.bias_value = 0.0  # exact (the spin box shows it rounded)
        self.preset = QComboBox(self)
        self.preset.addItems(list(PRESETS))
        self.preset.setToolTip("Fill the kernel with a classic image-processing filter")
        self.preset.activated.connect(self._apply_preset)
        self.rows, self.cols = QSpinBox(self), QSpinBox(self)
        for spin in (self.rows, self.cols):
            spin.setRange(1, MAX_KERNEL)
            spin.setValue(3)
            spin.valueChanged.connect(self._resize)
        self.bias = QDoubleSpinBox(self)
        self.bias.setRange(-1e6, 1e6)
        self.bias.setDecimals(6)
        self.bias.setToolTip("Added to every output value (a Conv node's bias for this filter)")
        self.bias.valueChanged.connect(self._bias_edited)
        self.table = QTableWidget(self)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._edited)
        size = QHBoxLayout()
        size.addWidget(self.rows)
        size.addWidget(QLabel("x"))
        size.addWidget(self.cols)
        form = QFormLayout(self)
        form.addRow("Preset", self.preset)
        form.addRow("Size", size)
        form.addRow(self.table)
        form.addRow("Bias", self.bias)
        self._fill()

    def kernel(self) -> np.ndarray:
        """The (kh, kw) kernel as it stands."""
        return self.values.copy()

    def set_kernel(self, kernel: np.ndarray, bias: float = 0.0) -> None:
        """Show ``kernel`` (kh, kw) and ``bias``; one ``changed``."""
        self.values = np.array(kernel, dtype=np.float64)
        for spin, n in ((self.rows, self.values.shape[0]), (self.cols, self.values.shape[1])):
            spin.blockSignals(True)
            spin.setMaximum(max(MAX_KERNEL, n))
            spin.setValue(n)
            spin.blockSignals(False)
        self.bias_value = float(bias)
        self.bias.blockSignals(True)
        self.bias.setValue(self.bias_value)
        self.bias.blockSignals(False)
        self._fill()
        self.changed.emit()

    def use_preset(self, name: str) -> None:
        self.preset.setCurrentText(name)
        self._apply_preset(self.preset.currentIndex())

    @Slot(float)
    def _bias_edited(self, value: float) -> None:
        self.bias_value = value
        self.changed.emit()

    @Slot(int)
    def _apply_preset(self, index: int) -> None:
        self.set_kernel(np.array(PRESETS[self.preset.itemText(index)]), 0.0)

    @Slot()
    def _resize(self) -> None:
        old = self.values
        new = np.zeros((self.rows.value(), self.cols.value()))
        h, w = min(old.shape[0], new.shape[0]), min(old.shape[1], new.shape[1])
        new[:h, :w] = old[:h, :w]
        self.values = new
        self._fill()
        self.changed.emit()

    def _fill(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(self.values.shape[0])
        self.table.setColumnCount(self.values.shape[1])
        for r in range(self.values.shape[0]):
            for c in range(self.values.shape[1]):
                self.table.setItem(r, c, QTableWidgetItem(fmt(float(self.values[r, c]))))
        self.table.blockSignals(False)

    @Slot(QTableWidgetItem)
    def _edited(self, item: QTableWidgetItem) -> None:
        r, c = item.row(), item.column()
        try:
            value = float(item.text().strip())
            if not np.isfinite(value):
                raise ValueError
        except ValueError:
            self.table.blockSignals(True)
            item.setBackground(BAD)
            self.table.blockSignals(False)
            self.message.emit(f"Kernel row {r + 1}, column {c + 1}: {item.text()!r} is not a "
                              "number; the kernel keeps " + fmt(float(self.values[r, c])))
            return
        self.table.blockSignals(True)
        item.setBackground(QBrush())
        self.table.blockSignals(False)
        self.values[r, c] = value
        self.changed.emit()
