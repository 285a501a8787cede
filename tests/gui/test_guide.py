"""The user guide (docs/guide) tells the truth about the app, and its pictures are the app's.

Each chapter's claims are driven through the real app, offscreen: the tour (welcome page, a
preset on the canvas), LeNet-5 built by hand with the palette and Tab, the shape arithmetic
the guide quotes and an error that the fix clears, a preset at a new input size, training
with the live curves and results, the export dialog, and pretrained weights with the
backbone frozen. With ``--screenshots docs`` the same run saves the guide's pictures
(docs/guide/*.png) and the README's (docs/screenshot.png):

    pytest tests/gui/test_guide.py tests/gui/test_journey.py --screenshots docs

Without the option the pictures go to a temporary folder. The guide's text (pictures, links,
commands, flags) and the Help > Guide viewer: tests/gui/test_guide_text.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cnnstudio.gui.export_dialog import FORMATS
from cnnstudio.gui.main_window import MainWindow
from tests.gui.screenshots import capture, varied
from tests.gui.test_canvas import drop_kind
from tests.gui.test_guide_text import FENCE, pages

TIMEOUT_MS = 180_000
SIZE = (1100, 700)  # the guide's pictures: small PNGs


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The docs folder when ``--screenshots DIR`` is given, else a temporary one; the guide's
    pictures go to its ``guide/`` folder."""
    folder = request.config.getoption("--screenshots")
    root = Path(folder).resolve() if folder else tmp_path / "docs"
    (root / "guide").mkdir(parents=True, exist_ok=True)
    return root


def shown(qtbot: Any, window: MainWindow, size: tuple[int, int] = SIZE) -> None:
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)


# ---------------------------------------------------------------- 1. the tour
def test_tour_welcome_page_and_a_preset_on_the_canvas(qtbot: Any, window: MainWindow,
                                                      shots: Path) -> None:
    shown(qtbot, window)
    window.actions["welcome"].trigger()
    page = window.welcome.page
    assert page is not None and window.welcome.visible
    assert page.train_button.text() == "Train LeNet-5 on the bundled digits"
    assert page.presets.count() >= 30 and page.examples.count() >= 1
    assert varied(capture(window, shots / "guide" / "tour-welcome.png"))
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    assert window.actions["keras_shapes"] in menus["&View"].actions()
    assert window.actions["playground"] in menus["&Tools"].actions()
    assert window.actions["shortcuts"] in menus["&Help"].actions()
    assert window.actions["welcome"] in menus["&File"].actions()

    # the README's picture: ResNet-18, one residual block expanded, a strided conv selected
    window.resize(1400, 880)
    assert window.open_preset("resnet18")
    doc = window.doc
    assert doc is not None and not window.welcome.visible
    assert {"layer1.0", "layer2.0", "layer4.1"} <= set(doc.groups())
    assert doc.collapsed  # opened grouped by its blocks
    doc.set_collapsed(["layer2.0"], False)
    conv = next(n.id for n in doc.graph.nodes.values() if n.kind == "Conv2d"
                and n.group == "layer2.0" and n.params["stride"] == (2, 2))
    window.scene.select_nodes([conv])
    window.view.resetTransform()
    item = window.scene.nodes[conv]
    window.view.centerOn(item.pos().x() + 150, item.pos().y())
    assert window.inspector.node_id == conv
    assert "H_out = floor((56 - 3 + 2*1) / 2) + 1 = 28" in window.inspector.explanation.text()
    assert varied(capture(window, shots / "screenshot.png"))
    window.resize(*SIZE)
    assert varied(capture(window, shots / "guide" / "tour-window.png"))


# ------------------------------------------- 2. LeNet-5 by hand, 3. the shape arithmetic
#: (kind, name, parameters set in the inspector) for each node after the Input
LENET5 = [
    ("Conv2d", "c1", {"filters": 6, "kernel": 5, "padding": 2, "activation": "tanh"}),
    ("AvgPool2d", "s2", {}),
    ("Conv2d", "c3", {"filters": 16, "kernel": 5, "activation": "tanh"}),
    ("AvgPool2d", "s4", {}),
    ("Flatten", "flatten", {}),
    ("Dense", "c5", {"units": 120, "activation": "tanh"}),
    ("Dense", "f6", {"units": 84, "activation": "tanh"}),
    ("Dense", "output", {"units": 10, "activation": "softmax"}),
]


