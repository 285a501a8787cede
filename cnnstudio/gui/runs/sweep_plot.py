"""The parallel-coordinates plot of a sweep: one polyline per trial across the parameter axes
and the metric axis, each axis normalised to [0, 1], coloured by the metric.

A parameter axis spans its range (a log range on a log scale) or its list (numbers by value,
choices and booleans evenly in the order given); the metric axis spans the values reached.
The colour runs from dark (worst) to bright (best) whichever the metric's direction; a pruned
trial is drawn dashed, with its best value before it was stopped. Trials without a value
(failed, cancelled, running) are left out. ``lines`` holds the polylines drawn.
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from cnnstudio.sweeps.record import SweepRecord, TrialRecord, ranked
from cnnstudio.sweeps.space import SweepParam, format_value

COLORMAP = "viridis"


def _scale(value: float, low: float, high: float) -> float:
    return 0.5 if high <= low else (value - low) / (high - low)


def axis_position(param: SweepParam, value: Any) -> float:
    """Where ``value`` of ``param`` lies on its axis, in [0, 1]."""
    if param.is_range:
        assert param.low is not None and param.high is not None
        if param.log:
            return _scale(math.log10(value), math.log10(param.low), math.log10(param.high))
        return _scale(float(value), param.low, param.high)
    values = list(param.values)
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if numeric:
        return _scale(float(value), float(min(values)), float(max(values)))
    index = values.index(value) if value in values else 0
    return _scale(float(index), 0.0, float(len(values) - 1))


def axis_ends(param: SweepParam) -> tuple[str, str]:
    """The labels at the bottom and the top of a parameter's axis."""
    if param.is_range:
        return format_value(param.low), format_value(param.high)
    values = list(param.values)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return format_value(min(values)), format_value(max(values))
    return format_value(values[0]), format_value(values[-1])


class ParallelCoordinates(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.getAxis("left").setTicks([[(0.0, "low"), (1.0, "high")]])
        QVBoxLayout(self).addWidget(self.plot)
        self.lines: list[pg.PlotDataItem] = []
        self.axes: list[str] = []
        self.trials: list[int] = []  # the trial number of each line

    def clear(self) -> None:
        self.plot.clear()
        self.lines, self.axes, self.trials = [], [], []

    def show_sweep(self, record: SweepRecord) -> None:
        """Draw the trials of ``record`` that reached a value (best drawn last, on top)."""
        self.clear()
        self.axes = [p.name for p in record.space] + [record.metric]
        count = len(self.axes)
        self.plot.getAxis("bottom").setTicks([list(enumerate(self.axes))])
        self.plot.setXRange(-0.3, count - 0.7, padding=0)
        self.plot.setYRange(-0.08, 1.08, padding=0)
        trials = [t for t in record.trials if t.value is not None]
        values = [t.value for t in trials if t.value is not None]
        low, high = (min(values), max(values)) if values else (0.0, 1.0)
        for x, param in enumerate(record.space):
            self._axis(x, *axis_ends(param))
        self._axis(count - 1, f"{low:.4g}", f"{high:.4g}")
        colours = pg.colormap.get(COLORMAP)
        for trial in reversed(ranked(trials, record.direction)):  # the best on top
            assert trial.value is not None
            level = _scale(trial.value, low, high)
            goodness = level if record.direction == "maximize" else 1.0 - level
            ys = [axis_position(p, trial.params.get(p.name)) for p in record.space] + [level]
            pen = pg.mkPen(colours.map(goodness, mode="qcolor"), width=2,
                           style=Qt.PenStyle.DashLine if trial.state == "pruned"
                           else Qt.PenStyle.SolidLine)
            line = self.plot.plot(list(range(count)), ys, pen=pen, symbol="o", symbolSize=5,
                                  symbolBrush=pen.color(), symbolPen=None,
                                  name=_label(trial))
            self.lines.append(line)
            self.trials.append(trial.number)

    def _axis(self, x: int, bottom: str, top: str) -> None:
        self.plot.addItem(pg.InfiniteLine(pos=x, angle=90, pen=pg.mkPen("#888", width=1)))
        for text, y, anchor in ((bottom, 0.0, (0.5, 0.0)), (top, 1.0, (0.5, 1.0))):
            label = pg.TextItem(text, color="#888", anchor=anchor)
            label.setPos(x, y)
            self.plot.addItem(label)


def _label(trial: TrialRecord) -> str:
    return f"{trial.folder} ({trial.state})"
