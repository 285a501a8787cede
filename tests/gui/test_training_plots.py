"""Live plots: growing buffers, throttled redraws, non-finite values left out (no torch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings

from cnnstudio.gui.training.form import TrainForm, builtin_dataset_names
from cnnstudio.gui.training.plots import LivePlots, Series, overfitting


def test_series_doubles_its_buffers_and_keeps_the_points() -> None:
    s = Series(capacity=4)
    for i in range(9):
        s.append(float(i), float(i * i))
    s.append(9.0, float("nan"))
    assert s.n == 9 and s.capacity == 16
    x, y = s.data()
    assert x.tolist() == list(range(9)) and y.tolist() == [i * i for i in range(9)]
    s.clear()
    assert s.n == 0 and s.dirty


def test_plots_redraw_on_the_timer_not_per_event(qtbot: Any) -> None:
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.start()
    assert plots.timer.isActive() and set(plots.curves) == set(plots.series)
    drawn = plots.redraws
    for b in range(1, 201):
        plots.add_batch({"epoch": 1, "batch": b, "batches": 200, "loss": 1.0 / b,
                         "accuracy": b / 200})
    plots.add_epoch({"epoch": 1, "val_loss": 0.5, "val_accuracy": 0.9})
    assert plots.redraws == drawn  # appending draws nothing
    qtbot.waitUntil(lambda: plots.redraws >= drawn + 4, timeout=2000)
    x, y = plots.curves["train_loss"].getData()
    assert len(x) == 200 and np.isclose(x[-1], 1.0) and np.isclose(y[0], 1.0)
    assert plots.curves["val_accuracy"].getData()[1].tolist() == [0.9]
    plots.stop()
    assert not plots.timer.isActive()


def test_form_reads_a_config_for_the_gui_process(qtbot: Any) -> None:
    form = TrainForm()
    qtbot.addWidget(form)
    names = builtin_dataset_names()
    assert names[0] == "mnist-sample" and {"mnist", "fashion-mnist", "cifar10"} <= set(names)
    form.lr.setText("3e-4")
    form.augment.setText("crop:4  hflip")
    form.device.set_device("cpu")
    source, root, config = form.read()
    assert source == "mnist-sample" and root is None
    assert config.lr == 3e-4 and config.augment == ["crop:4", "hflip"]
    assert config.leave_core_for_gui and config.num_workers == 0 and config.device == "cpu"


def test_form_settings_survive_a_restart(qtbot: Any, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    form = TrainForm()
    qtbot.addWidget(form)
    form.dataset.setCurrentText("/data/digits.npz")
    form.runs_folder.setText(str(tmp_path / "runs"))
    form.epochs.setValue(7)
    form.lr.setText("0.01")
    form.optimizer.setCurrentText("sgd")
    form.val_split.setValue(0.2)
    form.save(settings)
    settings.sync()
    again = TrainForm()
    qtbot.addWidget(again)
    again.restore(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    source, _, config = again.read()
    assert source == "/data/digits.npz" and again.runs_dir() == tmp_path / "runs"
    assert (config.epochs, config.lr, config.optimizer, config.val_split) == \
        (7, 0.01, "sgd", 0.2)


def rows(train: list[float], val: list[float], best: int) -> list[dict[str, Any]]:
    return [{"epoch": i + 1, "train_loss": t, "val_loss": v, "val_accuracy": 1 - v,
             "lr": 0.1 / (i + 1), "best": i + 1 == best}
            for i, (t, v) in enumerate(zip(train, val, strict=True))]


def test_overfitting_needs_rising_validation_and_falling_training_loss() -> None:
    assert overfitting(rows([1.0, 0.8, 0.6, 0.4], [0.9, 1.0, 1.1, 1.2], 1))
    assert not overfitting(rows([1.0, 0.8, 0.6], [0.9, 1.0, 1.1], 1))  # two rises only
    assert not overfitting(rows([1.0, 0.8, 0.9, 0.4], [0.9, 1.0, 1.1, 1.2], 1))
    assert not overfitting(rows([1.0, 0.8, 0.6, 0.4], [0.9, 1.0, 0.95, 1.2], 1))


def test_learning_rate_best_epoch_and_overfitting_hint(qtbot: Any) -> None:
    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.show()
    plots.start()
    history = rows([1.0, 0.8, 0.6, 0.5, 0.4], [0.9, 0.7, 0.8, 0.9, 1.0], best=2)
    for row in history[:4]:
        plots.add_epoch(row)
    assert plots.best_epoch == 2 and not plots.hint.isVisible()
    assert [line.value() for line in plots.best_lines] == [2, 2]
    plots.add_epoch(history[4])  # the third rise of the validation loss
    assert plots.hint.isVisible() and "overfitting" in plots.hint.text()
    plots.clear()
    assert plots.best_epoch is None and not plots.hint.isVisible()
    plots.add_history(history)
    plots.refresh()
    x, y = plots.curves["lr"].getData()
    assert len(x) == 5 and plots.plots["lr"].getPlotItem().ctrl.logYCheck.isChecked()
    assert plots.best_epoch == 2 and plots.hint.isVisible()
    plots.stop()