def look_at(window: MainWindow, node_id: str, zoom: float = 0.75) -> None:
    """Readable boxes (names, shapes, counts) around ``node_id``."""
    window.view.resetTransform()
    window.view.zoom_by(zoom)
    window.view.centerOn(window.scene.item_for(node_id))


def scroll_inspector_down(window: MainWindow) -> None:
    """The inspector's lower part: output, "How it is computed" and the issues."""
    QApplication.processEvents()
    bar = window.inspector.verticalScrollBar()
    bar.setValue(bar.maximum())


def set_in_inspector(window: MainWindow, name: str, value: Any) -> None:
    """Change a parameter through its editor in the inspector, as a user does."""
    editor = window.inspector.editors[name]
    if isinstance(value, str):
        assert editor.combo is not None
        editor.combo.setCurrentText(value)
    elif editor.spec.type == "padding":
        assert editor.combo is not None
        editor.combo.setCurrentText("explicit")
        for spin in editor.spins:
            spin.setValue(value)
    else:
        for spin in editor.spins:
            spin.setValue(value)


def quick_add(qtbot: Any, window: MainWindow, kind: str, typed: str = "") -> str:
    """Tab on the canvas, type the kind (or ``typed``), Enter: the node is added after the
    selected one, fed from it."""
    before = window.scene.selected_node_ids()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)
    popup = window.view.quick_add
    assert popup.isVisible()
    qtbot.keyClicks(popup.search, typed or kind)
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    ids = window.scene.selected_node_ids()
    assert len(ids) == 1 and window.doc is not None
    assert window.doc.graph.nodes[ids[0]].kind == kind
    assert window.doc.graph.input_edge(ids[0], 0).src == before[0]
    return ids[0]


def build_lenet5(qtbot: Any, window: MainWindow) -> dict[str, str]:
    """Chapter 2: File > New, the Input from the palette, then Tab for each layer."""
    window.actions["new"].trigger()
    doc = window.doc
    assert doc is not None and not doc.graph.nodes
    assert drop_kind(window, "Input", window.view.viewport().rect().center())
    ids = {"input": window.scene.selected_node_ids()[0]}
    assert window.inspector.editors["height"].value() == 28  # 1x28x28: MNIST's digits
    for kind, name, params in LENET5:
        nid = quick_add(qtbot, window, kind, "conv" if name == "c1" else "")
        ins = window.inspector
        assert ins.node_id == nid and ins.name_edit is not None
        ins.name_edit.setText(name)
        ins.name_edit.editingFinished.emit()
        for param, value in params.items():
            set_in_inspector(window, param, value)
        ids[name] = nid
    window.actions["layout"].trigger()
    window.actions["fit"].trigger()
    return ids


