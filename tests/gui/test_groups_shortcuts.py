"""Groups (collapse a selection, expand, connections kept) and keyboard shortcuts."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from cnnstudio.gui.document import COLLAPSE_ABOVE
from cnnstudio.gui.main_window import MainWindow
from tests.gui.conftest import Dialogs, chain_graph, open_graph, residual_graph, snapshot


def test_group_collapse_and_expand_keep_connections(window: MainWindow) -> None:
    doc = open_graph(window, residual_graph())
    g, scene = doc.graph, window.scene
    edges = set(g.edges)
    ids = {n.name: n.id for n in g.nodes.values()}
    doc.set_collapsed(["block"], True)
    group = scene.groups["block"]
    assert not scene.nodes[ids["conv_a"]].isVisible() and group.isVisible()
    assert set(g.edges) == edges
    # stem feeds conv_a and add (two outer inputs); add feeds pool (one outer output)
    assert set(group.inputs) == {(ids["conv_a"], 0), (ids["add"], 1)}
    assert set(group.outputs) == {ids["add"]}
    inner = scene.edges[(ids["conv_b"], 0)]
    assert not inner.isVisible()
    crossing = scene.edges[(ids["pool"], 0)]
    assert crossing.path().pointAtPercent(0) == group.output_anchor(ids["add"])
    assert "3 nodes" in group.detail and group.shape_text == "16x32x32"
    # connecting from the group's output port connects from the member behind it
    relu = doc.add_node("ReLU")
    assert scene.request_connection(group.outputs[ids["add"]].node_id, relu, 0)
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    scene.expand_group("block")
    assert "block" not in scene.groups and scene.nodes[ids["conv_a"]].isVisible()
    assert inner.isVisible() and set(g.edges) == edges
    assert crossing.path().pointAtPercent(0) == scene.nodes[ids["add"]].output_anchor()


def test_group_a_selection_with_a_name(window: MainWindow, dialogs: Dialogs) -> None:
    doc = open_graph(window, chain_graph())
    g = doc.graph
    before = snapshot(doc)
    window.scene.select_nodes([g.by_name("conv1").id, g.by_name("conv2").id])
    window.group_selection()
    assert doc.groups() == {"Residual block": [g.by_name("conv1").id, g.by_name("conv2").id]}
    item = window.scene.groups["Residual block"]
    assert item.name == "Residual block" and doc.undo_stack.count() == 1
    window.scene.select_nodes([g.by_name("conv1").id])
    assert item.isSelected()
    window.expand_selection()
    assert not window.scene.groups
    window.scene.select_nodes([g.by_name("conv2").id])
    window.collapse_selection()
    assert "Residual block" in window.scene.groups
    window.ungroup_selection()
    assert doc.groups() == {} and not window.scene.groups
    for _ in range(4):
        doc.undo_stack.undo()
    assert snapshot(doc) == before


def test_moving_a_group_moves_its_members(window: MainWindow) -> None:
    doc = open_graph(window, residual_graph())
    doc.set_collapsed(["block"], True)
    group = window.scene.groups["block"]
    conv_a = doc.graph.by_name("conv_a").id
    x, y = doc.graph.nodes[conv_a].position
    group.setPos(group.pos().x() + 100, group.pos().y() + 40)
    window.scene.commit_moves()
    assert doc.graph.nodes[conv_a].position == (x + 100, y + 40)
    assert window.scene.groups["block"].pos() == group.pos()
    doc.undo_stack.undo()
    assert doc.graph.nodes[conv_a].position == (x, y)


def test_large_presets_open_collapsed(window: MainWindow) -> None:
    from cnnstudio.core.presets import PRESETS

    big = next((p for p in ("resnet50", "resnet18") if p in PRESETS), None)
    if big is None:
        return
    assert window.open_preset(big)
    doc = window.doc
    assert doc is not None and len(doc.graph.nodes) > COLLAPSE_ABOVE
    visible = [i for i in [*window.scene.nodes.values(), *window.scene.groups.values()]
               if i.isVisible()]
    assert len(visible) < 40 and window.scene.groups
    assert doc.collapsed == set(doc.groups()) and not doc.modified


def _ready(qtbot: Any, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.view.setFocus()
    qtbot.waitUntil(lambda: window.view.hasFocus(), timeout=2000)


def test_shortcuts(qtbot: Any, window: MainWindow, dialogs: Dialogs, tmp_path: Any) -> None:
    _ready(qtbot, window)
    doc = open_graph(window, chain_graph())
    view, g = window.view, doc.graph
    conv2 = g.by_name("conv2").id
    window.scene.select_nodes([conv2])
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert conv2 not in g.nodes
    qtbot.keyClick(view, Qt.Key.Key_Z, ctrl)
    assert conv2 in g.nodes
    qtbot.keyClick(view, Qt.Key.Key_Z, ctrl | shift)
    assert conv2 not in g.nodes
    qtbot.keyClick(view, Qt.Key.Key_Z, ctrl)
    window.scene.select_nodes([conv2])
    qtbot.keyClick(view, Qt.Key.Key_D, ctrl)
    assert len(g.nodes) == 6 and window.scene.selected_node_ids() != [conv2]
    window.scene.select_nodes([conv2])
    qtbot.keyClick(view, Qt.Key.Key_C, ctrl)
    assert QGuiApplication.clipboard().mimeData().hasFormat("application/x-cnnstudio-nodes")
    qtbot.keyClick(view, Qt.Key.Key_V, ctrl)
    assert len(g.nodes) == 7
    view.resetTransform()
    view.zoom_by(3.0)
    qtbot.keyClick(view, Qt.Key.Key_F)
    assert view.zoom < 3.0
    dialogs.save_path = str(tmp_path / "keys.cnnproj")
    qtbot.keyClick(view, Qt.Key.Key_S, ctrl)
    assert (tmp_path / "keys.cnnproj").is_file() and not doc.modified
    qtbot.keyClick(view, Qt.Key.Key_N, ctrl)
    assert window.doc is not doc and not window.doc.graph.nodes
    dialogs.open_path = str(tmp_path / "keys.cnnproj")
    qtbot.keyClick(window.view, Qt.Key.Key_O, ctrl)
    assert window.doc is not None and len(window.doc.graph.nodes) == 7


def test_delete_key_in_a_text_field_does_not_delete_nodes(qtbot: Any, window: MainWindow) -> None:
    _ready(qtbot, window)
    doc = open_graph(window, chain_graph())
    conv1 = doc.graph.by_name("conv1").id
    window.scene.select_nodes([conv1])
    edit = window.inspector.name_edit
    assert edit is not None
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=2000)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    assert conv1 in doc.graph.nodes


def test_expanding_a_group_makes_room(window: MainWindow) -> None:
    from cnnstudio.core.presets import PRESETS

    if "resnet18" not in PRESETS:
        return
    assert window.open_preset("resnet18")
    doc = window.doc
    assert doc is not None and "layer2.0" in doc.collapsed
    doc.set_collapsed(["layer2.0"], False)
    shown = [i for i in [*window.scene.nodes.values(), *window.scene.groups.values()]
             if i.isVisible()]
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            ra = a.sceneBoundingRect().adjusted(4, 10, -10, -10)
            assert not ra.intersects(b.sceneBoundingRect().adjusted(4, 10, -10, -10))
    doc.undo_stack.undo()
    assert "layer2.0" in window.scene.groups


def test_click_an_edge_and_delete_it(qtbot: Any, window: MainWindow) -> None:
    from PySide6.QtCore import QPointF

    _ready(qtbot, window)
    doc = open_graph(window, chain_graph())
    view = window.view
    view.resetTransform()
    view.centerOn(0, 200)
    conv2 = doc.graph.by_name("conv2").id
    edge = window.scene.edges[(conv2, 0)]
    mid = edge.path().pointAtPercent(0.5)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.mapFromScene(mid + QPointF(2, 0)))
    assert window.scene.selected_edges() == [(conv2, 0)] and edge.highlighted
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert doc.graph.input_edge(conv2, 0) is None and (conv2, 0) not in window.scene.edges
    assert len(doc.graph.nodes) == 5
    doc.undo_stack.undo()
    assert doc.graph.input_edge(conv2, 0) is not None
