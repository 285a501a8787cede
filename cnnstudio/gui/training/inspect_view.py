"""The inspection tab: feature maps, first-layer filters and misclassified test images.

``InspectView.set_run(run_dir)`` points it at a run folder; each button computes its view in
a worker thread (``inspection.RunInspector``, loaded once per run folder and kept in an
``InspectorCache``, never in widget state) and shows the images in an ``ImageGrid`` of
captioned tiles. Failures go to a message box. Pointing the view at another run, or closing,
cancels the computation in flight; its result is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core import project_io
from cnnstudio.gui.training.worker import SHUTDOWN_MS, CallWorker, Job


def pixmap(array: np.ndarray, size: int) -> QPixmap:
    """A uint8 (H, W) grey or (H, W, 3) RGB array as a pixmap about ``size`` pixels wide."""
    a = np.ascontiguousarray(array, dtype=np.uint8)
    h, w = a.shape[:2]
    if a.ndim == 2:
        image = QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    else:
        image = QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    scale = max(1, size // max(w, h))
    return QPixmap.fromImage(image).scaled(w * scale, h * scale,
                                           Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation)


class ImageGrid(QScrollArea):
    """Captioned image tiles in rows of ``columns``; ``tileClicked(i)`` when one is clicked."""

    tileClicked = Signal(int)

    def __init__(self, tile: int = 72, columns: int = 8, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tile, self.columns = tile, columns
        self.setWidgetResizable(True)
        self.tiles: list[QWidget] = []
        self.captions: list[str] = []
        self._body = QWidget()
        self._grid = QGridLayout(self._body)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setWidget(self._body)

    def count(self) -> int:
        return len(self.tiles)

    def set_images(self, images: list[np.ndarray], captions: list[str]) -> None:
        for tile in self.tiles:
            self._grid.removeWidget(tile)
            tile.deleteLater()
        self.tiles, self.captions = [], list(captions)
        for i, (array, caption) in enumerate(zip(images, captions, strict=True)):
            image = pixmap(array, self.tile)
            tile = QToolButton()
            tile.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            tile.setAutoRaise(True)
            tile.setIcon(QIcon(image))
            tile.setIconSize(image.size())
            tile.setText(caption)
            tile.setToolTip(caption)
            tile.clicked.connect(lambda _checked=False, k=i: self.tileClicked.emit(k))
            self._grid.addWidget(tile, i // self.columns, i % self.columns)
            self.tiles.append(tile)


class InspectorCache:
    """The last ``RunInspector``, built and read in worker threads (one at a time; locked)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inspector: Any = None

    @property
    def inspector(self) -> Any:
        return self._inspector  # one reference read: no lock, never blocks the GUI thread

    def get(self, run_dir: Path, root: str | None) -> Any:
        """The inspector of ``run_dir``, loaded unless it is the one kept (worker thread)."""
        from cnnstudio.gui.training.inspection import RunInspector

        with self._lock:
            if self._inspector is None or self._inspector.run_dir != run_dir:
                self._inspector = None
                self._inspector = RunInspector(run_dir, root)
            return self._inspector


