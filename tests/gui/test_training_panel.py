"""The Training dock with the real engine on the bundled ``mnist-sample`` data (offscreen).

Each test drives the panel as a user would (form values, Start, Stop) and waits on GUI-side
state with ``qtbot.waitUntil``. Each run trains in a child process of its own (spawned: it
imports torch and reads the sample itself; tests/gui/test_training_process.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QTabBar

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.project_io import dumps
from cnnstudio.gui.document import Document
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.training.panel import TrainingPanel
from cnnstudio.gui.training.runs import duration, new_run_dir
from cnnstudio.resources import resource_path
from tests.gui.conftest import Dialogs, open_graph

EXAMPLE = resource_path("examples/conv_pool.cnnproj")
RUN_TIMEOUT_MS = 120_000


def setup_panel(window: MainWindow, tmp_path: Path, **values: Any) -> TrainingPanel:
    window.set_document(Document.open(EXAMPLE))
    panel = window.training
    form = panel.form
    form.dataset.setCurrentText("mnist-sample")
    form.runs_folder.setText(str(tmp_path / "runs"))
    form.epochs.setValue(values.get("epochs", 1))
    form.batch_size.setValue(values.get("batch_size", 128))
    form.lr.setText(str(values.get("lr", 0.001)))
    form.optimizer.setCurrentText(values.get("optimizer", "adam"))
    form.device.set_device("cpu")
    return panel


def wait_idle(qtbot: Any, panel: TrainingPanel, timeout: int = RUN_TIMEOUT_MS) -> None:
    qtbot.waitUntil(lambda: not panel.running, timeout=timeout)


def test_training_the_example_plots_live_and_shows_metrics(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    panel = setup_panel(window, tmp_path)
    before = dumps(window.doc.to_project())
    window.actions["train_start"].trigger()
    assert panel.running and not panel.start_button.isEnabled()
    assert not window.actions["train_start"].isEnabled()
    assert panel.stop_button.isEnabled() and panel.plots.timer.isActive()
    qtbot.waitUntil(lambda: panel.plots.series["train_loss"].n > 0, timeout=RUN_TIMEOUT_MS)
    assert panel.running  # points arrive while the run goes on
    wait_idle(qtbot, panel)
    assert dialogs.errors == []
    assert panel.result is not None and panel.result["status"] == "completed"
    # live plots: train points per reported batch, one validation point per epoch
    series = panel.plots.series
    batches = panel.run_info["batches_per_epoch"]
    # one point per 5 batches at most (log_every), fewer when batches come faster than the
    # 20 events a second the child sends; the epoch's last batch always
    assert 1 <= series["train_loss"].n == series["train_accuracy"].n <= batches // 5 + 1
    assert series["val_loss"].n == series["val_accuracy"].n == 1
    assert series["train_loss"].x[series["train_loss"].n - 1] == pytest.approx(1.0)
    assert panel.plots.redraws > 0 and not panel.plots.timer.isActive()
    assert panel.progress.value() == panel.progress.maximum()
    # the run folder holds the project, checkpoints and metrics
    run_dir = panel.run_dir
    assert run_dir is not None and run_dir.parent == tmp_path / "runs"
    assert (run_dir / "project.cnnproj").read_text(encoding="utf-8") == before
    assert (run_dir / "checkpoints" / "best.safetensors").is_file()
    # results: summary, 10 classes + macro/weighted rows, a 10x10 confusion matrix
    metrics = panel.results.metrics
    assert metrics is not None and metrics["accuracy"] > 0.5
    assert panel.tabs.currentWidget() is panel.results
    assert "accuracy" in panel.results.summary.text()
    table, confusion = panel.results.table, panel.results.confusion
    assert table.rowCount() == 12
    assert table.item(10, 0).text() == "macro avg"
    assert table.item(11, 0).text() == "weighted avg"
    assert float(table.item(10, 3).text()) == pytest.approx(metrics["macro"]["f1"], abs=1e-3)
    assert (confusion.rowCount(), confusion.columnCount()) == (10, 10)
    total = sum(int(confusion.item(i, j).text()) for i in range(10) for j in range(10))
    assert total == metrics["samples"]
    # the inspection tab now points at this run; the document was left alone
    assert panel.inspect.run_dir == run_dir and panel.inspect.maps_button.isEnabled()
    assert panel.inspect.node.currentText() == "conv1"
    assert dumps(window.doc.to_project()) == before and not window.doc.modified
    assert panel.start_button.isEnabled() and panel.form.isEnabled()


def test_stop_mid_epoch_returns_to_idle_and_keeps_the_checkpoint(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    panel = setup_panel(window, tmp_path, epochs=3, batch_size=16)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.plots.series["train_loss"].n > 0, timeout=RUN_TIMEOUT_MS)
    t0 = time.perf_counter()
    panel.stop_button.click()
    assert "Stopping" in panel.status.text() and not panel.stop_button.isEnabled()
    wait_idle(qtbot, panel, timeout=15_000)
    assert time.perf_counter() - t0 < 5.0
    assert dialogs.errors == []
    assert panel.result is not None and panel.result["status"] == "cancelled"
    assert panel.result["epochs_done"] == 0
    assert panel.run_info["batches_per_epoch"] > panel.plots.series["train_loss"].n * 5 // 2
    assert panel.run_dir is not None
    assert (panel.run_dir / "checkpoints" / "last.safetensors").is_file()
    assert "checkpoint is kept" in panel.status.text()
    assert panel.results.metrics is None
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()
    assert window.actions["train_start"].isEnabled()
    assert not window.actions["train_stop"].isEnabled()


def test_an_invalid_graph_is_refused_naming_the_node(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    b = GraphBuilder()
    x = b.input(1, 28, 28, name="image")
    x = b.add("Conv2d", x, name="conv1", filters=4, kernel=3)
    b.add("Dense", x, name="classifier", units=10)
    open_graph(window, b.graph)
    window.training.form.runs_folder.setText(str(tmp_path / "runs"))
    window.training.start()
    assert not window.training.running
    assert len(dialogs.errors) == 1
    assert "classifier (Dense)" in dialogs.errors[0] and "Flatten" in dialogs.errors[0]
    assert not (tmp_path / "runs").exists()


def test_bad_settings_are_refused_before_starting(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    panel = setup_panel(window, tmp_path)
    panel.form.lr.setText("fast")
    panel.start()
    panel.form.lr.setText("0")
    panel.start()
    assert not panel.running
    assert "'fast' is not a number" in dialogs.errors[0]
    assert "--lr" in dialogs.errors[1] and "(0, 1e+12]" in dialogs.errors[1]


def test_a_diverging_run_reports_the_nan_in_a_message_box(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    panel = setup_panel(window, tmp_path, lr=1e10, optimizer="sgd")
    before = dumps(window.doc.to_project())
    panel.start()
    wait_idle(qtbot, panel)
    assert panel.failure is not None and panel.failure[0] == "NonFiniteLossError"
    assert len(dialogs.errors) == 1 and "the loss became" in dialogs.errors[0]
    assert "lower the learning rate" in dialogs.errors[0]
    assert panel.status.text().startswith("Failed:")
    assert dumps(window.doc.to_project()) == before and not window.doc.modified
    assert panel.start_button.isEnabled() and panel.form.isEnabled()
    assert not panel.plots.timer.isActive()


def test_a_missing_dataset_is_reported(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    panel = setup_panel(window, tmp_path)
    panel.form.dataset.setCurrentText(str(tmp_path / "nothing.npz"))
    panel.start()
    wait_idle(qtbot, panel)
    assert panel.failure is not None and panel.failure[0] == "DatasetError"
    assert "nothing.npz" in dialogs.errors[0] and "Traceback" not in dialogs.errors[0]
    assert not (tmp_path / "runs").exists()  # no run folder before the data is checked


@pytest.mark.skipif(sys.platform == "darwin", reason="MPS may exist on macOS")
def test_a_missing_device_is_reported(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    panel = setup_panel(window, tmp_path)
    panel.form.device.set_device("mps")
    panel.start()
    wait_idle(qtbot, panel)
    assert len(dialogs.errors) == 1 and "MPS is not available" in dialogs.errors[0]
    assert panel.start_button.isEnabled()
    assert not (tmp_path / "runs").exists()
    # the settings of the last start are remembered for the next session
    assert window.settings.value("training/device", "", type=str) == "mps"
    assert window.settings.value("training/dataset", "", type=str) == "mnist-sample"


def test_closing_the_window_stops_a_running_training(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    panel = setup_panel(window, tmp_path, epochs=5, batch_size=16)
    panel.start()
    qtbot.waitUntil(lambda: panel.plots.series["train_loss"].n > 0, timeout=RUN_TIMEOUT_MS)
    thread = panel.job.qthread if panel.job is not None else None
    assert thread is not None and thread.isRunning()
    t0 = time.perf_counter()
    assert window.close()
    assert time.perf_counter() - t0 < 5.0
    assert panel.job is None and not panel.running


def training_tab_bars(window: MainWindow) -> list[QTabBar]:
    """Visible tab bars with a Training tab (one; Qt can leave a stale second one)."""
    return [b for b in window.findChildren(QTabBar) if b.parent() is window
            and b.isVisible() and "Training" in [b.tabText(i) for i in range(b.count())]]


def test_the_dock_is_tabbed_with_the_summary_and_the_train_menu_shows_it(
        qtbot: Any, window: MainWindow) -> None:
    dock, summary = window.docks["training"], window.docks["summary"]
    assert window.tabifiedDockWidgets(summary) == []
    window.show()
    qtbot.waitUntil(lambda: window.tabifiedDockWidgets(summary) == [dock], timeout=5000)
    qtbot.waitUntil(lambda: len(training_tab_bars(window)) == 1, timeout=5000)
    assert dock.visibleRegion().isEmpty() and not summary.visibleRegion().isEmpty()
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus[-2:] == ["&Train", "&Help"]
    window.actions["train_show"].trigger()
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty(), timeout=5000)
    assert dock.toggleViewAction() in window.actions.docks_menu.actions()


def test_the_train_menu_right_after_start_up_shows_the_dock_in_front(
        qtbot: Any, window: MainWindow) -> None:
    dock, summary = window.docks["training"], window.docks["summary"]
    window.show()
    window.actions["train_show"].trigger()  # before the event loop has run
    assert window.tabifiedDockWidgets(summary) == [dock]
    qtbot.waitUntil(lambda: len(training_tab_bars(window)) == 1, timeout=5000)
    assert not dock.visibleRegion().isEmpty() and summary.visibleRegion().isEmpty()


def test_run_folders_and_durations() -> None:
    assert duration(75) == "1:15" and duration(3725) == "1:02:05"
    runs = Path("/nonexistent/runs")
    assert new_run_dir(runs, "my net!").name.startswith("my_net-")