def test_lenet5_by_hand_then_a_shape_error_and_its_fix(qtbot: Any, window: MainWindow,
                                                       shots: Path) -> None:
    shown(qtbot, window)
    ids = build_lenet5(qtbot, window)
    doc = window.doc
    assert doc is not None
    shapes = {name: window.scene.nodes[nid].shape_text for name, nid in ids.items()}
    assert shapes == {"input": "1x28x28", "c1": "6x28x28", "s2": "6x14x14", "c3": "16x10x10",
                      "s4": "16x5x5", "flatten": "400", "c5": "120", "f6": "84",
                      "output": "10"}
    window.summary.refresh()
    totals = window.summary.totals.text()
    assert "Total params</b> 61,706" in totals and "valid" in totals
    assert doc.undo_stack.count() > len(LENET5)  # every step undoable (History dock)
    window.scene.select_nodes([ids["c1"]])
    look_at(window, ids["s2"])
    assert varied(capture(window, shots / "guide" / "lenet5-built.png"))

    # chapter 3: the arithmetic it quotes is the inspector's, for c1, c3 and s2
    quoted = FENCE.findall(pages()["03-shapes.md"])[:2]
    for name, block in zip(("c1", "c3"), quoted, strict=True):
        window.scene.select_nodes([ids[name]])
        shown_lines = window.inspector.explanation.text().splitlines()
        assert set(block.splitlines()) <= set(shown_lines), (name, block, shown_lines)
    window.scene.select_nodes([ids["s2"]])
    assert "H_out = floor((28 - 2 + 2*0) / 2) + 1 = 14" in window.inspector.explanation.text()
    window.scene.select_nodes([ids["c3"]])
    assert window.inspector.field.text().endswith("Receptive field</b> 14, jump 2, start -2")
    button = window.inspector.playground_button
    assert button is not None and button.text() == "Open in Playground"
    assert window.actions["playground"].text() == "Convolution &Playground..."
    look_at(window, ids["c3"])
    scroll_inspector_down(window)
    assert varied(capture(window, shots / "guide" / "shapes-explained.png"))

    set_in_inspector(window, "kernel", 15)  # too large for the 14x14 map it reads
    badge = window.scene.nodes[ids["c3"]].badge
    assert badge.isVisible()
    tip = badge.toolTip()
    assert "The kernel (15 along H) is larger than its input (14)." in tip
    assert "H_out = floor((14 - 15 + 2*0) / 1) + 1 = 0" in tip and "Fix: " in tip
    assert "larger than its input" in window.inspector.issues.text()
    assert {window.scene.nodes[ids[n]].shape_text for n in ("c3", "s4", "output")} == {"?"}
    window.summary.refresh()
    assert "issue(s)" in window.summary.totals.text()
    scroll_inspector_down(window)
    assert varied(capture(window, shots / "guide" / "shapes-error.png"))

    set_in_inspector(window, "kernel", 5)  # the fix
    assert not badge.isVisible() and window.inspector.issues.text() == ""
    assert window.scene.nodes[ids["flatten"]].shape_text == "400"


# --------------------------------------------------- 5. training, 6. export
def test_training_the_hand_built_lenet5_then_exporting_it(
        qtbot: Any, window: MainWindow, dialogs: Any, tmp_path: Path, shots: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # short relative paths in the pictures
    shown(qtbot, window)
    ids = build_lenet5(qtbot, window)
    dialogs.save_path = str(tmp_path / "lenet5_by_hand.cnnproj")
    window.actions["save_as"].trigger()
    assert (tmp_path / "lenet5_by_hand.cnnproj").is_file()
    panel = window.training
    form = panel.form
    assert list(form.sections) == ["Training", "Optimiser", "Transfer", "Data", "Device"]
    form.dataset.setCurrentText("mnist-sample")  # bundled: 10,000 MNIST digits
    form.runs_folder.setText("runs")
    form.epochs.setValue(3)
    form.device.set_device("cpu")
    window.actions["train_start"].trigger()  # Train > Start Training (F5)
    assert window.docks["training"].isVisible()
    qtbot.waitUntil(lambda: panel.run_dir is not None and not panel.running, timeout=TIMEOUT_MS)
    assert panel.failure is None and panel.result is not None
    run_dir = panel.run_dir
    assert run_dir is not None
    assert run_dir.resolve().parent == (tmp_path / "runs").resolve()
    names = {p.name for p in run_dir.iterdir()}
    assert {"project.cnnproj", "config.json", "history.json", "metrics.json", "metrics.csv",
            "checkpoints"} <= names
    assert {"best.safetensors", "last.safetensors"} <= {
        p.name for p in (run_dir / "checkpoints").iterdir()}
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["data"]["train"], config["data"]["val"], config["data"]["test"]) == (
        8000, 1000, 1000)  # no test part: 10 % for testing, 10 % for validation
    plots = panel.plots
    assert plots.series["val_loss"].n == 3 and plots.series["val_accuracy"].n == 3
    assert plots.series["train_loss"].n >= 3 and plots.best_epoch in (1, 2, 3)
    accuracy = panel.result["test_metrics"]["accuracy"]
    assert accuracy > 0.8  # three epochs of LeNet-5 on 8,100 digits
    assert panel.tabs.currentWidget() is panel.results  # shown when the run ends
    assert panel.results.confusion.rowCount() == 10
    look_at(window, ids["c1"], 0.6)
    assert varied(capture(window, shots / "guide" / "training-results.png"))
    panel.tabs.setCurrentIndex(0)  # Progress: the curves
    plots.refresh()
    assert varied(capture(window, shots / "guide" / "training-curves.png"))

    panel.export_button.click()  # Export... on the run
    dialog = window.export_window
    assert dialog is not None
    dialog.format_box.setCurrentIndex(list(FORMATS).index("onnx"))
    dialog.path_edit.setText("lenet5.onnx")
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and bool(dialog.result or dialog.error),
                    timeout=TIMEOUT_MS)
    assert dialog.error is None and (tmp_path / "lenet5.onnx").is_file()
    assert varied(capture(dialog, shots / "guide" / "export-dialog.png"))
    dialog.close()


