"""The inspection tab on a real run: feature maps, first-layer filters, misclassified images.

A module fixture trains the example project for one epoch on ``mnist-sample`` with the
engine (as the dock's worker does) and writes the run folder the dock would write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from cnnstudio.core import project_io
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.training.inspect_view import ImageGrid, InspectView
from cnnstudio.gui.training.inspection import maps_nodes, to_uint8
from cnnstudio.gui.training.worker import prepared_data
from cnnstudio.resources import resource_path
from cnnstudio.training.config import TrainConfig
from tests.gui.conftest import Dialogs

EXAMPLE = resource_path("examples/conv_pool.cnnproj")
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cnnstudio.compiler import build_model
    from cnnstudio.training import train

    folder = tmp_path_factory.mktemp("run")
    project = project_io.load(EXAMPLE)
    project_io.save(project, folder / "project.cnnproj")
    config = TrainConfig(epochs=1, device="cpu", leave_core_for_gui=True, num_workers=0)
    data = prepared_data("mnist-sample", (1, 28, 28), config)
    train(build_model(project.graph, for_training=True), data, config, folder)
    return folder


@pytest.fixture
def view(qtbot: Any, run_dir: Path) -> InspectView:
    v = InspectView()
    qtbot.addWidget(v)
    v.resize(900, 600)
    v.set_run(run_dir)
    return v


def wait_done(qtbot: Any, view: InspectView) -> None:
    qtbot.waitUntil(lambda: not view.busy, timeout=TIMEOUT_MS)


def test_feature_maps_show_one_tile_per_channel(qtbot: Any, view: InspectView,
                                                dialogs: Dialogs) -> None:
    assert [view.node.itemText(i) for i in range(view.node.count())] == \
        ["input_1", "conv1", "pool1", "conv2", "pool2"]
    assert view.node.currentText() == "conv1"
    view.index.setValue(3)
    view.maps_button.click()
    assert view.busy and not view.maps_button.isEnabled()
    wait_done(qtbot, view)
    assert dialogs.errors == []
    assert view.maps_grid.count() == 32
    assert "conv1: 32 channels" in view.maps_info.text()
    assert "Test image 3: true" in view.maps_info.text()
    image = view.input_image.pixmap()
    assert not image.isNull() and image.width() >= 28
    view.node.setCurrentText("pool2")
    view.maps_button.click()
    wait_done(qtbot, view)
    assert view.maps_grid.count() == 32 and "pool2" in view.maps_info.text()
    assert view.index.maximum() == view.inspector.images.shape[0] - 1


def test_filters_of_the_first_convolution(qtbot: Any, view: InspectView,
                                          dialogs: Dialogs) -> None:
    view.filters_button.click()
    wait_done(qtbot, view)
    assert dialogs.errors == []
    assert view.filters_grid.count() == 32
    assert "conv1 (Conv2d): 32 filters, weights 32x1x3x3" in view.filters_info.text()


def test_misclassified_images_with_true_and_predicted_labels(
        qtbot: Any, view: InspectView, dialogs: Dialogs) -> None:
    view.wrong_button.click()
    wait_done(qtbot, view)
    assert dialogs.errors == []
    inspector = view.inspector
    wrong = int((inspector.predictions() != inspector.labels.numpy()).sum())
    assert 0 < wrong < len(inspector) // 2
    assert view.wrong_grid.count() == min(wrong, 64)
    assert f"{wrong} of {len(inspector)} test images misclassified" in view.wrong_info.text()
    index, true, predicted = (view.wrong_grid.captions[0].replace("#", "")
                              .replace(":", "").replace(" -> ", " ").split())
    assert int(index) == int(np.flatnonzero(inspector.predictions()
                                            != inspector.labels.numpy())[0])
    assert true != predicted
    view.wrong_grid.tiles[0].click()  # its feature maps
    assert view.tabs.currentIndex() == 0
    wait_done(qtbot, view)
    assert f"Test image {index}: true {true}, predicted {predicted}." in view.maps_info.text()


def test_a_failing_view_reports_in_a_message_box(qtbot: Any, view: InspectView,
                                                 dialogs: Dialogs) -> None:
    view.node.addItem("flatten")
    view.node.setCurrentText("flatten")
    view.maps_button.click()
    wait_done(qtbot, view)
    assert len(dialogs.errors) == 1 and "not feature maps" in dialogs.errors[0]
    assert view.maps_button.isEnabled()


def test_pointing_at_another_run_drops_the_view_in_flight(qtbot: Any, view: InspectView,
                                                          dialogs: Dialogs) -> None:
    view.maps_button.click()
    assert view.busy
    view.set_run(None)  # cancels: the maps of the previous run must not appear
    wait_done(qtbot, view)
    qtbot.wait(50)
    assert view.maps_grid.count() == 0 and view.maps_info.text() == ""
    assert dialogs.errors == [] and not view.maps_button.isEnabled()


def test_grids_and_scaling_without_torch(qtbot: Any) -> None:
    grid = ImageGrid(40, 4)
    qtbot.addWidget(grid)
    grey = np.arange(64, dtype=np.uint8).reshape(8, 8)
    rgb = np.zeros((8, 8, 3), dtype=np.uint8)
    grid.set_images([grey, rgb, grey], ["a", "b", "c"])
    assert grid.count() == 3
    grid.set_images([grey], ["a"])
    assert grid.count() == 1
    scaled = to_uint8(np.array([[[0.0, 2.0]], [[5.0, 5.0]]]), axes=(1, 2))
    assert scaled.tolist() == [[[0, 255]], [[128, 128]]]
    b = GraphBuilder()
    x = b.input(1, 8, 8, name="image")
    x = b.add("Conv2d", x, name="conv", filters=2, kernel=3)
    x = b.add("Flatten", x, name="flat")
    b.add("Dense", x, name="fc", units=2)
    assert maps_nodes(b.graph) == ["image", "conv"]


def test_opening_a_run_folder_shows_history_metrics_and_inspection(
        qtbot: Any, window: MainWindow, run_dir: Path, tmp_path: Path, dialogs: Dialogs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    panel = window.training
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(run_dir)))
    panel.open_button.click()
    assert dialogs.errors == []
    assert panel.run_dir == run_dir
    assert panel.plots.series["train_loss"].n == panel.plots.series["val_accuracy"].n == 1
    metrics = panel.results.metrics
    assert metrics is not None and panel.results.table.rowCount() == 12
    assert panel.results.confusion.rowCount() == 10
    assert panel.inspect.run_dir == run_dir and panel.inspect.filters_button.isEnabled()
    assert "1 epoch(s)" in panel.status.text()
    assert not panel.open_run(tmp_path)
    assert "not a run folder" in dialogs.errors[0].lower() or "no project.cnnproj" in \
        dialogs.errors[0]
