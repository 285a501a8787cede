"""Live loss and accuracy plots for a training run (pyqtgraph).

Worker events only append to ``Series``: preallocated NumPy buffers that double when full.
A 25 Hz ``QTimer`` hands the changed series to pyqtgraph (``setData`` on views of the filled
part), so a fast run never redraws more than 25 times a second. The x axis is in epochs:
training points (the engine's running means) at ``epoch - 1 + batch / batches``, validation
points at whole epochs.

``BatchStatus`` shows the latest batch event in the progress bar and the status line on the
same timer: a batch event costs the GUI thread two appends and a reference, no widget work.

pyqtgraph is imported when the plots are first shown or first needed, not at app start.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QTimer, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from cnnstudio.gui.training.runs import duration

REFRESH_MS = 40
CURVES = {  # series name -> (plot, legend label, colour, with symbols)
    "train_loss": ("loss", "train", "#1f77b4", False),
    "val_loss": ("loss", "validation", "#ff7f0e", True),
    "train_accuracy": ("accuracy", "train", "#1f77b4", False),
    "val_accuracy": ("accuracy", "validation", "#ff7f0e", True),
}


class Series:
    """Growing (x, y) data in preallocated buffers; non-finite values are left out."""

    def __init__(self, capacity: int = 256) -> None:
        self.x = np.empty(capacity, dtype=np.float64)
        self.y = np.empty(capacity, dtype=np.float64)
        self.n = 0
        self.dirty = False

    def append(self, x: float, y: float) -> None:
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        if self.n == len(self.x):
            self.x = np.resize(self.x, 2 * len(self.x))
            self.y = np.resize(self.y, 2 * len(self.y))
        self.x[self.n], self.y[self.n] = x, y
        self.n += 1
        self.dirty = True

    def clear(self) -> None:
        self.n = 0
        self.dirty = True

    @property
    def capacity(self) -> int:
        return len(self.x)

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[:self.n], self.y[:self.n]


class BatchStatus:
    """The progress bar (0..1000 over the run) and status line of the latest batch event,
    written by ``flush`` (the plots' timer, and before any other event is shown)."""

    def __init__(self, bar: QProgressBar, label: QLabel) -> None:
        self.bar, self.label = bar, label
        self.pending: dict[str, Any] | None = None

    def flush(self) -> None:
        e, self.pending = self.pending, None
        if e is None:
            return
        done = (e["epoch"] - 1) * e["batches"] + e["batch"]
        self.bar.setValue(int(1000 * done / max(e["epochs"] * e["batches"], 1)))
        self.label.setText(
            f"Epoch {e['epoch']}/{e['epochs']}, batch {e['batch']}/{e['batches']}  |  "
            f"loss {e['loss']:.4f}, accuracy {e['accuracy']:.3f}  |  "
            f"{e['samples_per_s']:,.0f} samples/s  |  lr {e['lr']:.3g}  |  "
            f"ETA {duration(e['eta_s'])}")


class LivePlots(QWidget):
    """Two plots (loss, accuracy) fed by the engine's batch and epoch events."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series = {name: Series() for name in CURVES}
        self.curves: dict[str, Any] = {}
        self.plots: dict[str, Any] = {}
        self.redraws = 0
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    # ------------------------------------------------------------ data
    def clear(self) -> None:
        for s in self.series.values():
            s.clear()
        self.refresh()

    def add_batch(self, event: dict[str, Any]) -> None:
        x = event["epoch"] - 1 + event["batch"] / max(event["batches"], 1)
        self.series["train_loss"].append(x, float(event["loss"]))
        self.series["train_accuracy"].append(x, float(event["accuracy"]))

    def add_epoch(self, event: dict[str, Any]) -> None:
        x = float(event["epoch"])
        for name in ("val_loss", "val_accuracy"):
            if event.get(name) is not None:
                self.series[name].append(x, float(event[name]))

    def add_history(self, rows: list[dict[str, Any]]) -> None:
        """Epoch rows of a run's history.json: training and validation points per epoch."""
        for row in rows:
            x = float(row["epoch"])
            for name in CURVES:
                value = row.get(name)
                if isinstance(value, (int, float)):
                    self.series[name].append(x, float(value))

    def start(self) -> None:
        """Begin the periodic redraws (a run has started)."""
        self.ensure_built()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.refresh()

    # ------------------------------------------------------------ drawing
    def ensure_built(self) -> None:
        if self.plots:
            return
        import pyqtgraph as pg  # type: ignore[import-untyped]

        for key, title, unit in (("loss", "Loss", ""), ("accuracy", "Accuracy", "")):
            plot = pg.PlotWidget(self, title=title)
            plot.setBackground(None)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", "epoch", units=unit)
            plot.addLegend(offset=(-10, 10))
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            self._layout.addWidget(plot)
            self.plots[key] = plot
        self.plots["accuracy"].setYRange(0.0, 1.0, padding=0.02)
        for name, (key, label, colour, symbols) in CURVES.items():
            kw: dict[str, Any] = {"symbol": "o", "symbolSize": 6, "symbolBrush": colour} \
                if symbols else {}
            self.curves[name] = self.plots[key].plot(
                [], [], name=label, pen=pg.mkPen(colour, width=2), skipFiniteCheck=True, **kw)
        for s in self.series.values():
            s.dirty = True
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        self.ensure_built()
        super().showEvent(event)

    @Slot()
    def refresh(self) -> None:
        if not self.curves:
            return
        for name, s in self.series.items():
            if s.dirty:
                s.dirty = False
                x, y = s.data()
                self.curves[name].setData(x, y)
                self.redraws += 1
