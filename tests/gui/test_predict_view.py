"""The Predict tab: real CIFAR-10 / MNIST-shaped runs trained briefly, real image files from
../shared/data dropped on the tab (or chosen with Train > Predict Images...); top-k bars equal
``predict``'s, the preprocessed image, feature maps and Grad-CAM come from a worker; errors
are messages in the tab (issue #10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from cnnstudio.compiler import build_model
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.project_io import Project, save
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.training.predict_view import PredictView
from cnnstudio.training import TrainConfig, train
from cnnstudio.training.predict import open_predictor, predict
from tests.gui.conftest import chain_graph

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SAMPLE = DATA / "cifar10-sample-200"
TEST_JPG = DATA / "cifar10-test-jpg" / "test"
TIMEOUT_MS = 120_000
pytestmark = pytest.mark.skipif(not SAMPLE.is_dir() or not TEST_JPG.is_dir(),
                                reason="../shared/data/cifar10-sample-200 and "
                                "cifar10-test-jpg are absent")


def trained(folder: Path, project: Project, source: str, shape: tuple[int, int, int]) -> Path:
    run = folder / "run"
    run.mkdir()
    save(project, run / "project.cnnproj")
    torch.manual_seed(0)
    train(build_model(project.graph, for_training=True), source,
          TrainConfig(epochs=1, batch_size=32, device="cpu"), run, input_shape=shape)
    return run


@pytest.fixture(scope="module")
def rgb_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = GraphBuilder()
    t = b.input(3, 32, 32)
    t = b.add("Conv2d", t, name="conv1", filters=8, kernel=3, activation="relu")
    t = b.add("Conv2d", t, name="conv2", filters=24, kernel=3, stride=2, activation="relu")
    t = b.add("GlobalAvgPool", t)
    b.add("Dense", t, units=10, activation="softmax")
    return trained(tmp_path_factory.mktemp("predict_rgb"), Project(b.graph, "rgb"),
                   str(SAMPLE), (3, 32, 32))


@pytest.fixture(scope="module")
def grey_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained(tmp_path_factory.mktemp("predict_grey"), Project(chain_graph(), "grey"),
                   "mnist-sample", (1, 28, 28))


def images(n: int, step: int = 997) -> list[Path]:
    return sorted(TEST_JPG.glob("*/*.jpg"))[::step][:n]


def drop(widget: PredictView, paths: list[Path]) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = widget.rect().center()
    copy, left = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    none = Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, copy, mime, left, none)
    QApplication.sendEvent(widget, enter)
    move = QDragMoveEvent(pos, copy, mime, left, none)
    QApplication.sendEvent(widget, move)
    dropped = QDropEvent(QPointF(pos), copy, mime, left, none)
    QApplication.sendEvent(widget, dropped)
    return enter.isAccepted() and move.isAccepted() and dropped.isAccepted()


def shown(view: PredictView, qtbot: Any, count: int) -> None:
    qtbot.waitUntil(lambda: view.job is None and len(view.cards) == count, timeout=TIMEOUT_MS)


def test_dropped_images_show_the_runs_top_k_image_maps_and_grad_cam(
        window: MainWindow, qtbot: Any, rgb_run: Path) -> None:
    assert window.training.open_run(rgb_run)
    view = window.training.predict_view
    assert [view.node.itemText(i) for i in range(view.node.count())] == ["conv1", "conv2"]
    assert view.node.currentText() == "conv2"  # the last convolution by default
    files = images(3)
    assert drop(view, files)
    shown(view, qtbot, 3)
    expected = predict(open_predictor(rgb_run), files, top_k=5)
    for card, exp in zip(view.cards, expected, strict=True):
        assert card.item["file"] == exp["file"]
        assert [t["class"] for t in card.item["top"]] == [t["class"] for t in exp["top"]]
        assert [t["index"] for t in card.item["top"]] == [t["index"] for t in exp["top"]]
        np.testing.assert_allclose([t["probability"] for t in card.item["top"]],
                                   [t["probability"] for t in exp["top"]], rtol=0, atol=1e-6)
        assert [name.text() for name, _ in card.bars] == [t["class"] for t in exp["top"]]
        assert [bar.text() for _, bar in card.bars] == [f"{t['probability']:.1%}"
                                                        for t in exp["top"]]
        assert card.item["image"].shape == (32, 32, 3) and card.item["image"].dtype == np.uint8
        pix = card.image_label.pixmap()
        assert pix.width() % 32 == 0 and pix.height() % 32 == 0 and pix.width() >= 32
        heat = card.item["heatmap"]
        assert heat.shape == (32, 32) and heat.min() >= 0.0 and heat.max() <= 1.0
        assert card.item["overlay"].shape == (32, 32, 3)
        assert card.item["channels"] == 24 and card.item["maps"].shape == (16, 14, 14)
        assert len(card.map_labels) == 16
    # the image as the network sees it: the decoded file, normalised and de-normalised
    from cnnstudio.training.images import decode_image
    seen = decode_image(files[0], (3, 32, 32)).numpy().transpose(1, 2, 0)
    assert np.abs(view.cards[0].item["image"].astype(int) - seen).max() <= 1

    view.node.setCurrentText("conv1")  # another node: computed again for the same images
    qtbot.waitUntil(lambda: view.job is None and bool(view.cards)
                    and view.cards[0].item["channels"] == 8, timeout=TIMEOUT_MS)
    assert view.cards[0].item["maps"].shape == (8, 30, 30)
    assert "conv1" in view.message.text()


def test_a_newer_drop_cancels_the_one_in_flight(window: MainWindow, qtbot: Any,
                                                rgb_run: Path) -> None:
    assert window.training.open_run(rgb_run)
    view = window.training.predict_view
    first_files, second = images(20, 101), images(2, 1999)
    assert drop(view, first_files)
    first = view.job
    assert first is not None
    assert drop(view, second)
    assert first.cancelled and view.job is not first
    shown(view, qtbot, 2)
    assert [c.item["file"] for c in view.cards] == [str(f) for f in second]
    qtbot.waitUntil(lambda: not view._old_jobs, timeout=TIMEOUT_MS)


def test_a_folder_and_an_unreadable_file_are_named(window: MainWindow, qtbot: Any,
                                                   rgb_run: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    broken = folder / "broken.png"
    broken.write_bytes(b"not an image at all")
    good = images(1)[0]
    (folder / "good.jpg").write_bytes(good.read_bytes())
    assert window.training.open_run(rgb_run)
    view = window.training.predict_view
    assert drop(view, [folder])
    shown(view, qtbot, 2)
    bad = [c for c in view.cards if c.error is not None]
    assert len(bad) == 1 and "broken.png" in bad[0].error.text()
    assert "unreadable" in bad[0].error.text()
    assert "broken.png" in view.message.text()
    ok = [c for c in view.cards if c.error is None]
    assert ok[0].item["top"] == predict(open_predictor(rgb_run), [folder / "good.jpg"])[0]["top"]


def test_colour_images_for_a_grey_model_and_no_run_are_messages(
        window: MainWindow, qtbot: Any, grey_run: Path) -> None:
    view = window.training.predict_view
    assert view.run_dir is None
    assert drop(view, images(1))
    assert view.job is None and "No run loaded" in view.message.text()
    assert window.training.open_run(grey_run)
    assert view.node.currentText() == "conv2"
    assert drop(view, images(1))
    shown(view, qtbot, 1)
    error = view.cards[0].error
    assert error is not None and "colour (RGB)" in error.text()
    assert images(1)[0].name in error.text()
    assert drop(view, [Path("/no/such/image.png")])
    qtbot.waitUntil(lambda: view.job is None and "no such image" in view.message.text(),
                    timeout=TIMEOUT_MS)
    assert view.cards == []


def test_train_menu_predict_images_asks_for_files(window: MainWindow, qtbot: Any,
                                                  rgb_run: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    files = images(2, 3001)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: ([str(f) for f in files], "")))
    assert window.training.open_run(rgb_run)
    window.actions.all["train_predict"].trigger()
    view = window.training.predict_view
    assert window.training.tabs.currentWidget() is view
    shown(view, qtbot, 2)
    assert [c.item["file"] for c in view.cards] == [str(f) for f in files]
