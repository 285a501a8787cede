"""How the window slides: the operation, stride, padding, dilation, activation, and the
pooling options, as a form; filled from a Conv or pooling node's parameters.

``values()`` gives a plain dict in the node's own terms (``padding`` is ``"valid"``,
``"same"`` or a (ph, pw) pair) for ``core.conv_arith``; ``changed`` fires on every edit.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QSpinBox,
    QWidget,
)

from cnnstudio.core.layers.spec import ACTIVATIONS

#: operation shown -> conv_arith's name
OPERATIONS = {"Convolution": "conv", "Max pooling": "max", "Average pooling": "avg",
              "Min pooling": "min"}
POOL_KINDS = {"MaxPool2d": "max", "AvgPool2d": "avg", "MinPool2d": "min"}
CONV_KINDS = ("Conv2d", "DepthwiseConv2d", "SeparableConv2d")
MAX_STEP = 16


def _pair(parent: QWidget, low: int, value: int, tip: str) -> tuple[QSpinBox, QSpinBox]:
    spins = QSpinBox(parent), QSpinBox(parent)
    for spin in spins:
        spin.setRange(low, MAX_STEP)
        spin.setValue(value)
        spin.setToolTip(tip)
    return spins


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w)
    return row


class SettingsForm(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.operation = QComboBox(self)
        self.operation.addItems(list(OPERATIONS))
        self.stride = _pair(self, 1, 1, "Step of the window (height, width)")
        self.padding = QComboBox(self)
        self.padding.addItems(["valid", "same", "pixels"])
        self.padding.setToolTip("'valid': none; 'same': keep size / stride (Keras); pixels: "
                                "that many on each side")
        self.pad = _pair(self, 0, 1, "Padding pixels on each side (height, width)")
        self.dilation = _pair(self, 1, 1, "Spacing between kernel taps (height, width)")
        self.activation = QComboBox(self)
        self.activation.addItems(list(ACTIVATIONS))
        self.ceil_mode = QCheckBox("ceil mode", self)
        self.ceil_mode.setToolTip("Round the output size up (keep a partial last window)")
        self.count_pad = QCheckBox("count padding in the mean", self)
        self.count_pad.setChecked(True)
        self.form = QFormLayout(self)
        self.form.addRow("Operation", self.operation)
        self.form.addRow("Stride", _row(*self.stride))
        self.form.addRow("Padding", _row(self.padding, *self.pad))
        self.form.addRow("Dilation", _row(*self.dilation))
        self.form.addRow("Activation", self.activation)
        self.form.addRow(self.ceil_mode)
        self.form.addRow(self.count_pad)
        for box in (self.operation, self.padding, self.activation):
            box.currentIndexChanged.connect(self._edited)
        for spin in (*self.stride, *self.pad, *self.dilation):
            spin.valueChanged.connect(self._edited)
        for check in (self.ceil_mode, self.count_pad):
            check.toggled.connect(self._edited)
        self._enable()

    @property
    def op(self) -> str:
        return OPERATIONS[self.operation.currentText()]

    def values(self) -> dict[str, Any]:
        mode = self.padding.currentText()
        padding: Any = mode if mode != "pixels" else (self.pad[0].value(), self.pad[1].value())
        return {"op": self.op, "stride": (self.stride[0].value(), self.stride[1].value()),
                "padding": padding,
                "dilation": (self.dilation[0].value(), self.dilation[1].value()),
                "activation": self.activation.currentText(),
                "ceil_mode": self.ceil_mode.isChecked(),
                "count_include_pad": self.count_pad.isChecked()}

    def set_from_node(self, kind: str, params: dict[str, Any]) -> None:
        """The node's operation and settings (one ``changed``)."""
        self.blockSignals(True)
        op = POOL_KINDS.get(kind, "conv")
        self.operation.setCurrentText(next(k for k, v in OPERATIONS.items() if v == op))
        for spins, value in ((self.stride, params.get("stride", (1, 1))),
                             (self.dilation, params.get("dilation", (1, 1)))):
            for spin, v in zip(spins, value, strict=True):
                spin.setMaximum(max(MAX_STEP, int(v)))
                spin.setValue(int(v))
        padding = params.get("padding", "valid")
        if padding in ("valid", "same"):
            self.padding.setCurrentText(padding)
        else:
            self.padding.setCurrentText("pixels")
            for spin, v in zip(self.pad, padding, strict=True):
                spin.setMaximum(max(MAX_STEP, int(v)))
                spin.setValue(int(v))
        self.activation.setCurrentText(params.get("activation", "none"))
        self.ceil_mode.setChecked(bool(params.get("ceil_mode", False)))
        self.count_pad.setChecked(bool(params.get("count_include_pad", True)))
        self.blockSignals(False)
        self._edited()

    def _edited(self, *_args: object) -> None:
        self._enable()
        self.changed.emit()

    def _enable(self) -> None:
        conv = self.op == "conv"
        pixels = self.padding.currentText() == "pixels"
        for spin in self.pad:
            spin.setEnabled(pixels)
        for spin in self.dilation:
            spin.setEnabled(conv)
        self.activation.setEnabled(conv)
        self.ceil_mode.setEnabled(not conv)
        self.count_pad.setEnabled(self.op == "avg")
