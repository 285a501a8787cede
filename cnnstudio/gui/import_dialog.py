"""File > Import...: an ONNX file, a torchvision model or a Python file + class, opened as an
editable design.

The import runs in a worker (``CallWorker`` in a ``Job``) through
``cnnstudio.importing.importer`` (the same calls as ``cnnstudio import``): read, build,
verify against the source, then write the project and its weights (safetensors) and open
the project in the window (a large one with its groups collapsed and laid out compactly, as
presets open). A Python file is run as Python code: the dialog asks first and
runs nothing unless the user says yes. torch is imported in the worker, never here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.presets.origin import TORCHVISION_PRESETS
from cnnstudio.gui.job_dialog import JobDialog
from cnnstudio.gui.training.worker import CallWorker

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

PLACEHOLDER = "model.onnx, torchvision.resnet18 or net.py:Net"


def parse_shape(text: str) -> tuple[int, int, int] | None:
    """``3,224,224`` (or empty: None); ValueError saying what is expected."""
    text = text.strip()
    if not text:
        return None
    parts = [p for p in text.replace("x", ",").split(",") if p.strip()]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"input shape: expected C,H,W such as 3,224,224, got {text!r}") from None
    if len(values) != 3 or min(values) < 1:
        raise ValueError(f"input shape: expected three positive sizes C,H,W, got {text!r}")
    return values  # type: ignore[return-value]


class ImportCancelled(Exception):
    """Raised in the worker at the next stage once the import is cancelled."""


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def import_call(source: str, shape: tuple[int, int, int] | None, out: Path, overwrite: bool,
                emit: Callable[[dict[str, Any]], None]
                ) -> Callable[[threading.Event], dict[str, Any]]:
    """The worker's function: import, verify, save; plain data back for the dialog."""
    def work(cancel: threading.Event) -> dict[str, Any]:
        from cnnstudio.importing.importer import import_model, save_import

        def progress(fraction: float, text: str) -> None:
            if cancel.is_set():  # the dialog or the window closed: stop at this stage
                raise ImportCancelled("the import was cancelled")
            emit({"fraction": fraction, "text": text})

        result = import_model(source, shape, progress=progress)
        project, weights = save_import(result, out, overwrite=overwrite)
        return {"lines": result.lines(), "project": str(project), "weights": str(weights)}
    return work


