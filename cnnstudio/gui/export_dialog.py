"""File > Export (and Export... on a run's results): the open design or a run's checkpoint,
as ONNX, TorchScript, safetensors + project, or Python code.

The export runs in a worker (``CallWorker`` in a ``Job``) through
``cnnstudio.compiler.exporting.export_project``, the same call as ``cnnstudio export``: it
refuses to replace the export's inputs or (unless "Replace existing files" is ticked) an
existing file, verifies in a staging folder and moves the files into place only when
verified, so a failure leaves nothing half-written. The dialog then shows what was verified
(checker, onnxruntime batch sizes, max abs difference, opset, file size) and offers to open
the folder.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core import project_io
from cnnstudio.core.project_io import Project
from cnnstudio.gui.job_dialog import JobDialog
from cnnstudio.gui.training.worker import CallWorker

#: format id -> (label, default file name; a folder for python)
FORMATS = {
    "onnx": ("ONNX (.onnx, verified with onnxruntime)", "model.onnx"),
    "torchscript": ("TorchScript (.pt)", "model.pt"),
    "safetensors": ("safetensors weights + project", "model.safetensors"),
    "python": ("Python code (model.py, train.py, weights)", "model_code"),
}


@dataclass
class ExportSource:
    """What can be exported: a project, with a checkpoint file or fresh weights."""

    label: str
    project: Project
    checkpoint: Path | None = None
    folder: Path | None = None  # where exports go by default


def run_sources(run_dir: Path) -> list[ExportSource]:
    """The best and last checkpoints of a run folder, as export sources."""
    out: list[ExportSource] = []
    project_file = run_dir / "project.cnnproj"
    if not project_file.is_file():
        return out
    project = project_io.load(project_file)
    for name in ("best", "last"):
        ckpt = run_dir / "checkpoints" / f"{name}.safetensors"
        if ckpt.is_file():
            out.append(ExportSource(f"Run {run_dir.name}: {name} checkpoint", project, ckpt,
                                    run_dir / "exports"))
    return out


def export_call(source: ExportSource, fmt: str, out: Path, overwrite: bool
                ) -> Any:
    """The worker's function: export and return plain data for the dialog."""
    def work(cancel: threading.Event) -> dict[str, Any]:
        from cnnstudio.compiler.exporting import export_project

        protect = [source.checkpoint] if source.checkpoint is not None else []
        report, weights = export_project(source.project, fmt, out,
                                         checkpoint=source.checkpoint, protect=protect,
                                         overwrite=overwrite)
        return {"lines": [weights, *report.lines()], "files": report.files,
                "path": report.path}
    return work


class ExportDialog(JobDialog):
    """Choose what, how and where; export in a worker; show what was verified."""

    FAILED = "Export failed; nothing was written."

    def __init__(self, sources: list[ExportSource], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.sources = sources
        self.error: str | None = None
        self.source_box = QComboBox()
        for s in sources:
            self.source_box.addItem(s.label)
        self.format_box = QComboBox()
        for fmt, (label, _) in FORMATS.items():
            self.format_box.addItem(label, fmt)
        self.path_edit = QLineEdit()
        browse = QPushButton("Browse...")
        browse.clicked.connect(self.browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.overwrite = QCheckBox("Replace existing files")
        self.overwrite.setToolTip("Without this, an export never replaces a file; it never "
                                  "replaces the checkpoint it exports")
        form = QFormLayout()
        form.addRow("Export", self.source_box)
        form.addRow("Format", self.format_box)
        form.addRow("To", path_row)
        form.addRow("", self.overwrite)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.status = QLabel("Choose what to export and where.")
        self.status.setWordWrap(True)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.buttons = QDialogButtonBox()
        action = QDialogButtonBox.ButtonRole.ActionRole
        self.export_button = self.buttons.addButton("Export", action)
        self.open_button = self.buttons.addButton("Open Folder", action)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.open_button.setEnabled(False)
        self.export_button.clicked.connect(self.start)
        self.open_button.clicked.connect(self.open_folder)
        self.close_button.clicked.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.report, 1)
        lay.addWidget(self.buttons)
        self.source_box.currentIndexChanged.connect(self._default_path)
        self.format_box.currentIndexChanged.connect(self._default_path)
        self._default_path()
        self.resize(640, 420)

    # ------------------------------------------------------------------ choices
    def source(self) -> ExportSource:
        return self.sources[self.source_box.currentIndex()]

    def fmt(self) -> str:
        return str(self.format_box.currentData())

    @Slot()
    def _default_path(self) -> None:
        s = self.source()
        folder = s.folder or Path.home()
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in s.project.name) or "model"
        name = FORMATS[self.fmt()][1].replace("model", stem, 1)
        self.path_edit.setText(str(folder / name))

    @Slot()
    def browse(self) -> None:
        current = self.path_edit.text()
        if self.fmt() == "python":
            path = QFileDialog.getExistingDirectory(self, "Folder for the Python code", current)
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export to", current)
        if path:
            self.path_edit.setText(path)

    # ------------------------------------------------------------------ export
    @Slot()
    def start(self) -> None:
        if self.job is not None:
            return
        text = self.path_edit.text().strip()
        if not text:
            self.show_error("Choose where to export to.")
            return
        self.report.clear()
        self.open_button.setEnabled(False)
        self.export_button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy
        self.status.setText(f"Exporting and verifying {text}...")
        self.run_job(CallWorker(export_call(self.source(), self.fmt(), Path(text),
                                            self.overwrite.isChecked()), needs_torch=True))

    @Slot(object)
    def _on_done(self, result: dict[str, Any]) -> None:
        self.result = result
        self.status.setText(f"Exported and verified: {result['path']}")
        self.report.setPlainText("\n".join(result["lines"]))
        self.open_button.setEnabled(True)

    def job_ended(self) -> None:
        self.progress.setRange(0, 1)
        self.export_button.setEnabled(True)

    @Slot()
    def open_folder(self) -> None:
        if self.result is not None:
            folder = Path(self.result["path"])
            folder = folder if folder.is_dir() else folder.parent
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
