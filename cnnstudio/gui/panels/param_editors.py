"""Editors generated from a ``ParamSpec``: one widget per parameter type.

int -> QSpinBox with the declared range, float -> a QDoubleSpinBox that shows small values
in full (1e-05), bool -> QCheckBox, choice -> QComboBox, pair -> two spin boxes (height,
width), padding -> a combo valid / same / explicit plus two spin boxes, pad4 -> four spin
boxes (top, bottom, left, right). Each editor emits ``changed(value)`` with a value the
core's ``ParamSpec.coerce`` accepts, and ``set_value`` updates it without emitting.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QSpinBox,
    QWidget,
)

from cnnstudio.core.layers import ParamSpec

INT_LIMIT = 2**31 - 1


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that prints values with ``%g`` (0.5, 1e-05), not fixed decimals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(12)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        try:
            v = float(text)
        except ValueError:
            return (QValidator.State.Intermediate, text, pos)
        ok = self.minimum() <= v <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate, text, pos)


def _spin(spec: ParamSpec, parent: QWidget) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(int(spec.min) if spec.min is not None else -INT_LIMIT,
                 int(min(spec.max, INT_LIMIT)) if spec.max is not None else INT_LIMIT)
    box.setKeyboardTracking(False)
    box.setToolTip(spec.help)
    return box


class ParamEditor(QObject):
    changed = Signal(object)

    def __init__(self, spec: ParamSpec, parent: QWidget) -> None:
        super().__init__(parent)
        self.spec = spec
        self.widget = QWidget(parent)
        self.widget.setToolTip(spec.help)
        self.spins: list[QSpinBox] = []
        self.box: QWidget | None = None
        self.combo: QComboBox | None = None
        layout = QHBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        t = spec.type
        if t == "int":
            self.spins = [_spin(spec, self.widget)]
        elif t == "float":
            box = FloatSpinBox(self.widget)
            lo = spec.min if spec.min is not None else -1e12
            hi = spec.max if spec.max is not None else 1e12
            box.setRange(lo, hi)
            d = abs(float(spec.default))
            box.setSingleStep(10 ** math.floor(math.log10(d)) if d > 0 else 0.1)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda v: self.changed.emit(float(v)))
            self.box = box
            layout.addWidget(box)
        elif t == "bool":
            box = QCheckBox(self.widget)
            box.toggled.connect(lambda v: self.changed.emit(bool(v)))
            self.box = box
            layout.addWidget(box)
        elif t == "choice":
            combo = QComboBox(self.widget)
            combo.addItems(list(spec.choices))
            combo.currentTextChanged.connect(lambda v: self.changed.emit(v))
            self.combo = combo
            layout.addWidget(combo)
        elif t == "pair":
            self.spins = [_spin(spec, self.widget) for _ in range(2)]
        elif t == "padding":
            combo = QComboBox(self.widget)
            combo.addItems(["valid", "same", "explicit"])
            combo.currentTextChanged.connect(self._emit)
            self.combo = combo
            layout.addWidget(combo)
            self.spins = [_spin(spec, self.widget) for _ in range(2)]
        elif t == "pad4":
            self.spins = [_spin(spec, self.widget) for _ in range(4)]
        for spin in self.spins:
            layout.addWidget(spin, 1)
            spin.valueChanged.connect(self._emit)
        if t == "pair":
            self.spins[0].setPrefix("h ")
            self.spins[1].setPrefix("w ")
        elif t == "pad4":
            for spin, label in zip(self.spins, ("t ", "b ", "l ", "r "), strict=True):
                spin.setPrefix(label)

    def value(self) -> Any:
        t = self.spec.type
        if t == "int":
            return self.spins[0].value()
        if t == "float" and isinstance(self.box, QDoubleSpinBox):
            return float(self.box.value())
        if t == "bool" and isinstance(self.box, QCheckBox):
            return self.box.isChecked()
        if t == "choice" and self.combo is not None:
            return self.combo.currentText()
        if t == "padding" and self.combo is not None and self.combo.currentText() != "explicit":
            return self.combo.currentText()
        return tuple(s.value() for s in self.spins)

    def _emit(self, *_: object) -> None:
        if self.spec.type == "padding" and self.combo is not None:
            explicit = self.combo.currentText() == "explicit"
            for spin in self.spins:
                spin.setEnabled(explicit)
        self.changed.emit(self.value())

    def set_value(self, value: Any) -> None:
        widgets: list[QObject] = [*self.spins]
        for w in (self.box, self.combo):
            if w is not None:
                widgets.append(w)
        blocked = [w.blockSignals(True) for w in widgets]
        try:
            t = self.spec.type
            if t == "int":
                self.spins[0].setValue(int(value))
            elif t == "float" and isinstance(self.box, QDoubleSpinBox):
                self.box.setValue(float(value))
            elif t == "bool" and isinstance(self.box, QCheckBox):
                self.box.setChecked(bool(value))
            elif t == "choice" and self.combo is not None:
                self.combo.setCurrentText(str(value))
            elif t == "padding" and self.combo is not None:
                explicit = not isinstance(value, str)
                self.combo.setCurrentText(value if isinstance(value, str) else "explicit")
                for spin, v in zip(self.spins, value if explicit else (0, 0), strict=True):
                    spin.setValue(int(v))
                    spin.setEnabled(explicit)
            else:
                for spin, v in zip(self.spins, value, strict=True):
                    spin.setValue(int(v))
        finally:
            for w, b in zip(widgets, blocked, strict=True):
                w.blockSignals(b)
