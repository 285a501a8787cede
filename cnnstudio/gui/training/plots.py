"""Live loss, accuracy and learning-rate plots for a training run (pyqtgraph).

Worker events only append to ``Series``: preallocated NumPy buffers that double when full.
A 25 Hz ``QTimer`` hands the changed series to pyqtgraph (``setData`` on views of the filled
part), so a fast run never redraws more than 25 times a second. The x axis is in epochs:
training points (the engine's running means) at ``epoch - 1 + batch / batches``, validation
points at whole epochs.

The best epoch so far is marked by a vertical line on the loss and accuracy plots. When the
validation loss has risen for ``OVERFIT_EPOCHS`` epochs in a row while the training loss
fell, a hint under the plots says the network may be overfitting (``overfitting``).

``BatchStatus`` shows the latest batch event in the progress bar and the status line on the
same timer: a batch event costs the GUI thread two appends and a reference, no widget work.

pyqtgraph is imported when the plots are first shown or first needed, not at app start.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from cnnstudio.gui.training.runs import duration

REFRESH_MS = 40
CURVES = {  # series name -> (plot, legend label, colour, with symbols)
    "train_loss": ("loss", "train", "#1f77b4", False),
    "val_loss": ("loss", "validation", "#ff7f0e", True),
    "train_accuracy": ("accuracy", "train", "#1f77b4", False),
    "val_accuracy": ("accuracy", "validation", "#ff7f0e", True),
    "lr": ("lr", "learning rate", "#2ca02c", False),
}
#: epochs in a row of rising validation loss (with falling training loss) that raise the hint
OVERFIT_EPOCHS = 3
OVERFIT_HINT = ("Validation loss has risen for {n} epochs while training loss fell: the "
                "network may be overfitting. Try early stopping, more augmentation, dropout or "
                "weight decay.")


def overfitting(rows: list[dict[str, Any]], n: int = OVERFIT_EPOCHS) -> bool:
    """Whether the last ``n`` epoch rows each raised val_loss and lowered train_loss."""
    pairs = [(r.get("train_loss"), r.get("val_loss")) for r in rows]
    pairs = [(t, v) for t, v in pairs if isinstance(t, (int, float))
             and isinstance(v, (int, float))]
    if len(pairs) < n + 1:
        return False
    tail = pairs[-(n + 1):]
    return all(b[1] > a[1] and b[0] < a[0] for a, b in zip(tail, tail[1:], strict=False))


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
        self.best_lines: list[Any] = []
        self.best_epoch: int | None = None
        self.epochs: list[dict[str, Any]] = []  # epoch rows, for the overfitting hint
        self.redraws = 0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self._layout = QHBoxLayout()
        outer.addLayout(self._layout, 1)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #b35c00;")
        self.hint.hide()
        outer.addWidget(self.hint)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    # ------------------------------------------------------------ data
    def clear(self) -> None:
        for s in self.series.values():
            s.clear()
        self.epochs, self.best_epoch = [], None
        self.hint.hide()
        self.refresh()

    def add_batch(self, event: dict[str, Any]) -> None:
        x = event["epoch"] - 1 + event["batch"] / max(event["batches"], 1)
        self.series["train_loss"].append(x, float(event["loss"]))
        self.series["train_accuracy"].append(x, float(event["accuracy"]))
        if float(event.get("lr", 0.0)) > 0:  # log axis
            self.series["lr"].append(x, float(event["lr"]))

    def add_epoch(self, event: dict[str, Any]) -> None:
        x = float(event["epoch"])
        for name in ("val_loss", "val_accuracy"):
            if event.get(name) is not None:
                self.series[name].append(x, float(event[name]))
        self._after_epoch(event)

    def _after_epoch(self, row: dict[str, Any]) -> None:
        """The best-epoch marker and the overfitting hint, after an epoch row."""
        self.epochs.append(row)
        if row.get("best"):
            self.best_epoch = int(row["epoch"])
        if overfitting(self.epochs):
            self.hint.setText(OVERFIT_HINT.format(n=OVERFIT_EPOCHS))
            self.hint.show()
        else:
            self.hint.hide()
        self._mark_best()

    def _mark_best(self) -> None:
        for line in self.best_lines:
            line.setVisible(self.best_epoch is not None)
            if self.best_epoch is not None:
                line.setValue(self.best_epoch)

    def add_history(self, rows: list[dict[str, Any]]) -> None:
        """Epoch rows of a run's history.json: training and validation points per epoch."""
        for row in rows:
            x = float(row["epoch"])
            for name in CURVES:
                value = row.get(name)
                if isinstance(value, (int, float)) and (name != "lr" or value > 0):
                    self.series[name].append(x, float(value))
            self._after_epoch(row)

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

        for key, title, unit in (("loss", "Loss", ""), ("accuracy", "Accuracy", ""),
                                 ("lr", "Learning rate", "")):
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
        self.plots["lr"].setLogMode(y=True)
        for key in ("loss", "accuracy"):
            line = pg.InfiniteLine(angle=90, movable=False, label="best",
                                   labelOpts={"position": 0.9},
                                   pen=pg.mkPen("#2ca02c", width=1, style=Qt.PenStyle.DashLine))
            self.plots[key].addItem(line, ignoreBounds=True)
            self.best_lines.append(line)
        self._mark_best()
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