class ImportDialog(JobDialog):
    """Choose a source and where the project goes; import in a worker; open the result."""

    FAILED = "Import failed; nothing was written."

    def __init__(self, window: MainWindow | None = None, folder: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent if parent is not None else window)
        self.setWindowTitle("Import")
        self.window_ = window
        self.folder = folder or Path.home()
        self.source_box = QComboBox()
        self.source_box.setEditable(True)
        self.source_box.addItems(["", *(f"torchvision.{p}" for p in TORCHVISION_PRESETS)])
        line = self.source_box.lineEdit()
        assert line is not None
        line.setPlaceholderText(PLACEHOLDER)
        line.textChanged.connect(self._default_path)
        onnx_button = QPushButton("ONNX File...")
        onnx_button.clicked.connect(self.browse_onnx)
        python_button = QPushButton("Python File...")
        python_button.clicked.connect(self.browse_python)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_box, 1)
        source_row.addWidget(onnx_button)
        source_row.addWidget(python_button)
        self.shape_edit = QLineEdit()
        self.shape_edit.setPlaceholderText("from the file, a preset of the same name, or "
                                           "3,224,224")
        self.path_edit = QLineEdit()
        browse = QPushButton("Browse...")
        browse.clicked.connect(self.browse_out)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.overwrite = QCheckBox("Replace existing files")
        form = QFormLayout()
        form.addRow("Model", source_row)
        form.addRow("Input shape", self.shape_edit)
        form.addRow("Project", path_row)
        form.addRow("", self.overwrite)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QLabel("An ONNX file is only read. A Python file is run as code: "
                             "import only files you trust.")
        self.status.setWordWrap(True)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton("Import",
                                                    QDialogButtonBox.ButtonRole.ActionRole)
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.import_button.clicked.connect(self.start)
        close.clicked.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.report, 1)
        lay.addWidget(self.buttons)
        self.resize(680, 420)

    def source_text(self) -> str:
        return self.source_box.currentText().strip()

    @Slot()
    def _default_path(self) -> None:
        text = self.source_text()
        stem = text.rpartition(":")[0] if ".py:" in text else text
        stem = Path(stem.removeprefix("torchvision.")).stem if stem else "imported"
        self.path_edit.setText(str(self.folder / f"{stem or 'imported'}.cnnproj"))

    @Slot()
    def browse_onnx(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import an ONNX file", str(self.folder),
                                              "ONNX files (*.onnx)")
        if path:
            self.source_box.setEditText(path)

    @Slot()
    def browse_python(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a model class from a Python file",
                                              str(self.folder), "Python files (*.py)")
        if not path:
            return
        name, ok = QInputDialog.getText(self, "Model class", "Name of the torch.nn.Module "
                                        "class in the file (built with no arguments):")
        if ok and name.strip():
            self.source_box.setEditText(f"{path}:{name.strip()}")

    @Slot()
    def browse_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the imported project as",
                                              self.path_edit.text(), "Projects (*.cnnproj)")
        if path:
            self.path_edit.setText(path)

    @Slot()
    def start(self) -> None:
        from cnnstudio.importing.ops import ModelImportError
        from cnnstudio.importing.sources import RUNS_CODE, parse_source

        if self.job is not None:
            return
        try:
            source = parse_source(self.source_text())
            shape = parse_shape(self.shape_edit.text())
        except (ModelImportError, ValueError) as exc:
            self.show_error(str(exc))
            return
        out = Path(self.path_edit.text().strip() or self.folder / "imported.cnnproj")
        if source.runs_code:
            answer = QMessageBox.question(
                self, "Run a Python file?", _sentence(RUNS_CODE.format(file=source.path))
                + f".\n\nRun {source.path} and build {source.name}()?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                self.status.setText("Nothing was run.")
                return
        self.report.clear()
        self.import_button.setEnabled(False)
        self.progress.setValue(0)
        self.status.setText(f"Importing {source.label}...")
        worker = CallWorker(lambda cancel: {}, needs_torch=True)
        worker.function = import_call(self.source_text(), shape, out,
                                      self.overwrite.isChecked(), worker.progress.emit)
        self.run_job(worker)

    @Slot(object)
    def _on_progress(self, event: dict[str, Any]) -> None:
        self.progress.setValue(int(100 * float(event.get("fraction", 0.0))))
        self.status.setText(f"{_sentence(str(event.get('text', '')))}...")

    @Slot(object)
    def _on_done(self, result: dict[str, Any]) -> None:
        self.result = result
        self.progress.setValue(100)
        self.report.setPlainText("\n".join([
            *result["lines"], f"project: {result['project']}", f"weights: {result['weights']}",
            "Train > Load Pretrained Weights... starts a run from these weights."]))
        opened = self._open(Path(result["project"]))
        self.status.setText("Imported and verified" + (", and opened." if opened else "."))

    def _open(self, path: Path) -> bool:
        window = self.window_
        return window is not None and window.open_file(path)  # at a readable zoom

    def job_ended(self) -> None:
        self.import_button.setEnabled(True)


def open_import_dialog(window: MainWindow) -> ImportDialog:
    """File > Import...: the dialog, non-modal, beside the open design's folder."""
    doc = window.doc
    folder = doc.path.parent if doc is not None and doc.path is not None else None
    dialog = ImportDialog(window, folder)
    window.import_window = dialog  # kept alive; shut down when the window closes
    dialog.open()
    return dialog