class InspectView(QWidget):
    """Controls and grids of the inspection tab; ``busyChanged`` while a view computes."""

    busyChanged = Signal(bool)

    def __init__(self, data_root: Callable[[], str | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_root = data_root
        self.run_dir: Path | None = None
        self.cache = InspectorCache()  # RunInspector, built in a worker thread
        self.job: Job | None = None
        self.run_label = QLabel("No run yet: train a model, or open a run folder.")
        self.run_label.setWordWrap(True)
        self.node = QComboBox()
        self.index = QSpinBox()
        self.index.setRange(0, 0)
        self.maps_button = QPushButton("Show feature maps")
        self.maps_info = QLabel()
        self.maps_grid = ImageGrid(64, 8)
        self.input_image = QLabel()
        self.filters_button = QPushButton("Show first-layer filters")
        self.filters_info = QLabel()
        self.filters_grid = ImageGrid(56, 8)
        self.wrong_button = QPushButton("Show misclassified test images")
        self.wrong_info = QLabel()
        self.wrong_grid = ImageGrid(72, 8)
        self.maps_button.clicked.connect(self.show_feature_maps)
        self.filters_button.clicked.connect(self.show_filters)
        self.wrong_button.clicked.connect(self.show_misclassified)
        self.wrong_grid.tileClicked.connect(self.inspect_misclassified)
        self.wrong_indices: list[int] = []
        self.tabs = QTabWidget()
        self.tabs.addTab(self._page([QLabel("Node"), self.node, QLabel("Test image"),
                                     self.index, self.maps_button],
                                    self.maps_info, self.maps_grid, self.input_image),
                         "Feature maps")
        self.tabs.addTab(self._page([self.filters_button], self.filters_info,
                                    self.filters_grid), "Filters")
        self.tabs.addTab(self._page([self.wrong_button], self.wrong_info, self.wrong_grid),
                         "Misclassified")
        layout = QVBoxLayout(self)
        layout.addWidget(self.run_label)
        layout.addWidget(self.tabs, 1)
        self._set_enabled(False)

    @staticmethod
    def _page(controls: list[QWidget], info: QLabel, grid: ImageGrid,
              side: QWidget | None = None) -> QWidget:
        page = QWidget()
        row = QHBoxLayout()
        for w in controls:
            row.addWidget(w)
        row.addStretch(1)
        info.setWordWrap(True)
        body = QHBoxLayout()
        if side is not None:
            body.addWidget(side, 0, Qt.AlignmentFlag.AlignTop)
        body.addWidget(grid, 1)
        lay = QVBoxLayout(page)
        lay.addLayout(row)
        lay.addWidget(info)
        lay.addLayout(body, 1)
        return page

    def _set_enabled(self, on: bool) -> None:
        for w in (self.maps_button, self.filters_button, self.wrong_button):
            w.setEnabled(on)

    @property
    def inspector(self) -> Any:
        """The loaded ``RunInspector`` (None before the first view of a run)."""
        return self.cache.inspector

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.running

    # ------------------------------------------------------------ run
    def set_run(self, run_dir: Path | None) -> None:
        """Inspect ``run_dir`` (a folder with project.cnnproj, config.json, checkpoints/)."""
        from cnnstudio.gui.training.inspection import maps_nodes

        if self.job is not None:
            self.job.cancel()  # its result (for the previous run) is dropped
        self.run_dir = run_dir
        for grid in (self.maps_grid, self.filters_grid, self.wrong_grid):
            grid.set_images([], [])
        self.input_image.clear()
        self.node.clear()
        if run_dir is None:
            self.run_label.setText("No run yet: train a model, or open a run folder.")
            self._set_enabled(False)
            return
        graph = project_io.load(run_dir / "project.cnnproj").graph
        self.node.addItems(maps_nodes(graph))
        if self.node.count() > 1:
            self.node.setCurrentIndex(1)  # the first node after the input
        self.index.setRange(0, 999_999)
        self.run_label.setText(f"Run: {run_dir}")
        self._set_enabled(True)

    def _request(self, method: str, *args: Any) -> None:
        if self.run_dir is None or self.busy:
            return
        run_dir, root, cache = self.run_dir, self.data_root(), self.cache

        def task(cancel: threading.Event) -> dict[str, Any]:  # worker thread: no widgets
            inspector = cache.get(run_dir, root)
            if cancel.is_set():
                return {"view": "cancelled"}
            result = getattr(inspector, method)(*args)
            return {"view": method, "test_images": len(inspector), **result}

        self.job = Job(CallWorker(task, needs_torch=True))
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.ended.connect(self._on_ended)
        self._set_enabled(False)
        self.busyChanged.emit(True)
        self.job.start()

    @Slot()
    def show_feature_maps(self) -> None:
        if self.node.currentText():
            self._request("feature_maps", self.node.currentText(), self.index.value())

    @Slot()
    def show_filters(self) -> None:
        self._request("filters")

    @Slot()
    def show_misclassified(self) -> None:
        self._request("misclassified")

    @Slot(int)
    def inspect_misclassified(self, tile: int) -> None:
        """Show the feature maps of the clicked misclassified image."""
        if self.busy or not 0 <= tile < len(self.wrong_indices):
            return
        self.index.setValue(self.wrong_indices[tile])
        self.tabs.setCurrentIndex(0)
        self.show_feature_maps()

    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        """Cancel the computation in flight and wait at most ``timeout_ms`` (False: timed out)."""
        return self.job.shutdown(timeout_ms) if self.job is not None else True

    # ------------------------------------------------------------ results
    @Slot(object)
    def _on_done(self, r: dict[str, Any]) -> None:
        self.index.setRange(0, max(0, r["test_images"] - 1))
        if r["view"] == "feature_maps":
            maps = list(r["maps"])
            self.maps_grid.set_images(maps, [f"{i}" for i in range(len(maps))])
            self.input_image.setPixmap(pixmap(r["image"], 112))
            more = f" (first {len(maps)} shown)" if len(maps) < r["channels"] else ""
            self.maps_info.setText(f"{r['node']}: {r['channels']} channels{more}. Test image "
                                   f"{r['index']}: true {r['label']}, predicted "
                                   f"{r['predicted']}.")
        elif r["view"] == "filters":
            tiles = list(r["filters"])
            self.filters_grid.set_images(tiles, [str(i) for i in range(len(tiles))])
            shape = "x".join(str(v) for v in r["weight_shape"])
            more = f", first {len(tiles)} shown" if len(tiles) < r["count"] else ""
            self.filters_info.setText(f"{r['node']} ({r['kind']}): {r['count']} filters, "
                                      f"weights {shape}{more}.")
        else:
            captions = [f"#{i}: {t} -> {p}"
                        for i, t, p in zip(r["indices"], r["true"], r["predicted"], strict=True)]
            self.wrong_indices = list(r["indices"])
            self.wrong_grid.set_images(r["images"], captions)
            self.wrong_info.setText(
                f"{r['wrong']} of {r['total']} test images misclassified "
                f"({r['wrong'] / max(r['total'], 1):.1%}); showing {len(captions)} "
                "as 'true -> predicted' (click one for its feature maps).")

    @Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        QMessageBox.critical(self, "Inspection failed", message)

    @Slot()
    def _on_ended(self) -> None:
        self.job = None  # stopped and released on this (the GUI) thread
        self._set_enabled(self.run_dir is not None)
        self.busyChanged.emit(False)