# ----------------------------------------------------------------- 4. presets
def test_a_preset_is_an_ordinary_design_checked_at_a_new_input_size(
        qtbot: Any, window: MainWindow, shots: Path) -> None:
    shown(qtbot, window)
    window.fill_presets_menu()  # File > Presets
    titles = [a.text() for a in window.actions.presets_menu.actions()]
    assert len(titles) >= 30 and any("AlexNet" in t for t in titles)
    assert window.open_preset("alexnet")
    doc = window.doc
    assert doc is not None and doc.name == "alexnet"
    image = doc.graph.by_name("input_1").id
    window.scene.select_nodes([image])
    set_in_inspector(window, "height", 32)
    set_in_inspector(window, "width", 32)  # CIFAR-10's size instead of ImageNet's 224
    pool5 = doc.graph.by_name("pool5").id
    assert window.scene.nodes[pool5].badge.isVisible()
    window.scene.select_nodes([pool5])
    issues = window.inspector.issues.text()
    assert "The kernel (3 along H) is larger than its input (1)." in issues
    window.reveal_node(pool5)
    scroll_inspector_down(window)
    assert varied(capture(window, shots / "guide" / "presets-alexnet-32.png"))
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert not window.scene.nodes[pool5].badge.isVisible()


# ------------------------------------------------------------ 7. transfer learning
def test_pretrained_weights_fill_the_form_and_freeze_the_backbone(
        qtbot: Any, window: MainWindow, dialogs: Any, resnet18_weights: Path,
        shots: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    shown(qtbot, window)
    assert window.open_preset("resnet18")
    doc = window.doc
    assert doc is not None
    fc = doc.graph.by_name("fc").id
    doc.set_collapsed(["head"], False)  # double-click a group to expand it
    window.scene.select_nodes([fc])
    set_in_inspector(window, "units", 10)  # a new head for 10 classes
    dialogs.question, dialogs.open_path = QMessageBox.StandardButton.No, str(resnet18_weights)
    window.pretrained.update_enabled()
    window.actions["train_load_weights"].trigger()  # No: a file rather than the hub cache
    dialogs.question = QMessageBox.StandardButton.Yes  # then: freeze the backbone
    qtbot.waitUntil(lambda: window.pretrained.job is None, timeout=TIMEOUT_MS)
    assert not dialogs.errors
    asked = dialogs.asked[-1][1]
    assert "120 tensors from" in asked and "(fresh weights: fc)" in asked
    assert "Freeze the backbone" in asked
    assert window.training.form.fields["weights"].text() == str(resnet18_weights)
    frozen = [n.name for n in doc.graph.nodes.values() if n.spec.has_weights and not n.trainable]
    assert len(frozen) == 40 and "fc" not in frozen
    assert doc.undo_stack.undoText() == "Freeze 40 nodes"
    group = window.scene.groups["layer4.1"]  # folded: "4 of 4 frozen", hatched
    assert (group.frozen_count, group.weighted_count, group.frozen) == (4, 4, True)
    window.summary.refresh()
    assert "trainable 5,130" in window.summary.totals.text()  # fc alone: 512 * 10 + 10
    window.scene.select_nodes([fc])
    look_at(window, doc.graph.by_name("avgpool").id, 0.6)
    assert varied(capture(window, shots / "guide" / "transfer-frozen.png"))
