"""The Convolution Playground (issue #12): opened from LeNet-5's nodes (inspector, context
menu, Tools menu), its output pictures against torch.nn.functional, the worked example's
grids and sums, pooling modes, a run's trained filters, image files and typed kernels; a
3-channel Conv over all its input channels against the compiled node's feature map.
``pytest tests/gui/test_playground.py --screenshots docs`` refreshes docs/playground.png."""

from __future__ import annotations

import gc
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from cnnstudio.compiler import build_model, compile_info
from cnnstudio.compiler.to_torch import node_outputs
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.conv_arith import correlate, fmt
from cnnstudio.core.project_io import Project, save
from cnnstudio.gui.document import Document
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.playground import Playground, loader, open_playground
from cnnstudio.gui.playground.maps import tiles
from cnnstudio.gui.playground.sources import COLOUR_PATTERN, MAX_SIDE, PRESETS
from cnnstudio.gui.playground.window import NO_NODE, OTHER_RUN, PANEL_RUN
from cnnstudio.gui.playground.worked import HIGHLIGHT
from cnnstudio.training import TrainConfig, train
from cnnstudio.training.checkpoints import read_tensors
from tests.run_helpers import blobs, design

TIMEOUT_MS = 60_000
CIFAR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cifar10-sample-200"


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    folder = request.config.getoption("--screenshots")
    return Path(folder) if folder else tmp_path


def t(a: np.ndarray) -> torch.Tensor:
    """(H, W) -> (1, 1, H, W) float64."""
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))[None, None]


def node_id(window: MainWindow, name: str) -> str:
    assert window.doc is not None
    return next(n.id for n in window.doc.graph.nodes.values() if n.name == name)


def open_from_inspector(qtbot: Any, window: MainWindow, name: str) -> Playground:
    window.scene.select_nodes([node_id(window, name)])
    button = window.inspector.playground_button
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    playground = window.findChild(Playground)
    assert playground is not None and playground.isVisible()
    qtbot.waitUntil(lambda: not playground.loading, timeout=TIMEOUT_MS)
    return playground


def shown(pg: Playground, name: str) -> np.ndarray:
    return np.asarray(pg.maps.items[name].image)


