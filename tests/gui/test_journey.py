"""A newcomer's whole journey in the app, driven offscreen: open an example, train it on the
bundled MNIST digits, export the run to ONNX, predict new images. Each step is captured as a
screenshot; ``pytest tests/gui/test_journey.py --screenshots docs`` refreshes the README's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from cnnstudio.gui.document import Document
from cnnstudio.gui.export_dialog import FORMATS
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.resources import resource_path
from cnnstudio.training.datasets import load_source
from tests.gui.screenshots import capture, varied

TIMEOUT_MS = 180_000


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    folder = request.config.getoption("--screenshots")
    return Path(folder) if folder else tmp_path


def digit_files(folder: Path, count: int = 4) -> list[Path]:
    """A few of the bundled test digits as PNG files (new images for predict)."""
    data = load_source("mnist-sample")
    images = data.train.images if data.test is None else data.test.images
    folder.mkdir()
    paths = []
    for i in range(count):
        array = np.asarray(images[i * 97]).reshape(28, 28).astype(np.uint8)
        path = folder / f"digit_{i}.png"
        Image.fromarray(array, mode="L").save(path)
        paths.append(path)
    return paths


def test_design_train_export_predict(qtbot: Any, window: MainWindow, tmp_path: Path,
                                     shots: Path) -> None:
    window.resize(1400, 900)
    window.show()
    window.set_document(Document.open(resource_path("examples/conv_pool.cnnproj")))
    panel = window.training
    panel.form.dataset.setCurrentText("mnist-sample")
    panel.form.runs_folder.setText(str(tmp_path / "runs"))
    panel.form.epochs.setValue(1)
    panel.form.device.set_device("cpu")
    window.actions["train_start"].trigger()
    qtbot.waitUntil(lambda: panel.run_dir is not None and not panel.running, timeout=TIMEOUT_MS)
    assert panel.failure is None and panel.result is not None
    panel.tabs.setCurrentWidget(panel.results)
    assert varied(capture(window, shots / "journey-1-train.png"))

    panel.export_button.click()
    dialog = window.export_window
    assert dialog is not None
    dialog.format_box.setCurrentIndex(list(FORMATS).index("onnx"))
    dialog.path_edit.setText(str(tmp_path / "digits.onnx"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and bool(dialog.result or dialog.error),
                    timeout=TIMEOUT_MS)
    assert dialog.error is None and (tmp_path / "digits.onnx").is_file()
    assert varied(capture(dialog, shots / "journey-2-export.png"))
    dialog.close()

    view = panel.predict_view
    panel.tabs.setCurrentWidget(view)
    view.predict_files([str(p) for p in digit_files(tmp_path / "new")])
    qtbot.waitUntil(lambda: not view.busy and len(view.cards) == 4, timeout=TIMEOUT_MS)
    assert all("error" not in item for item in view.items)
    assert varied(capture(window, shots / "journey-3-predict.png"))
