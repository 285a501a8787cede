"""The training form's editors, one per declared option (cnnstudio.training.options).

``make_field(option)`` builds the editor of an option's kind with the declaration's range
(spin boxes; a typed number for a float spanning orders of magnitude such as the learning
rate), choices and help (as tooltip); ``read_field`` returns its value or raises ValueError
naming the field; ``write_field`` sets it. ``DeviceCombo`` lists the devices of this machine
(training.device.available_devices): at once when torch is already loaded, else from the
report of the memory line's child process (``set_devices``), which opening the list asks
for (``wanted``): torch is never imported in the app's process for it. ``Section`` is a
collapsible group of rows.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.training.augment_spec import parse_augment
from cnnstudio.training.options import TrainOption

DECIMALS = 4  # of the float spin boxes; an open end sits one step inside


class DeviceCombo(QComboBox):
    """Device ids as item data, labels with the GPU's name and memory or the CPU's cores."""

    wanted = Signal()  # the list was opened before the devices were known

    def __init__(self, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filled = False
        self.addItem("auto (best available)", "auto")
        self.set_device(current)

    def fill(self) -> None:
        """List the devices there are (torch is loaded already)."""
        from cnnstudio.training.device import available_devices

        self.set_devices(available_devices())

    def set_devices(self, devices: list[tuple[str, str]] | list[list[str]]) -> None:
        """List ``(device, label)`` pairs after "auto", keeping the selection."""
        if self.filled:
            return
        current = self.device()
        self.clear()
        self.addItem("auto (best available)", "auto")
        for device, label in devices:
            self.addItem(label, device)
        self.filled = True
        self.set_device(current)

    def showPopup(self) -> None:  # noqa: N802 (Qt's name)
        if not self.filled:
            if "torch" in sys.modules:
                self.fill()
            else:  # found by a child process; the list fills in when it answers
                self.wanted.emit()
        super().showPopup()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        if not self.filled and "torch" in sys.modules:  # cheap now: list them at once
            self.fill()
        super().showEvent(event)

    def device(self) -> str:
        return str(self.currentData() or "auto")

    def devices(self) -> list[str]:
        return [str(self.itemData(i)) for i in range(self.count())]

    def set_device(self, name: str) -> None:
        """Select ``name``; one not listed (a setting from another machine) is added."""
        index = self.findData(name)
        if index < 0:
            self.addItem(f"{name} (not found here)" if self.filled else name, name)
            index = self.count() - 1
        self.setCurrentIndex(index)


def spin_range(option: TrainOption) -> tuple[float, float]:
    """The spin box's inclusive range: the declared one, an open end one step inside."""
    step = 1 if option.kind == "int" else 10.0 ** -DECIMALS
    return (option.low + step if option.low_open else option.low,
            option.high - step if option.high_open else option.high)


def make_field(option: TrainOption) -> QWidget:
    default = option.default
    field: QWidget
    if option.kind == "int":
        field = QSpinBox()
        low, high = spin_range(option)
        field.setRange(int(low), int(high))
        field.setValue(default)
    elif option.kind == "float" and not option.typed:
        field = QDoubleSpinBox()
        field.setDecimals(DECIMALS)
        field.setRange(*spin_range(option))
        field.setSingleStep(0.05 if option.high <= 1 else 1.0)
        field.setValue(default)
    elif option.kind == "bool":
        field = QCheckBox()
        field.setChecked(default)
    elif option.kind == "choice":
        field = QComboBox()
        field.addItems(list(option.choices))
        field.setCurrentText(default)
    elif option.kind == "device":
        field = DeviceCombo(default)
    elif option.kind == "text":  # a file, or node names
        field = QLineEdit("" if default == option.placeholder else default)
        field.setPlaceholderText(option.placeholder)
    else:  # a typed float, or the augmentation list
        field = QLineEdit(f"{default:g}" if option.kind == "float" else " ".join(default))
        if option.kind == "list":
            field.setPlaceholderText(f"none; {option.help}")
    span = f"; {option.span()}" if option.ranged else ""
    field.setToolTip(f"{option.help[:1].upper()}{option.help[1:]} ({option.flag}{span})")
    return field


def read_field(option: TrainOption, field: QWidget) -> Any:
    """The field's value; ValueError names the field and says what is allowed."""
    name = f"{option.label} ({option.flag})"
    value: Any
    if isinstance(field, DeviceCombo):
        return field.device()
    if isinstance(field, QSpinBox | QDoubleSpinBox):
        value = field.value()
        if isinstance(field, QDoubleSpinBox):
            value = round(value, DECIMALS)
    elif isinstance(field, QCheckBox):
        return field.isChecked()
    elif isinstance(field, QComboBox):
        return field.currentText()
    elif option.kind == "text":
        assert isinstance(field, QLineEdit)
        value = field.text().strip() or option.default
        why = option.problem(value)
        if why:
            raise ValueError(f"{name}: {why}")
        return value
    elif option.kind == "list":
        assert isinstance(field, QLineEdit)
        value = field.text().split()
        try:
            parse_augment(value)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        return value
    else:
        assert isinstance(field, QLineEdit)
        try:
            value = float(field.text())
        except ValueError:
            raise ValueError(f"{name} {field.text()!r} is not a number.") from None
    if not option.inside(value):
        raise ValueError(f"{name} must be in {option.span()}, got {value:g}.")
    return value


def raw_field(field: QWidget) -> Any:
    """What the field holds, checked or not (for the settings)."""
    if isinstance(field, DeviceCombo):
        return field.device()
    if isinstance(field, QSpinBox | QDoubleSpinBox):
        return field.value()
    if isinstance(field, QCheckBox):
        return field.isChecked()
    if isinstance(field, QComboBox):
        return field.currentText()
    assert isinstance(field, QLineEdit)
    return field.text()


def write_field(option: TrainOption, field: QWidget, value: Any) -> None:
    if isinstance(field, DeviceCombo):
        field.set_device(str(value))
    elif isinstance(field, QSpinBox):
        field.setValue(int(value))
    elif isinstance(field, QDoubleSpinBox):
        field.setValue(float(value))
    elif isinstance(field, QCheckBox):
        field.setChecked(bool(value))
    elif isinstance(field, QComboBox):
        if field.findText(str(value)) >= 0:
            field.setCurrentText(str(value))
    elif isinstance(field, QLineEdit):
        field.setText(" ".join(value) if isinstance(value, list) else str(value))


class Section(QWidget):
    """A titled group of form rows that folds away under its header."""

    def __init__(self, title: str, expanded: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QToolButton()
        self.header.setText(title)
        self.header.setCheckable(True)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setStyleSheet("QToolButton { border: none; font-weight: bold; }")
        self.body = QWidget()
        self.rows = QFormLayout(self.body)
        self.rows.setContentsMargins(12, 0, 0, 0)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.header)
        lay.addWidget(self.body)
        self.header.toggled.connect(self.expand)
        self.header.setChecked(expanded)
        self.expand(expanded)

    @Slot(bool)
    def expand(self, on: bool) -> None:
        self.header.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.body.setVisible(on)
