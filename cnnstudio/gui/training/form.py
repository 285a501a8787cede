"""The settings form of the training dock: dataset, data root, every declared training option
(cnnstudio.training.options, the same list ``cnnstudio train`` is built from) in a folding
section per group, and the folder that receives one sub-folder per run.

``TrainForm.read()`` returns ``(source, data_root, config)`` and raises ``ValueError`` with a
readable message naming the field; ``config.validate()`` has the last word. The form knows
nothing about the engine; its Download button fetches a built-in dataset in a ``CallWorker``
(``training.builtin.download_builtin``) and shows the progress or the failure beside it.
Built-in dataset names come from ``cnnstudio.training.config.BUILTIN_NAMES`` (torch-free).
Under the batch size, ``memory_line`` (``memory_line.py``) says what a training step at the
form's settings needs against the chosen device's memory.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.gui.training.fields import (
    Section,
    make_field,
    raw_field,
    read_field,
    write_field,
)
from cnnstudio.gui.training.memory_line import FOLLOWS, MemoryLine
from cnnstudio.gui.training.worker import SHUTDOWN_MS, CallWorker, Job
from cnnstudio.training.config import BUILTIN_NAMES, TrainConfig
from cnnstudio.training.options import BY_NAME, GROUPS, TRAIN_OPTIONS

DEFAULT_RUNS = Path.home() / "CNNStudio" / "runs"
DOWNLOADABLE = ("mnist", "fashion-mnist", "cifar10")
EXPANDED = ("Training",)  # the sections open at first


def builtin_dataset_names() -> tuple[str, ...]:
    """The engine's dataset names, the bundled ``mnist-sample`` first."""
    return tuple(sorted(BUILTIN_NAMES, key=lambda n: n != "mnist-sample"))


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        lay.addWidget(w, 1 if isinstance(w, (QLineEdit, QComboBox, QProgressBar)) else 0)
    return box


def _download_task(name: str, root: str | None,
                   worker: weakref.ref[CallWorker] | None = None
                   ) -> Callable[[threading.Event], dict[str, Any]]:
    """The worker's function: download, reporting progress through the worker's signal.

    The worker is held weakly: a function that held it would make a reference cycle, which
    the garbage collector frees later on whatever thread happens to run it, possibly a worker
    thread; the Job releases the worker on the GUI thread instead."""
    def task(cancel: threading.Event) -> dict[str, Any]:
        from cnnstudio.training.builtin import download_builtin

        owner = worker() if worker is not None else None
        emit = owner.progress.emit if owner is not None else None
        folder = download_builtin(name, root, progress=emit, cancel=cancel)
        return {"folder": str(folder), "cancelled": cancel.is_set()}
    return task


class TrainForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip("Download mnist, fashion-mnist or cifar10 into the data "
                                        "root (checksums checked; --download)")
        self.download_button.clicked.connect(self.download)
        self.download_progress = QProgressBar()
        self.download_progress.setVisible(False)
        self.download_status = QLabel()
        self.download_status.setWordWrap(True)
        self.download_job: Job | None = None
        self.runs_folder = QLineEdit(str(DEFAULT_RUNS))
        self.runs_folder.setToolTip("Each run writes a new sub-folder here: the project, "
                                    "checkpoints, history and metrics")
        runs_button = QToolButton()
        runs_button.setText("...")
        runs_button.clicked.connect(self.choose_runs_folder)
        top = QFormLayout()
        top.addRow("Dataset", _row(self.dataset, browse))
        top.addRow("Data root", _row(self.data_root, root_button))
        top.addRow("", _row(self.download_button, self.download_progress))
        top.addRow("", self.download_status)
        top.addRow("Runs folder", _row(self.runs_folder, runs_button))
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        #: the editor of each declared option, by TrainConfig field (also an attribute)
        self.fields: dict[str, QWidget] = {}
        self.sections: dict[str, Section] = {}
        for group in GROUPS:
            section = Section(group, group in EXPANDED)
            self.sections[group] = section
            lay.addWidget(section)
            for option in (o for o in TRAIN_OPTIONS if o.group == group):
                field = make_field(option)
                self.fields[option.name] = field
                setattr(self, option.name, field)
                section.rows.addRow(option.label, field)
                if option.name == "batch_size":  # the memory line under the batch size
                    self.memory_line = MemoryLine(self.memory_values)
                    section.rows.addRow("", self.memory_line)
        for name in FOLLOWS:
            field = self.fields[name]
            changed = (field.currentIndexChanged if isinstance(field, QComboBox)
                       else field.valueChanged)  # spin boxes
            changed.connect(self.memory_line.schedule)
        self.device.wanted.connect(self.memory_line.detect_now)
        self.memory_line.devices_found.connect(self.device.set_devices)
        lay.addStretch(1)

    def memory_values(self) -> dict[str, Any]:
        """The values the memory line follows (batch size, precision, optimizer, ...)."""
        return {name: read_field(BY_NAME[name], self.fields[name]) for name in FOLLOWS}

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

    # ------------------------------------------------------------ download
    @Slot()
    def download(self) -> None:
        """Fetch the chosen built-in dataset into the data root, in a worker."""
        name = self.dataset.currentText().strip().lower()
        if name not in DOWNLOADABLE:
            self.download_status.setText(f"Choose {', '.join(DOWNLOADABLE)} to download.")
            return
        if self.download_job is not None:
            return
        root = self.data_root.text().strip() or None
        worker = CallWorker(_download_task(name, root))
        worker.function = _download_task(name, root, weakref.ref(worker))  # no cycle
        job = Job(worker)  # no Qt parent: a parked job must outlive the form
        job.progress.connect(self._on_download_progress)
        job.done.connect(self._on_downloaded)
        job.failed.connect(self._on_download_failed)
        job.ended.connect(self._on_download_ended)
        self.download_job = job
        self.download_button.setEnabled(False)
        self.download_progress.setRange(0, 0)
        self.download_progress.setVisible(True)
        self.download_status.setText(f"Downloading {name}...")
        job.start()

    @Slot(object)
    def _on_download_progress(self, event: dict[str, Any]) -> None:
        self.download_progress.setRange(0, event["files"])
        self.download_progress.setValue(event["index"])
        self.download_status.setText(
            f"Downloading {event['file']} ({event['index'] + 1} of {event['files']})...")

    @Slot(object)
    def _on_downloaded(self, result: dict[str, Any]) -> None:
        self.download_status.setText(f"Downloaded into {result['folder']}.")

    @Slot(str, str)
    def _on_download_failed(self, kind: str, message: str) -> None:
        self.download_status.setText(f"Download failed: {message}")

    @Slot()
    def _on_download_ended(self) -> None:
        self.download_job = None
        self.download_button.setEnabled(True)
        self.download_progress.setVisible(False)

    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        """Stop a download and the memory line's device check (window close), bounded; False
        when one has not stopped in time."""
        line = self.memory_line.shutdown(timeout_ms)
        return (self.download_job.shutdown(timeout_ms) if self.download_job is not None
                else True) and line

    # ------------------------------------------------------------ values
    def read(self) -> tuple[str, str | None, TrainConfig]:
        """(dataset source, data root or None, config); ValueError names a bad field."""
        source = self.dataset.currentText().strip()
        if not source:
            raise ValueError("Choose a dataset: a built-in name, a folder or an .npz file.")
        values = {o.name: read_field(o, self.fields[o.name]) for o in TRAIN_OPTIONS}
        config = TrainConfig(**values, leave_core_for_gui=True, log_every=5)
        config.validate()
        root = self.data_root.text().strip() or None
        return source, root, config

    # ------------------------------------------------------------ settings
    def save(self, settings: QSettings) -> None:
        """Remember the form (under ``training/``) for the next session."""
        values: dict[str, Any] = {"dataset": self.dataset.currentText(),
                                  "data_root": self.data_root.text(),
                                  "runs_folder": self.runs_folder.text()}
        for option in TRAIN_OPTIONS:
            values[option.name] = raw_field(self.fields[option.name])
        for key, value in values.items():
            settings.setValue(f"training/{key}", value)

    def restore(self, settings: QSettings) -> None:
        """Fill the form from ``save``'s keys (missing keys keep the defaults)."""
        def text(key: str, default: str) -> str:
            return str(settings.value(f"training/{key}", default, type=str))

        self.dataset.setCurrentText(text("dataset", self.dataset.currentText()))
        self.data_root.setText(text("data_root", self.data_root.text()))
        self.runs_folder.setText(text("runs_folder", self.runs_folder.text()))
        kinds = {"int": int, "float": float, "bool": bool}
        for option in TRAIN_OPTIONS:
            key = f"training/{option.name}"
            if not settings.contains(key):
                continue
            field = self.fields[option.name]
            kind = str if isinstance(field, QLineEdit) else kinds.get(option.kind, str)
            try:
                value = settings.value(key, None, type=kind)
            except (TypeError, ValueError):  # a hand-edited value of the wrong type
                continue
            write_field(option, field, value)

    def runs_dir(self) -> Path:
        text = self.runs_folder.text().strip()
        if not text:
            raise ValueError("Choose a runs folder.")
        return Path(text).expanduser()
