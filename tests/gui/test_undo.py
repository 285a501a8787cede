"""Undo and redo round-trip every kind of edit, and the scene follows each step."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF

from cnnstudio.gui.document import Document
from cnnstudio.gui.main_window import MainWindow
from tests.gui.conftest import chain_graph, open_graph, residual_graph, snapshot


def check_scene(window: MainWindow) -> None:
    doc = window.doc
    assert doc is not None
    scene, g = window.scene, doc.graph
    assert set(scene.nodes) == set(g.nodes)
    assert set(scene.edges) == {(e.dst, e.port) for e in g.edges}
    analysis = doc.engine.analysis()
    for nid, item in scene.nodes.items():
        node = g.nodes[nid]
        assert item.name == node.name and item.kind == node.kind
        assert item.pos() == QPointF(*node.position)
        assert len(item.inputs) == node.input_count
        assert item.shape_text == analysis.infos[nid].shape_text
        assert item.isVisible() == (node.group not in doc.collapsed)
    assert set(scene.groups) == {grp for grp in doc.collapsed if grp in doc.groups()}


def test_every_edit_round_trips(window: MainWindow) -> None:
    doc = open_graph(window, residual_graph())
    g = doc.graph
    ids = {n.name: n.id for n in g.nodes.values()}
    edits: list[tuple[str, Any]] = [
        ("add", lambda: doc.add_node("ReLU", (200.0, 700.0), feed_from=ids["pool"])),
        ("add_unconnected", lambda: ids.__setitem__("drop", doc.add_node("Dropout"))),
        ("connect", lambda: doc.connect(ids["stem"], ids["drop"], 0)),
        ("set_param", lambda: doc.set_param(ids["conv_a"], "kernel", (5, 5))),
        ("set_param_padding", lambda: doc.set_param(ids["stem"], "padding", (1, 1))),
        ("rename", lambda: doc.rename(ids["fc"], "classifier")),
        ("trainable", lambda: doc.set_trainable(ids["conv_b"], False)),
        ("move", lambda: doc.move_nodes({ids["fc"]: (50.0, 800.0), ids["pool"]: (0, 620)})),
        ("disconnect", lambda: doc.disconnect(ids["pool"], 0)),
        ("delete", lambda: doc.remove([ids["conv_b"]])),
        ("delete_edge", lambda: doc.remove([], [(ids["add"], 1)])),
        ("paste", lambda: doc.paste(doc.copy_data([ids["stem"], ids["conv_a"]]))),
        ("duplicate", lambda: doc.duplicate([ids["add"]])),
        ("group", lambda: doc.group_nodes([ids["pool"], ids["fc"]], "head")),
        ("expand", lambda: doc.set_collapsed(["head"], False)),
        ("collapse", lambda: doc.set_collapsed(["block", "head"], True)),
        ("ungroup", lambda: doc.ungroup("head")),
        ("layout", lambda: doc.auto_layout()),
    ]
    states = [snapshot(doc)]
    for name, edit in edits:
        count = doc.undo_stack.count()
        edit()
        assert doc.undo_stack.count() == count + 1, name
        assert snapshot(doc) != states[-1], name
        states.append(snapshot(doc))
        check_scene(window)
    for expected in reversed(states[:-1]):
        doc.undo_stack.undo()
        assert snapshot(doc) == expected
        check_scene(window)
    assert not doc.modified
    for expected in states[1:]:
        doc.undo_stack.redo()
        assert snapshot(doc) == expected
        check_scene(window)


def test_delete_restores_removed_edges_on_undo(window: MainWindow) -> None:
    doc = open_graph(window, residual_graph())
    stem = doc.graph.by_name("stem").id
    before = snapshot(doc)
    doc.remove([stem])
    assert len(doc.graph.edges) == 4  # stem fed conv_a and add, and was fed by image
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert snapshot(doc) == before
    assert window.scene.nodes[stem].inputs[0].connected


def test_refused_edit_pushes_nothing(window: MainWindow) -> None:
    import pytest

    from cnnstudio.core.errors import GraphError

    doc = open_graph(window, chain_graph())
    before = snapshot(doc)
    conv1 = doc.graph.by_name("conv1").id
    with pytest.raises(GraphError):
        doc.rename(conv1, "not a name")
    with pytest.raises(GraphError):
        doc.set_param(conv1, "filters", 0)
    assert doc.undo_stack.count() == 0 and snapshot(doc) == before
    # a macro that fails half-way is rolled back
    data = doc.copy_data([conv1])
    data["edges"] = [{"from": 0, "to": 0, "port": 0}]  # a self loop
    with pytest.raises(GraphError):
        doc.paste(data)
    assert doc.undo_stack.count() == 0 and snapshot(doc) == before


def test_history_view_lists_edits(window: MainWindow) -> None:
    doc = window.doc
    assert isinstance(doc, Document)
    doc.add_node("Input")
    doc.add_node("Conv2d")
    model = window.history.model()
    assert model.rowCount() == 3  # "<opened>" then the two edits
    assert model.index(2, 0).data() == "Add Conv2d"
    assert window.actions.undo.isEnabled() and not window.actions.redo.isEnabled()