def test_conv_node_of_lenet5(qtbot: Any, window: MainWindow, shots: Path) -> None:
    assert window.open_preset("lenet5")
    pg = open_from_inspector(qtbot, window, "c1")
    values = pg.settings.values()
    assert (values["op"], values["stride"], values["padding"], values["activation"]) == \
        ("conv", (1, 1), "valid", "tanh")
    # the node's untrained filters are the compiler's initial weights (seed 0)
    torch.manual_seed(0)
    model = build_model(window.doc.graph)
    conv = model.get_submodule(compile_info(model).attrs["c1"])
    weight = conv.weight.detach().double().numpy()
    bias = conv.bias.detach().double().numpy()
    assert "untrained" in pg.node_label.text()
    pg.filter_index.setValue(3)
    np.testing.assert_array_equal(pg.kernel.kernel(), weight[3, 0])
    assert pg.kernel.bias_value == bias[3]
    expected = torch.tanh(F.conv2d(t(pg.image), t(weight[3, 0]), torch.tensor(bias[3:4])))
    np.testing.assert_allclose(shown(pg, "output"), expected[0, 0].numpy(), rtol=1e-9)
    np.testing.assert_array_equal(shown(pg, "input"), pg.image)

    # a preset kernel, with the node's activation still applied
    pg.kernel.preset.setCurrentText("Edge")
    pg.kernel.preset.activated.emit(pg.kernel.preset.currentIndex())
    edge = np.array(PRESETS["Edge"], dtype=float)
    expected = torch.tanh(F.conv2d(t(pg.image), t(edge)))[0, 0].numpy()
    np.testing.assert_allclose(shown(pg, "output"), expected, rtol=1e-9)
    np.testing.assert_array_equal(shown(pg, "kernel"), edge)

    # the worked example: 6x6 * 3x3 = 4x4, each cell's sum from the grids' own numbers
    w = pg.worked
    assert "6x6 * 3x3 = 4x4" in w.caption.text()
    assert (w.input_table.rowCount(), w.input_table.columnCount()) == (6, 6)
    assert [[w.kernel_table.item(r, c).text() for c in range(3)] for r in range(3)] == \
        [[fmt(v) for v in row] for row in edge]
    assert (w.output_table.rowCount(), w.output_table.columnCount()) == (4, 4)
    r0, c0 = w.origin
    for i in range(4):
        for j in range(4):
            crop = pg.image[r0 + i:r0 + i + 3, c0 + j:c0 + j + 3]
            value = float(np.tanh((crop * edge).sum()))
            assert value == pytest.approx(expected[r0 + i, c0 + j], abs=1e-12)
            assert w.cells[i][j].value == pytest.approx(value, abs=1e-12)
            assert w.output_table.item(i, j).text() == fmt(w.cells[i][j].value)
            products = re.findall(r"(-?[\d.e+-]+)×\(?(-?[\d.]+)\)?", w.cells[i][j].text())
            assert products == [(w.input_value(r0 + i + a, c0 + j + b), fmt(edge[a, b]))
                                for a in range(3) for b in range(3)]
            assert w.output_table.item(i, j).toolTip().endswith(f"= {fmt(value)}")

    # clicking an output cell highlights its 3x3 window and writes its formula
    rect = w.output_table.visualItemRect(w.output_table.item(2, 3))
    qtbot.mouseClick(w.output_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.chosen == (2, 3)
    lit = {(r, c) for r in range(6) for c in range(6)
           if w.input_table.item(r, c).background() == HIGHLIGHT}
    assert lit == {(2 + a, 3 + b) for a in range(3) for b in range(3)}
    cell = w.cells[2][3]
    assert w.formula.text() == f"out[{cell.row}, {cell.col}] = {cell.text()}"
    assert (cell.row, cell.col) == (pg.region_row.value() + 2, pg.region_col.value() + 3)
    rect = w.output_table.visualItemRect(w.output_table.item(1, 0))  # hovering is enough
    qtbot.mouseMove(w.output_table.viewport(), rect.center())
    qtbot.waitUntil(lambda: w.chosen == (1, 0))
    assert w.formula.text().startswith(f"out[{w.cells[1][0].row}, {w.cells[1][0].col}] = ")

    # clicking the output picture moves the worked example there
    item = pg.maps.items["output"]
    at = pg.maps.mapFromScene(item.mapToScene(QPointF(12.5, 10.5)))
    qtbot.mouseClick(pg.maps.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert (pg.region_row.value(), pg.region_col.value()) == (8, 10)
    assert (w.cells[0][0].row, w.cells[0][0].col) == (8, 10)
    pg.centre_on_image()
    w.choose(2, 3)
    pg.resize(1280, 860)
    for _ in range(5):
        QApplication.processEvents()
    assert pg.grab().toImage().save(str(shots / "playground.png"))


@pytest.mark.parametrize("operation,reference", [
    ("Average pooling", lambda x: F.avg_pool2d(x, 2, 2)),
    ("Max pooling", lambda x: F.max_pool2d(x, 2, 2)),
    ("Min pooling", lambda x: -F.max_pool2d(-x, 2, 2))])
def test_pooling_modes(qtbot: Any, window: MainWindow, operation: str, reference: Any) -> None:
    assert window.open_preset("lenet5")
    pg = open_from_inspector(qtbot, window, "s2")
    assert pg.settings.operation.currentText() == "Average pooling"
    assert pg.kernel.kernel().shape == (2, 2) and pg.settings.values()["stride"] == (2, 2)
    pg.use_sample("MNIST digit 7")
    pg.settings.operation.setCurrentText(operation)
    np.testing.assert_allclose(shown(pg, "output"), reference(t(pg.image))[0, 0].numpy(),
                               rtol=1e-12)
    w = pg.worked
    assert re.search(r"8x8 \w+ 2x2 = 4x4", w.caption.text())
    op = pg.settings.op
    for i in range(4):
        for j in range(4):
            cell = w.cells[i][j]
            window_values = pg.image[2 * cell.row:2 * cell.row + 2, 2 * cell.col:2 * cell.col + 2]
            value = {"max": np.max, "min": np.min, "avg": np.mean}[op](window_values)
            assert cell.value == pytest.approx(value, abs=1e-12)
            assert cell.text().endswith(f"= {fmt(cell.value)}")
    # padding and ceil mode through the form: the compiled node's rule
    pg.settings.padding.setCurrentText("pixels")
    pg.settings.ceil_mode.setChecked(True)
    expected = {"avg": F.avg_pool2d(t(pg.image), 2, 2, 1, True),
                "max": F.max_pool2d(t(pg.image), 2, 2, 1, ceil_mode=True),
                "min": -F.max_pool2d(-t(pg.image), 2, 2, 1, ceil_mode=True)}[op]
    np.testing.assert_allclose(shown(pg, "output"), expected[0, 0].numpy(), rtol=1e-12)
    if op == "avg":
        pg.settings.count_pad.setChecked(False)
        expected = F.avg_pool2d(t(pg.image), 2, 2, 1, True, count_include_pad=False)
        np.testing.assert_allclose(shown(pg, "output"), expected[0, 0].numpy(), rtol=1e-12)
        pg.centre_region(0, 0)
        corner = pg.worked.cells[0][0]
        assert corner.divisor == 1 and corner.text() == f"({fmt(pg.image[0, 0])}) / 1 = " \
            f"{fmt(pg.image[0, 0])}"


def test_trained_filters_from_a_run(qtbot: Any, window: MainWindow, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    run.mkdir()
    project = Project(design(kernel=3), "tiny")
    save(project, run / "project.cnnproj")
    torch.manual_seed(1)
    train(build_model(project.graph, for_training=True), blobs(tmp_path / "blobs.npz"),
          TrainConfig(epochs=1, batch_size=32, device="cpu"), run, input_shape=(1, 8, 8))
    window.set_document(Document(project))
    window.training.run_dir = run
    pg = open_from_inspector(qtbot, window, "conv")
    untrained = pg.kernel.kernel()
    pg.source.setCurrentText(PANEL_RUN)
    pg.source.activated.emit(pg.source.currentIndex())
    qtbot.waitUntil(lambda: "trained: run run" in pg.node_label.text(), timeout=TIMEOUT_MS)
    name = "best" if (run / "checkpoints" / "best.safetensors").is_file() else "last"
    saved = read_tensors(run / "checkpoints" / f"{name}.safetensors")
    pg.filter_index.setValue(2)
    np.testing.assert_array_equal(pg.kernel.kernel(), saved["conv.weight"][2, 0].double().numpy())
    assert not np.array_equal(untrained, saved["conv.weight"][0, 0].double().numpy())
    assert pg.kernel.bias_value == float(saved["conv.bias"][2].double())

    # a folder that is not a run: a message, the filters stay
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(tmp_path)))
    pg.source.setCurrentText(OTHER_RUN)
    pg.source.activated.emit(pg.source.currentIndex())
    qtbot.waitUntil(lambda: "not a run folder" in pg.info.text(), timeout=TIMEOUT_MS)
    assert str(tmp_path) in pg.info.text()


def test_images_typed_kernels_and_menus(qtbot: Any, window: MainWindow,
                                        tmp_path: Path) -> None:
    window.actions["playground"].trigger()  # Tools > Convolution Playground...
    pg = window.findChild(Playground)
    assert pg is not None and pg.isVisible()
    assert "Tools" in [a.text().replace("&", "") for a in window.menuBar().actions()]
    big = tmp_path / "photo.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)).save(big)
    assert pg.use_file(big)
    assert max(pg.image.shape) == MAX_SIDE and pg.image.ndim == 2
    assert "shrunk from 400 x 300" in pg.image_note.text()
    assert pg.rgb is not None and pg.rgb.shape == (3, *pg.image.shape)  # its colours kept
    grey_rgb = tmp_path / "grey.png"  # a grey picture saved as colour counts as grey
    Image.fromarray(np.repeat(rng.integers(0, 255, (20, 30, 1), dtype=np.uint8), 3, 2)).save(
        grey_rgb)
    assert pg.use_file(grey_rgb) and pg.rgb is None and pg.image.shape == (20, 30)
    bad = tmp_path / "not_an_image.png"
    bad.write_text("hello")
    assert not pg.use_file(bad)
    assert "not_an_image.png" in pg.info.text() and "cannot be used" in pg.info.text()
    assert not pg.use_file(tmp_path)  # a folder
    bomb = tmp_path / "bomb.png"  # more pixels than the image loaders' limit
    Image.new("1", (10_000, 9_000)).save(bomb)
    assert not pg.use_file(bomb)
    assert "bomb.png" in pg.info.text() and "pixels" in pg.info.text()

    # the kernel typed as numbers
    pg.use_sample("MNIST digit 3")
    pg.kernel.table.item(1, 1).setText("2")
    assert pg.kernel.kernel()[1, 1] == 2
    np.testing.assert_allclose(shown(pg, "output"),
                               correlate(pg.image[None], pg.kernel.kernel()[None, None])[0])
    pg.kernel.table.item(0, 0).setText("abc")
    assert "row 1, column 1" in pg.info.text() and pg.kernel.kernel()[0, 0] == -1

    # a window that does not fit: the shape engine's message, no output
    pg.kernel.rows.setValue(11)
    pg.kernel.cols.setValue(11)
    pg.settings.dilation[0].setValue(3)
    assert "larger than its input" in pg.info.text()
    assert pg.output is None and pg.maps.items["output"].image is None

    # Open in Playground on a node that slides no window: a status message
    assert window.open_preset("lenet5")
    window.scene.select_nodes([node_id(window, "flatten")])
    assert window.inspector.playground_button is None
    window.actions["playground_node"].trigger()
    assert "convolution and pooling nodes" in window.statusBar().currentMessage()
    window.scene.select_nodes([node_id(window, "c3")])  # the canvas context menu's action
    assert window.actions["playground_node"] in window.view.context_actions
    window.actions["playground_node"].trigger()
    qtbot.waitUntil(lambda: "16 filter(s) over 6 input channel(s)" in pg.node_label.text(),
                    timeout=TIMEOUT_MS)
    assert pg.node == ("c3", "Conv2d") and pg.kernel.kernel().shape == (5, 5)
    # the Node list: the open design's Conv and pooling nodes
    choice = pg.node_choice
    assert [choice.itemText(i) for i in range(choice.count())] == \
        [NO_NODE, "c1", "s2", "c3", "s4"]
    choice.setCurrentText("s4")
    choice.activated.emit(choice.currentIndex())
    assert pg.node == ("s4", "AvgPool2d") and pg.settings.op == "avg"
    choice.setCurrentText(NO_NODE)
    choice.activated.emit(choice.currentIndex())
    assert pg.node is None and "No node" in pg.node_label.text()


def test_closing_while_filters_load(qtbot: Any, window: MainWindow,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A load in flight when the playground or the main window goes: no thread destroyed
    while running (that aborts the process), none left behind."""
    release = threading.Event()
    real = loader.node_filters

    def held(*args: Any) -> dict[str, Any]:  # the real load, once the test lets it go
        release.wait(TIMEOUT_MS / 1000)
        return real(*args)

    monkeypatch.setattr(loader, "node_filters", held)
    assert window.open_preset("lenet5")
    pg = open_playground(window, node_id(window, "c1"))
    assert pg is not None and pg.loading
    pg.deleteLater()  # the playground, its loader and their Python objects go
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    del pg
    gc.collect()
    assert window.findChild(Playground) is None and len(loader._LIVE) == 1
    release.set()
    qtbot.waitUntil(lambda: not loader._LIVE, timeout=TIMEOUT_MS)

    release.clear()
    window.show()
    pg = open_playground(window, node_id(window, "c3"))
    assert pg is not None and pg.loading
    threading.Timer(0.2, release.set).start()  # while the GUI thread waits in close
    window.close()  # the main window closing waits for the load (bounded) before it goes
    assert not pg.loading and not loader._LIVE


def colour_design() -> Project:
    """A CIFAR-style first layer: 3x32x32 -> conv1 (8 filters 5x5, stride 2, padding 2,
    relu) -> global average pool -> 10 classes."""
    b = GraphBuilder()
    x = b.input(3, 32, 32)
    x = b.add("Conv2d", x, name="conv1", filters=8, kernel=5, stride=2, padding=(2, 2),
              activation="relu")
    x = b.add("GlobalAvgPool", x, name="pool")
    b.add("Dense", x, name="fc", units=10)
    return Project(b.graph, "colour")


def feature_map(project: Project, x: np.ndarray) -> np.ndarray:
    """conv1's output in the compiled model (seed 0, as the playground's untrained filters)
    for the image ``x`` (C, H, W), float32 as the app runs it."""
    torch.manual_seed(0)
    model = build_model(project.graph).eval()
    with torch.no_grad():
        out = node_outputs(model, torch.from_numpy(x).float()[None])["conv1"]
    return out[0].double().numpy()


def test_all_input_channels_of_a_colour_conv(qtbot: Any, window: MainWindow,
                                             tmp_path: Path) -> None:
    project = colour_design()
    window.set_document(Document(project))
    pg = open_from_inspector(qtbot, window, "conv1")
    qtbot.waitUntil(lambda: pg.filters is not None, timeout=TIMEOUT_MS)
    assert "8 filter(s) over 3 input channel(s)" in pg.node_label.text()
    assert pg.all_channels.isEnabled() and pg.all_channels.isChecked()  # the default
    assert not pg.kernel.isEnabled()  # no typing into a node's 3-channel filter

    # the colour sample: each filter over R, G and B is the node's feature map
    pg.use_sample(COLOUR_PATTERN)
    assert pg.rgb is not None and pg.rgb.shape == (3, 48, 48)
    theirs = feature_map(project, pg.rgb)
    for f in (0, 5):
        pg.filter_index.setValue(f)
        np.testing.assert_allclose(shown(pg, "output"), theirs[f], atol=1e-5)
    assert shown(pg, "input").shape == (48, 48, 3)  # shown in colour
    weight = pg.filters["weight"]
    kernel_picture = shown(pg, "kernel")  # the three slices side by side, a gap between
    np.testing.assert_array_equal(kernel_picture, tiles(weight[5]))
    np.testing.assert_array_equal(kernel_picture[:, 6:11], weight[5, 1])
    assert np.isnan(kernel_picture[:, 5]).all()

    # the worked example: 3 channel sums, then their total with the bias
    w = pg.worked
    assert "x3 * 5x5x3 = 4x4" in w.caption.text()
    bias = float(pg.filters["bias"][5])
    for i in range(4):
        for j in range(4):
            cell = w.cells[i][j]
            sums = cell.channel_sums()
            assert [c for c, _ in sums] == [0, 1, 2]
            assert cell.value == pytest.approx(theirs[5, cell.row, cell.col], abs=1e-5)
            assert sum(v for _, v in sums) + bias == pytest.approx(cell.total, abs=1e-12)
    w.choose(1, 2)
    cell = w.cells[1][2]
    text = w.formula.text()
    parts = re.findall(r"([RGB]): [^=]+ = (-?[\d.e+-]+)", text)
    assert [name for name, _ in parts] == ["R", "G", "B"]
    assert [v for _, v in parts] == [fmt(v) for _, v in cell.channel_sums()]
    added = " + ".join(f"({fmt(v)})" if v < 0 else fmt(v) for _, v in cell.channel_sums())
    assert f";  {added} + " in text and f" = {fmt(cell.total)};" in text
    assert text.endswith(f"relu({fmt(cell.total)}) = {fmt(cell.value)}")
    # the grids show one channel (Input channel): G's crop and slice
    pg.channel.setValue(1)
    assert "input channel G" in w.caption.text()
    r0, c0 = w.origin
    g_crop = [t for t in w.cells[0][0].terms if t.channel == 1 and not t.padding]
    assert all(w.input_value(t.row, t.col) == fmt(pg.rgb[1, t.row, t.col]) for t in g_crop)
    assert [[w.kernel_table.item(r, c).text() for c in range(5)] for r in range(5)] == \
        [[fmt(v) for v in row] for row in weight[5, 1]]
    assert r0 <= min(t.row for t in g_crop)

    # a CIFAR-10 image (32x32 RGB): the feature map the compiled model computes for it
    if CIFAR.is_dir():
        image = sorted((CIFAR / "frog").glob("*.png"))[0]
        assert pg.use_file(image) and pg.rgb is not None
        with Image.open(image) as img:
            rgb = np.moveaxis(np.asarray(img.convert("RGB"), np.float64) / 255.0, -1, 0)
        theirs = feature_map(project, rgb)
        for f in range(8):
            pg.filter_index.setValue(f)
            np.testing.assert_allclose(shown(pg, "output"), theirs[f], atol=1e-5)

    # a grey image: given to each of the three channels, and said so
    pg.use_sample("MNIST digit 7")
    assert pg.rgb is None and "each of the 3 input channels" in pg.info.text()
    pg.filter_index.setValue(2)
    theirs = feature_map(project, np.repeat(pg.image[None], 3, axis=0))
    np.testing.assert_allclose(shown(pg, "output"), theirs[2], atol=1e-5)

    # off: the Input channel's slice on the grey image, as before
    pg.all_channels.setChecked(False)
    assert pg.kernel.isEnabled()
    np.testing.assert_array_equal(pg.kernel.kernel(), weight[2, 1])
    expected = torch.relu(F.conv2d(t(pg.image), t(weight[2, 1]),
                                   torch.tensor(pg.filters["bias"][2:3]), 2, 2))
    np.testing.assert_allclose(shown(pg, "output"), expected[0, 0].numpy(), rtol=1e-9)
    assert len(pg.worked.cells[0][0].channel_sums()) == 1
    if not CIFAR.is_dir():
        pytest.skip(f"the CIFAR-10 images are not at {CIFAR}: the colour sample was checked")
