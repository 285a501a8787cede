"""Train > Load Pretrained Weights...: choose a weights file (or the torch hub cache for a
torchvision preset), check in a worker that it fits the design, set the training form's
Pretrained weights option and offer to freeze the backbone.

The check runs ``presets_torch.finetune.check_weights`` (the code the training worker and
``cnnstudio train --weights`` load with) in a ``CallWorker`` on a copy of the design. Freezing
goes through the document's undoable Freeze, so the canvas shows the frozen nodes and the
summary counts them as non-trainable.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox

from cnnstudio.core import project_io
from cnnstudio.core.presets.origin import TORCHVISION_PRESETS, preset_of
from cnnstudio.core.project_io import Project
from cnnstudio.core.retarget import classifier_node
from cnnstudio.gui.training.fields import write_field
from cnnstudio.gui.training.worker import SHUTDOWN_MS, CallWorker, Job
from cnnstudio.training.options import BY_NAME

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow
    from cnnstudio.gui.training.panel import TrainingPanel

TITLE = "Load Pretrained Weights"
FILTER = "Weights (*.pth *.pt *.safetensors)"
TORCHVISION = "torchvision"


def _check(project: Project, weights: str, cancel: threading.Event) -> dict[str, Any]:
    from cnnstudio.presets_torch.finetune import check_weights

    return {"weights": weights, **check_weights(project, weights).to_dict()}


class PretrainedLoader(QObject):
    """The action's state: the check job, and what to do with its answer."""

    def __init__(self, window: MainWindow, panel: TrainingPanel) -> None:
        super().__init__(window)
        self.window, self.panel = window, panel
        self.job: Job | None = None
        self.action = QAction("Load Pretrained &Weights...", window)
        self.action.setToolTip("Start training from pretrained weights (a .pth or .safetensors "
                               "file, or the torch hub cache for a torchvision preset)")
        self.action.triggered.connect(self.choose)

    def update_enabled(self) -> None:
        self.action.setEnabled(self.window.doc is not None and self.job is None)

    def choose_source(self) -> str:
        """``torchvision``, a file path, or "" when the user cancels."""
        doc = self.window.doc
        assert doc is not None
        preset = preset_of(doc.name, doc.metadata)
        if preset in TORCHVISION_PRESETS:
            answer = QMessageBox.question(
                self.window, TITLE, f"This design is the torchvision preset {preset}. Use "
                "torchvision's pretrained weights from the torch hub cache (never "
                "downloaded)?\n\nYes: the torch hub cache. No: choose a file.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
                | QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Yes:
                return TORCHVISION
            if answer != QMessageBox.StandardButton.No:
                return ""
        path, _ = QFileDialog.getOpenFileName(self.window, TITLE, "", FILTER)
        return path

    @Slot()
    def choose(self) -> None:
        doc = self.window.doc
        if doc is None or self.job is not None:
            return
        weights = self.choose_source()
        if not weights:
            return
        copy = project_io.loads(project_io.dumps(doc.to_project()))
        worker = CallWorker(lambda cancel: _check(copy, weights, cancel), needs_torch=True)
        job = Job(worker)  # no Qt parent: a parked job must outlive the window
        job.done.connect(self._on_checked)
        job.failed.connect(self._on_failed)
        job.ended.connect(self._on_ended)
        self.job = job
        self.update_enabled()
        self.window.show_message(f"Checking the pretrained weights {weights}...")
        job.start()

    @Slot(object)
    def _on_checked(self, report: dict[str, Any]) -> None:
        field = self.panel.form.fields["weights"]
        write_field(BY_NAME["weights"], field, report["weights"])
        fresh = ", ".join(report["fresh"]) or "none"
        text = (f"{report['tensors_loaded']} tensors from {report['source']} fit this design "
                f"(fresh weights: {fresh}); they are loaded when training starts.")
        self.window.show_message(text)
        doc = self.window.doc
        head = classifier_node(doc.graph) if doc is not None else None
        if doc is None or head is None:
            return
        backbone = [nid for nid in doc.weighted_nodes(doc.graph.nodes) if nid != head.id]
        if not any(doc.graph.nodes[nid].trainable for nid in backbone):
            return
        answer = QMessageBox.question(
            self.window, TITLE, f"{text}\n\nFreeze the backbone (every weighted node but the "
            f"head, {head.name}) so that only the head learns? (Undo restores it.)",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            doc.set_trainable_nodes(backbone, False)

    @Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        QMessageBox.critical(self.window, TITLE, message)

    @Slot()
    def _on_ended(self) -> None:
        self.job = None
        self.update_enabled()

    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        return self.job.shutdown(timeout_ms) if self.job is not None else True
