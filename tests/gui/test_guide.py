"""The user guide (docs/guide, Help > Guide) cannot rot.

Each chapter's claims are driven through the real app, offscreen: the tour (welcome page, a
preset on the canvas), LeNet-5 built by hand with the palette and Tab, the shape arithmetic
and an error that a fix clears, the presets, training with the live curves and results, the
export dialog, and pretrained weights with the backbone frozen. With
``--screenshots docs`` the same run saves the guide's pictures (docs/guide/*.png) and the
README's (docs/screenshot.png):

    pytest tests/gui/test_guide.py tests/gui/test_journey.py --screenshots docs

Without the option the pictures go to a temporary folder. Other tests check the guide's text:
every picture it shows exists (and every picture in its folder is shown), every chapter is in
the index, links stay inside the guide, ``layer:KIND`` links name real kinds, and every
``cnnstudio ...`` command it quotes parses. Help > Guide (F1) opens the viewer
(``cnnstudio.gui.guide``), whose links, pictures and contents list work; the guide is found
through the package's resources, where the wheel carries it (tests/test_wheel_resources.py).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QApplication, QWidget

from cnnstudio.cli import COMMANDS, build_parser
from cnnstudio.core.layers import LAYERS
from cnnstudio.gui.export_dialog import FORMATS
from cnnstudio.gui.guide import INDEX, GuideWindow, chapters, guide_dir
from cnnstudio.gui.main_window import MainWindow
from tests.gui.test_canvas import drop_kind

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "guide"
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


def capture(widget: QWidget, path: Path) -> QImage:
    for _ in range(5):
        QApplication.processEvents()
    image = widget.grab().toImage()
    assert image.save(str(path))
    return image


def varied(image: QImage) -> bool:
    """More than a blank rectangle: many distinct colours."""
    small = image.scaled(120, 80)
    colours = {small.pixel(x, y) for x in range(small.width()) for y in range(small.height())}
    return len(colours) > 20


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

    # chapter 3: the arithmetic of the selected node, in the inspector and on the canvas
    explanation = window.inspector.explanation.text()
    assert "H_out = floor((28 - 5 + 2*2) / 1) + 1 = 28" in explanation
    window.scene.select_nodes([ids["c3"]])
    assert "H_out = floor((14 - 5 + 2*0) / 1) + 1 = 10" in window.inspector.explanation.text()
    assert "params = (5*5*6 + 1) * 16 = 2,416" in window.inspector.explanation.text()
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


# ------------------------------------------------------------ the guide's text
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
FENCE = re.compile(r"```(?:bash)?\n(.*?)```", re.DOTALL)
SPAN = re.compile(r"`(cnnstudio(?: [^`]*)?)`")
#: placeholders the guide writes in commands, and a real value each stands for
PLACEHOLDERS = {"COMMAND": "train", "KIND": "Conv2d"}
TORCHRUN_FLAGS = {"--standalone", "--nproc-per-node"}


def pages() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(GUIDE.glob("*.md"))}


def test_every_chapter_is_in_the_index_and_every_picture_and_link_resolves() -> None:
    texts = pages()
    listed = [name for _, name in chapters(GUIDE)]
    assert listed == sorted(set(texts) - {INDEX})  # each chapter once, in file order
    assert len(listed) == 9
    shown_pictures: set[str] = set()
    for name, text in texts.items():
        for bang, label, target in LINK.findall(text):
            where = f"{name}: {target}"
            if bang:
                assert label, f"{where}: a picture needs a description"
                assert (GUIDE / target).is_file(), f"{where}: no such picture"
                shown_pictures.add(target)
            elif target.startswith("layer:"):
                assert target[6:] in LAYERS, f"{where}: no such layer kind"
            elif target.startswith(("http://", "https://")):
                continue
            else:  # another page of the guide: it must ship with the package
                page = target.split("#")[0]
                assert "/" not in page and page in texts, f"{where}: not a page of the guide"
    assert shown_pictures == {p.name for p in GUIDE.glob("*.png")}  # none stale, none missing
    for name in listed:  # every chapter points to the next, the last back to the index
        assert LINK.search(texts[name]) is not None


def guide_commands() -> list[tuple[str, list[str]]]:
    """``(page, argv after "cnnstudio")`` for every command the guide quotes."""
    found = []
    for name, text in pages().items():
        lines: list[str] = []
        for block in FENCE.findall(text):
            lines += [line.split(" #")[0].strip() for line in
                      block.replace("\\\n", " ").splitlines()]
        lines += SPAN.findall(text)
        for line in lines:
            words = shlex.split(line)
            if words[:1] == ["torchrun"]:
                assert "-m" in words and words[words.index("-m") + 1] == "cnnstudio", line
                assert {w for w in words if w.startswith("--")} & TORCHRUN_FLAGS
                words = words[words.index("-m") + 1:]
            if words[:1] != ["cnnstudio"]:
                continue
            found.append((name, [PLACEHOLDERS.get(w, w) for w in words[1:]]))
    return found


def test_every_cnnstudio_command_in_the_guide_parses(capsys: pytest.CaptureFixture[str]) -> None:
    from cnnstudio.__main__ import PROJECT_SUFFIXES

    commands = guide_commands()
    assert len(commands) >= 30
    assert {"train", "export", "predict", "summary", "validate", "layer"} <= {
        argv[0] for _, argv in commands if argv}
    for page, argv in commands:
        if not argv or Path(argv[0]).suffix in PROJECT_SUFFIXES:
            continue  # `cnnstudio` alone, or with a project file: opens the app
        if len(argv) == 1 and argv[0] in COMMANDS:
            continue  # a command named in a sentence
        assert not any(w.isupper() and w.isalpha() for w in argv), (page, argv)
        try:
            build_parser().parse_args(argv)
        except SystemExit as exc:  # --help prints and exits 0; a usage error exits 2
            assert exc.code == 0 and "--help" in argv, (
                f"{page}: `cnnstudio {' '.join(argv)}` does not parse: "
                f"{capsys.readouterr().err.strip()}")


def test_every_flag_the_guide_names_is_real() -> None:
    parser = build_parser()
    flags = {o for a in parser._actions for o in a.option_strings}
    for action in parser._actions:
        for sub in getattr(action, "choices", None) or {}:
            flags |= {o for a in action.choices[sub]._actions for o in a.option_strings}
    for name, text in pages().items():
        for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]+", text):
            assert flag in flags | TORCHRUN_FLAGS, f"{name} names {flag}, which is no option"


# ------------------------------------------------------------ Help > Guide
def test_help_guide_opens_the_chapters_with_their_pictures_and_links(
        qtbot: Any, window: MainWindow) -> None:
    from cnnstudio.gui.panels.layer_help import LayerHelpDialog

    assert guide_dir().resolve() == GUIDE.resolve()  # the package finds docs/guide
    action = window.actions["guide"]
    assert action.shortcut().toString() == "F1"
    help_menu = window.menuBar().actions()[-1].menu()
    assert action in help_menu.actions()
    window.show()
    action.trigger()
    guide = window.actions.guide
    assert isinstance(guide, GuideWindow) and guide.isVisible()
    action.trigger()
    assert window.actions.guide is guide  # one window, brought to the front
    assert guide.chapter == INDEX
    titles = [guide.contents.item(i).text() for i in range(guide.contents.count())]
    assert titles[0] == "Contents" and len(titles) == len(chapters(GUIDE)) + 1
    assert titles[3] == "3. Reading the shape arithmetic, fixing an error"
    assert "The CNN Studio guide" in guide.browser.toPlainText()

    guide.contents.setCurrentRow(1)  # 1. A tour of the window
    assert guide.chapter == "01-tour.md"
    assert "A tour of the window" in guide.browser.toPlainText()
    pictures = [(f.name(), f.width()) for f in picture_formats(guide.browser.document())]
    assert [name for name, _ in pictures] == ["tour-welcome.png", "tour-window.png"]
    room = guide.browser.viewport().width()
    assert all(0 < width <= room for _, width in pictures)  # found, and scaled to the page
    image = guide.browser.loadResource(QTextDocument.ResourceType.ImageResource,
                                       QUrl("tour-window.png"))
    assert not QImage.fromData(image).isNull()

    guide.follow(QUrl("02-lenet5-by-hand.md"))  # a link to the next chapter
    assert guide.chapter == "02-lenet5-by-hand.md"
    assert guide.contents.currentRow() == 2 and guide.back.isEnabled()
    guide.follow(QUrl("layer:Conv2d"))  # a layer kind: its help page
    assert isinstance(guide.layer_help, LayerHelpDialog)
    assert guide.layer_help.isVisible() and guide.layer_help.kind == "Conv2d"
    assert "H_out = floor((H - F + 2P) / S) + 1" in guide.layer_help.browser.toPlainText()
    guide.follow(QUrl("../architecture.md"))  # outside the guide: refused, page kept
    assert guide.chapter == "02-lenet5-by-hand.md"
    assert "Not a page of the guide" in guide.status.text()
    guide.back.click()
    assert guide.chapter == "01-tour.md" and guide.contents.currentRow() == 1
    guide.close()


def picture_formats(doc: QTextDocument) -> list[Any]:
    found = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                found.append(fmt.toImageFormat())
            it += 1
        block = block.next()
    return found
