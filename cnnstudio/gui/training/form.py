"""The settings form of the training dock: dataset, data root, the main ``TrainConfig`` fields,
and the folder that receives one sub-folder per run.

``TrainForm.read()`` returns ``(source, data_root, config)`` and raises ``ValueError`` with a
readable message for a bad value; ``config.validate()`` has the last word. The form knows
nothing about threads or the engine. Built-in dataset names come from
``cnnstudio.training.config.BUILTIN_NAMES`` (torch-free).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QSpinBox,
    QToolButton,
    QWidget,
)

from cnnstudio.training.config import BUILTIN_NAMES, DEVICES, OPTIMIZERS, SCHEDULERS, TrainConfig

DEFAULT_RUNS = Path.home() / "CNNStudio" / "runs"


def builtin_dataset_names() -> tuple[str, ...]:
    """The engine's dataset names, the bundled ``mnist-sample`` first."""
    return tuple(sorted(BUILTIN_NAMES, key=lambda n: n != "mnist-sample"))


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        lay.addWidget(w, 1 if isinstance(w, (QLineEdit, QComboBox)) else 0)
    return box


def _combo(items: tuple[str, ...], current: str) -> QComboBox:
    combo = QComboBox()
    combo.addItems(list(items))
    combo.setCurrentText(current)
    return combo


class TrainForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        d = TrainConfig()
        self.dataset = QComboBox()
        self.dataset.setEditable(True)
        self.dataset.addItems(list(builtin_dataset_names()))
        self.dataset.setToolTip("A built-in name, an image folder (root/<class>/<image>), a "
                                "folder of IDX files, or an .npz file with x and y")
        browse = QToolButton()
        browse.setText("...")
        browse.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(browse)
        menu.addAction("Image or IDX folder...", self.choose_folder)
        menu.addAction("NumPy .npz file...", self.choose_npz)
        browse.setMenu(menu)
        self.data_root = QLineEdit()
        self.data_root.setPlaceholderText("default: $CNNSTUDIO_DATA or ~/.cache/cnnstudio/data")
        self.data_root.setToolTip("Folder holding the files of mnist, fashion-mnist or cifar10")
        root_button = QToolButton()
        root_button.setText("...")
        root_button.clicked.connect(self.choose_root)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100_000)
        self.epochs.setValue(d.epochs)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 65_536)
        self.batch_size.setValue(d.batch_size)
        self.lr = QLineEdit(f"{d.lr:g}")
        self.lr.setToolTip("Learning rate, e.g. 0.001 or 1e-3")
        self.optimizer = _combo(OPTIMIZERS, d.optimizer)
        self.scheduler = _combo(SCHEDULERS, d.scheduler)
        self.augment = QLineEdit(" ".join(d.augment))
        self.augment.setPlaceholderText("none; e.g. crop:4 hflip rotate:10")
        self.device = _combo(DEVICES, d.device)
        self.device.setToolTip("auto: CUDA, then Apple MPS, then the CPU")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(d.seed)
        self.val_split = QDoubleSpinBox()
        self.val_split.setRange(0.0, 0.9)
        self.val_split.setSingleStep(0.05)
        self.val_split.setValue(d.val_split)
        self.runs_folder = QLineEdit(str(DEFAULT_RUNS))
        self.runs_folder.setToolTip("Each run writes a new sub-folder here: the project, "
                                    "checkpoints, history and metrics")
        runs_button = QToolButton()
        runs_button.setText("...")
        runs_button.clicked.connect(self.choose_runs_folder)
        form = QFormLayout(self)
        form.addRow("Dataset", _row(self.dataset, browse))
        form.addRow("Data root", _row(self.data_root, root_button))
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Learning rate", self.lr)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Scheduler", self.scheduler)
        form.addRow("Augmentation", self.augment)
        form.addRow("Device", self.device)
        form.addRow("Seed", self.seed)
        form.addRow("Validation split", self.val_split)
        form.addRow("Runs folder", _row(self.runs_folder, runs_button))

    # ------------------------------------------------------------ choosers
    @Slot()
    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Dataset folder")
        if path:
            self.dataset.setCurrentText(path)

    @Slot()
    def choose_npz(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Dataset file", "", "NumPy arrays (*.npz)")
        if path:
            self.dataset.setCurrentText(path)

    @Slot()
    def choose_root(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Data root")
        if path:
            self.data_root.setText(path)

    @Slot()
    def choose_runs_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Runs folder")
        if path:
            self.runs_folder.setText(path)

    # ------------------------------------------------------------ values
    def read(self) -> tuple[str, str | None, TrainConfig]:
        """(dataset source, data root or None, config); ValueError names a bad field."""
        source = self.dataset.currentText().strip()
        if not source:
            raise ValueError("Choose a dataset: a built-in name, a folder or an .npz file.")
        try:
            lr = float(self.lr.text())
        except ValueError:
            raise ValueError(f"Learning rate {self.lr.text()!r} is not a number.") from None
        config = TrainConfig(
            epochs=self.epochs.value(), batch_size=self.batch_size.value(), lr=lr,
            optimizer=self.optimizer.currentText(), scheduler=self.scheduler.currentText(),
            augment=self.augment.text().split(), device=self.device.currentText(),
            seed=self.seed.value(), val_split=round(self.val_split.value(), 4),
            leave_core_for_gui=True, num_workers=0, log_every=5)
        config.validate()
        root = self.data_root.text().strip() or None
        return source, root, config

    # ------------------------------------------------------------ settings
    def save(self, settings: QSettings) -> None:
        """Remember the form (under ``training/``) for the next session."""
        values = {"dataset": self.dataset.currentText(), "data_root": self.data_root.text(),
                  "runs_folder": self.runs_folder.text(), "epochs": self.epochs.value(),
                  "batch_size": self.batch_size.value(), "lr": self.lr.text(),
                  "optimizer": self.optimizer.currentText(),
                  "scheduler": self.scheduler.currentText(), "augment": self.augment.text(),
                  "device": self.device.currentText(), "seed": self.seed.value(),
                  "val_split": self.val_split.value()}
        for key, value in values.items():
            settings.setValue(f"training/{key}", value)

    def restore(self, settings: QSettings) -> None:
        """Fill the form from ``save``'s keys (missing keys keep the defaults)."""
        def text(key: str, default: str) -> str:
            return str(settings.value(f"training/{key}", default, type=str))

        self.dataset.setCurrentText(text("dataset", self.dataset.currentText()))
        self.data_root.setText(text("data_root", self.data_root.text()))
        self.runs_folder.setText(text("runs_folder", self.runs_folder.text()))
        self.lr.setText(text("lr", self.lr.text()))
        self.augment.setText(text("augment", self.augment.text()))
        for combo, key in ((self.optimizer, "optimizer"), (self.scheduler, "scheduler"),
                           (self.device, "device")):
            value = text(key, combo.currentText())
            if combo.findText(value) >= 0:
                combo.setCurrentText(value)
        for spin, key in ((self.epochs, "epochs"), (self.batch_size, "batch_size"),
                          (self.seed, "seed")):
            spin.setValue(int(settings.value(f"training/{key}", spin.value(), type=int)))
        self.val_split.setValue(float(settings.value("training/val_split",
                                                     self.val_split.value(), type=float)))

    def runs_dir(self) -> Path:
        text = self.runs_folder.text().strip()
        if not text:
            raise ValueError("Choose a runs folder.")
        return Path(text).expanduser()
