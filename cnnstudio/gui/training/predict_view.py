"""The Predict tab: image files dropped on it (or chosen with "Predict images...") classified by
the run shown, one card per image.

Each card shows the image as the network sees it (decoded, resized and converted as in
training, normalised, then de-normalised for display), the top-k classes as bars, and for the
chosen convolution node (default the last one) its first feature maps and a Grad-CAM heatmap
of the top class laid over the image. The top-k come from ``cnnstudio.training.predict``
(the CLI's function); the heatmaps from ``cnnstudio.training.gradcam``. Everything is computed
by ``explain_files`` in a ``CallWorker`` and arrives as NumPy arrays; a newer request cancels
the one in flight (its result is dropped). Unreadable images, colour images for a grey model
and a missing run or checkpoint become messages in the tab, never a crash.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core import project_io
from cnnstudio.gui.training.inspect_view import pixmap
from cnnstudio.gui.training.prediction import PredictorCache, conv_nodes, explain_files
from cnnstudio.gui.training.worker import SHUTDOWN_MS, CallWorker, Job

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


class ResultCard(QFrame):
    """One image's results (or its error)."""

    def __init__(self, item: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.bars: list[tuple[QLabel, QProgressBar]] = []
        self.error: QLabel | None = None
        lay = QVBoxLayout(self)
        title = QLabel(Path(item["file"]).name)
        title.setToolTip(item["file"])
        lay.addWidget(title)
        if "error" in item:
            self.error = QLabel(item["error"])
            self.error.setWordWrap(True)
            self.error.setStyleSheet("color: #c0392b;")
            lay.addWidget(self.error)
            return
        row = QHBoxLayout()
        lay.addLayout(row)
        self.image_label = QLabel()
        self.image_label.setPixmap(pixmap(item["image"], 112))
        self.image_label.setToolTip("The image as the network sees it (resized, normalised)")
        self.cam_label = QLabel()
        self.cam_label.setPixmap(pixmap(item["overlay"], 112))
        self.cam_label.setToolTip(f"Grad-CAM of {item['top'][0]['class']}")
        row.addWidget(self.image_label, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.cam_label, 0, Qt.AlignmentFlag.AlignTop)
        bars = QGridLayout()
        for i, t in enumerate(item["top"]):
            name = QLabel(t["class"])
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(int(round(t["probability"] * 1000)))
            bar.setFormat(f"{t['probability']:.1%}")
            bars.addWidget(name, i, 0)
            bars.addWidget(bar, i, 1)
            self.bars.append((name, bar))
        row.addLayout(bars, 1)
        maps = QGridLayout()
        self.map_labels: list[QLabel] = []
        for i, m in enumerate(item["maps"]):
            tile = QLabel()
            tile.setPixmap(pixmap(m, 40))
            maps.addWidget(tile, i // 8, i % 8)
            self.map_labels.append(tile)
        row.addLayout(maps)


class PredictView(QWidget):
    """The Predict tab (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_dir: Path | None = None
        self.cache = PredictorCache()
        self.job: Job | None = None
        self._old_jobs: list[Job] = []  # cancelled jobs kept until their thread has ended
        self.paths: list[str] = []
        self.items: list[dict[str, Any]] = []
        self.cards: list[ResultCard] = []
        self.run_label = QLabel()
        self.run_label.setWordWrap(True)
        self.node = QComboBox()
        self.node.setToolTip("The convolution node whose feature maps and Grad-CAM are shown")
        self.node.currentTextChanged.connect(self._node_changed)
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 20)
        self.top_k.setValue(5)
        self.open_button = QPushButton("Predict images...")
        self.open_button.clicked.connect(self.open_files_dialog)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._body = QWidget()
        self._list = QVBoxLayout(self._body)
        self._list.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._body)
        controls = QHBoxLayout()
        for w in (QLabel("Node"), self.node, QLabel("Top"), self.top_k, self.open_button):
            controls.addWidget(w)
        controls.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.run_label)
        lay.addLayout(controls)
        lay.addWidget(self.message)
        lay.addWidget(scroll, 1)
        self.setAcceptDrops(True)
        self.set_run(None)

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.running

    def set_run(self, run_dir: Path | None) -> None:
        """Predict with ``run_dir`` (a run folder with checkpoints), or nothing when None."""
        self._cancel()
        self.run_dir = run_dir
        self.node.blockSignals(True)
        self.node.clear()
        if run_dir is not None:
            try:
                self.node.addItems(conv_nodes(project_io.load(run_dir / "project.cnnproj").graph))
            except (OSError, ValueError) as exc:
                self._show_error(f"{run_dir}: cannot read project.cnnproj ({exc})")
            self.node.setCurrentIndex(self.node.count() - 1)
        self.node.blockSignals(False)
        self.run_label.setText(f"Run: {run_dir}. Drop image files or folders here."
                               if run_dir is not None else
                               "No run yet: train a model, or open a run folder.")
        self._show_items([])
        self.message.setText("")

    # ------------------------------------------------------------ requests
    @Slot()
    def open_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Predict images", "", IMAGE_FILTER)
        if files:
            self.predict_files(files)

    def predict_files(self, paths: list[str]) -> None:
        """Classify ``paths`` (files or folders) with the run; cancels the request in flight."""
        self.paths = [str(p) for p in paths]
        if self.run_dir is None:
            self._show_error("No run loaded: train a model or open a run folder (Open Run...) "
                             "before predicting.")
            return
        if not self.node.currentText():
            self._show_error("The run's network has no convolution node to explain.")
            return
        self._cancel()
        run_dir, node, k, cache, paths = (self.run_dir, self.node.currentText(),
                                          self.top_k.value(), self.cache, list(self.paths))

        def task(cancel: threading.Event) -> dict[str, Any]:  # worker thread: no widgets
            return explain_files(run_dir, paths, node, k, cache, cancel)

        self.job = Job(CallWorker(task, needs_torch=True))
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.ended.connect(self._on_ended)
        self.message.setStyleSheet("")
        self.message.setText(f"Predicting {len(paths)} item(s) with {run_dir.name}...")
        self.job.start()

    @Slot(str)
    def _node_changed(self, _name: str) -> None:
        if self.paths and self.run_dir is not None:
            self.predict_files(self.paths)

    def _cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()  # its result is dropped; the Job is kept until its thread ends
            self._old_jobs.append(self.job)
            self.job = None

    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        """Cancel every computation and wait at most ``timeout_ms`` each (False: timed out)."""
        jobs = self._old_jobs + ([self.job] if self.job is not None else [])
        return all([job.shutdown(timeout_ms) for job in jobs])

    # ------------------------------------------------------------ drops
    @staticmethod
    def _local_paths(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]

    def _accept(self, event: QDragEnterEvent | QDragMoveEvent) -> None:
        if self._local_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._accept(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._accept(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._local_paths(event)
        if paths:
            event.acceptProposedAction()
            self.predict_files(paths)
        else:
            event.ignore()

    # ------------------------------------------------------------ results
    def _show_error(self, text: str) -> None:
        self.message.setStyleSheet("color: #c0392b;")
        self.message.setText(text)

    def _show_items(self, items: list[dict[str, Any]]) -> None:
        for card in self.cards:
            self._list.removeWidget(card)
            card.deleteLater()
        self.items, self.cards = items, []
        for item in items:
            card = ResultCard(item)
            self._list.addWidget(card)
            self.cards.append(card)

    @Slot(object)
    def _on_done(self, r: dict[str, Any]) -> None:
        if r.get("status") != "done":
            return
        self._show_items(r["items"])
        failed = [i for i in r["items"] if "error" in i]
        shown = len(r["items"])
        text = f"{shown} image(s) with {Path(r['run_dir']).name}; feature maps and Grad-CAM " \
               f"at {r['node']}."
        if r["found"] > shown:
            text += f" The first {shown} of {r['found']} are shown."
        if failed:
            self._show_error(text + f" {len(failed)} could not be read: "
                             + "; ".join(i["error"] for i in failed))
        else:
            self.message.setStyleSheet("")
            self.message.setText(text)

    @Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        self._show_items([])
        self._show_error(f"Cannot predict: {message}")

    @Slot()
    def _on_ended(self) -> None:
        self._old_jobs = [j for j in self._old_jobs if j.running]
        if self.job is not None and not self.job.running:
            self.job = None  # stopped and released on this (the GUI) thread
