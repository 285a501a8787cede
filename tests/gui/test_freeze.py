"""Freeze / Unfreeze nodes and groups (issue #10): the canvas context menu and the Edit menu,
one undo step, the frozen look on the canvas, trainable counts in the summary, the
inspector's Trainable checkbox, the project file and the compiled model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem

from cnnstudio.gui.document import Document
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.panels.summary import TRAINABLE
from tests.gui.conftest import Dialogs, chain_graph, open_graph, residual_graph

CONV1_PARAMS = 8 * 1 * 3 * 3 + 8  # chain_graph's conv1: 1 -> 8 channels, 3x3


def render(window: MainWindow, item: QGraphicsItem) -> QImage:
    """The scene's pixels under ``item``."""
    rect = item.sceneBoundingRect()
    image = QImage(int(rect.width()), int(rect.height()), QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    window.scene.render(painter, QRectF(image.rect()), rect)
    painter.end()
    return image


def menu_action(window: MainWindow, item: QGraphicsItem, text: str) -> QAction:
    """Open the canvas context menu over ``item`` and return its action named ``text``."""
    window.view.centerOn(item)
    pos = window.view.mapFromScene(item.sceneBoundingRect().center())
    menu = window.view.context_menu(pos)
    assert menu is not None
    found = [a for a in menu.actions() if a.text().replace("&", "") == text]
    assert len(found) == 1, [a.text() for a in menu.actions()]
    return found[0]


def trainable(doc: Document) -> dict[str, bool]:
    return {n.name: n.trainable for n in doc.graph.nodes.values()}


def totals(window: MainWindow) -> str:
    window.summary.refresh()
    return window.summary.totals.text()


def test_freeze_a_node_from_the_context_menu(qtbot: Any, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    doc = open_graph(window, chain_graph())
    conv1 = doc.graph.by_name("conv1").id
    item = window.scene.nodes[conv1]
    window.scene.select_nodes([doc.graph.by_name("conv2").id])
    assert not item.frozen and not item.frozen_badge.isVisible()
    assert "frozen 0)" in totals(window)
    action = menu_action(window, item, "Freeze")
    # right-clicking an unselected node selects it alone
    assert window.scene.selected_node_ids() == [conv1]
    plain = render(window, item)
    action.trigger()
    assert trainable(doc) == {"image": True, "conv1": False, "conv2": True, "flatten": True,
                              "fc": True}
    assert doc.undo_stack.count() == 1 and doc.modified
    assert item.frozen and item.frozen_badge.isVisible()
    assert render(window, item) != plain
    assert f"frozen {CONV1_PARAMS:,})" in totals(window)
    row = window.summary.model.row_of(conv1)
    assert window.summary.model.index(row, TRAINABLE).data() == f"0 (frozen {CONV1_PARAMS})"
    conv2_row = window.summary.model.row_of(doc.graph.by_name("conv2").id)
    assert window.summary.model.index(conv2_row, TRAINABLE).data() == "1,168"
    doc.undo_stack.undo()
    assert all(trainable(doc).values()) and not doc.modified
    assert not item.frozen and not item.frozen_badge.isVisible()
    assert render(window, item) == plain
    assert "frozen 0)" in totals(window)
    doc.undo_stack.redo()
    assert not doc.graph.nodes[conv1].trainable and item.frozen
    menu_action(window, item, "Unfreeze").trigger()
    assert all(trainable(doc).values()) and doc.undo_stack.count() == 2


def test_freeze_a_collapsed_group(qtbot: Any, window: MainWindow) -> None:
    doc = open_graph(window, residual_graph())
    ids = {n.name: n.id for n in doc.graph.nodes.values()}
    doc.set_trainable(ids["conv_a"], False)  # frozen before: undo must keep it frozen
    doc.set_collapsed(["block"], True)
    group = window.scene.groups["block"]
    assert group.frozen_text == "1 of 2 frozen" and group.frozen_badge.partial
    assert group.detail.startswith("1 of 2 frozen") and not group.frozen
    steps = doc.undo_stack.count()
    action = menu_action(window, group, "Freeze")
    assert group.isSelected()
    partial = render(window, group)
    action.trigger()
    assert doc.undo_stack.count() == steps + 1
    # the weighted members froze; the Add inside and the nodes outside did not change
    assert trainable(doc) == {"image": True, "stem": True, "conv_a": False, "conv_b": False,
                              "add": True, "pool": True, "fc": True}
    assert group.frozen and group.frozen_text == "2 of 2 frozen"
    assert group.frozen_badge.isVisible() and not group.frozen_badge.partial
    assert render(window, group) != partial
    doc.undo_stack.undo()
    assert not doc.graph.nodes[ids["conv_a"]].trainable  # its previous flag
    assert doc.graph.nodes[ids["conv_b"]].trainable
    assert group.frozen_text == "1 of 2 frozen" and render(window, group) == partial
    doc.undo_stack.redo()
    menu_action(window, group, "Unfreeze").trigger()
    assert all(trainable(doc).values())
    assert group.frozen_text == "" and not group.frozen_badge.isVisible()


def test_freeze_from_the_edit_menu_on_an_expanded_group(window: MainWindow) -> None:
    doc = open_graph(window, residual_graph())
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    assert window.actions["freeze"] in edit.actions()
    assert window.actions["unfreeze"] in edit.actions()
    members = doc.groups()["block"]
    window.scene.select_nodes(members)
    window.actions["freeze"].trigger()
    frozen = {doc.graph.nodes[m].name for m in members if not doc.graph.nodes[m].trainable}
    assert frozen == {"conv_a", "conv_b"} and doc.undo_stack.count() == 1
    assert all(window.scene.nodes[m].frozen == (m in (doc.graph.by_name("conv_a").id,
                                                       doc.graph.by_name("conv_b").id))
               for m in members)
    # nothing weighted selected: no undo step, a hint in the status bar
    window.scene.select_nodes([doc.graph.by_name("pool").id])
    window.actions["freeze"].trigger()
    assert doc.undo_stack.count() == 1
    assert "Nothing to freeze" in window.statusBar().currentMessage()


def test_inspector_checkbox_is_the_same_undoable_freeze(window: MainWindow) -> None:
    doc = open_graph(window, chain_graph())
    ins = window.inspector
    conv2 = doc.graph.by_name("conv2").id
    ins.set_node(doc.graph.by_name("flatten").id)
    assert ins.trainable is not None and not ins.trainable.isEnabled()
    ins.set_node(conv2)
    assert ins.trainable is not None and ins.trainable.isEnabled() and ins.trainable.isChecked()
    ins.trainable.setChecked(False)
    assert not doc.graph.nodes[conv2].trainable and window.scene.nodes[conv2].frozen
    assert doc.undo_stack.undoText() == "Freeze conv2"
    doc.undo_stack.undo()
    assert ins.trainable.isChecked() and not window.scene.nodes[conv2].frozen


def test_frozen_flags_survive_save_and_reopen(window: MainWindow, dialogs: Dialogs,
                                              tmp_path: Path) -> None:
    doc = open_graph(window, residual_graph())
    doc.set_collapsed(["block"], True)
    window.scene.select_groups(["block"])
    window.actions["freeze"].trigger()
    dialogs.save_path = str(tmp_path / "frozen")
    assert window.save() and not doc.modified
    assert window.open_file(tmp_path / "frozen.cnnproj")
    reopened = window.doc
    assert reopened is not None and reopened is not doc
    frozen = {n.name for n in reopened.graph.nodes.values() if not n.trainable}
    assert frozen == {"conv_a", "conv_b"}
    assert window.scene.groups["block"].frozen_text == "2 of 2 frozen"
    window.expand_all()
    assert window.scene.nodes[reopened.graph.by_name("conv_a").id].frozen
    assert "frozen 4,640)" in totals(window)  # two 16 -> 16 3x3 convolutions


def test_compiled_model_does_not_train_frozen_nodes(qtbot: Any, window: MainWindow) -> None:
    from cnnstudio.compiler import build_model

    doc = open_graph(window, chain_graph())
    window.scene.select_nodes([doc.graph.by_name("conv1").id])
    window.actions["freeze"].trigger()
    model = build_model(doc.graph, for_training=True)
    grads = {name: p.requires_grad for name, p in model.named_parameters()}
    assert grads == {"conv1.weight": False, "conv1.bias": False, "conv2.weight": True,
                     "conv2.bias": True, "fc.weight": True, "fc.bias": True}
