"""The inspector (a form generated from the layer declaration) and the live summary."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

from cnnstudio.core.layers import LAYERS
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.panels.param_editors import ParamEditor
from tests.gui.conftest import chain_graph, open_graph


def test_inspector_edit_updates_every_downstream_badge(window: MainWindow) -> None:
    doc = open_graph(window, chain_graph())
    g, scene = doc.graph, window.scene
    window.scene.select_nodes([g.by_name("conv1").id])
    ins = window.inspector
    assert ins.node_id == g.by_name("conv1").id
    shapes = {n.name: scene.nodes[n.id].shape_text for n in g.nodes.values()}
    assert shapes["conv2"] == "16x24x24" and shapes["flatten"] == "9216"
    kernel = ins.editors["kernel"]
    kernel.spins[0].setValue(5)
    kernel.spins[1].setValue(5)
    after = {n.name: scene.nodes[n.id].shape_text for n in g.nodes.values()}
    assert after["conv1"] == "8x24x24" and after["conv2"] == "16x22x22"
    assert after["flatten"] == str(16 * 22 * 22)
    assert scene.nodes[g.by_name("fc").id].count_text == "77.5k params"
    assert "24" in ins.explanation.text()  # the arithmetic for the new kernel
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert scene.nodes[g.by_name("flatten").id].shape_text == "9216"
    assert kernel.value() == (3, 3)  # the form follows undo


def test_inspector_shows_issues_and_refuses_bad_values(window: MainWindow) -> None:
    doc = open_graph(window, chain_graph())
    g = doc.graph
    inp = g.by_name("image").id
    window.scene.select_nodes([inp])
    window.inspector.editors["height"].spins[0].setValue(3)
    conv2 = g.by_name("conv2").id
    badge = window.scene.nodes[conv2].badge
    assert badge.isVisible() and "Fix:" in badge.toolTip()
    window.scene.select_nodes([conv2])
    assert "Fix:" in window.inspector.issues.text()
    # the name must be a Python identifier: refused, form snaps back, reason shown
    ins = window.inspector
    assert ins.name_edit is not None
    ins.name_edit.setText("2bad")
    ins.name_edit.editingFinished.emit()
    assert g.nodes[conv2].name == "conv2" and ins.name_edit.text() == "conv2"
    assert "letter" in ins.error.text()
    ins.name_edit.setText("features")
    ins.name_edit.editingFinished.emit()
    assert g.nodes[conv2].name == "features"
    assert ins.trainable is not None
    ins.trainable.setChecked(False)
    assert not g.nodes[conv2].trainable


def test_editors_follow_param_types(qtbot: Any) -> None:
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    kinds = {p.type: p for spec in LAYERS.values() for p in spec.params}
    assert set(kinds) == {"int", "float", "bool", "choice", "pair", "padding", "pad4"}
    for spec in kinds.values():
        editor = ParamEditor(spec, parent)
        default = spec.coerce(spec.default)
        editor.set_value(default)
        assert spec.coerce(editor.value()) == default
    widgets = {t: ParamEditor(p, parent) for t, p in kinds.items()}
    assert isinstance(widgets["int"].spins[0], QSpinBox)
    assert isinstance(widgets["float"].box, QDoubleSpinBox)
    assert isinstance(widgets["bool"].box, QCheckBox)
    assert isinstance(widgets["choice"].combo, QComboBox)
    assert len(widgets["pair"].spins) == 2 and len(widgets["pad4"].spins) == 4
    pad = widgets["padding"]
    got: list[Any] = []
    pad.changed.connect(got.append)
    pad.set_value("same")
    assert not pad.spins[0].isEnabled()
    assert pad.combo is not None
    pad.combo.setCurrentText("explicit")
    pad.spins[0].setValue(2)
    assert got[-1] == (2, 0) and pad.spins[0].isEnabled()
    eps = ParamEditor(LAYERS["BatchNorm"].param("eps"), parent)
    eps.set_value(1e-5)
    assert isinstance(eps.box, QDoubleSpinBox) and eps.box.text() == "1e-05"


def test_summary_is_live_and_selects_nodes(qtbot: Any, window: MainWindow) -> None:
    doc = open_graph(window, chain_graph())
    model = window.summary.model
    assert model.rowCount() == 5
    assert model.index(1, 0).data() == "conv1 (Conv2d)"
    assert model.index(1, 1).data() == "8x26x26"
    assert "valid" in window.summary.totals.text()
    doc.set_param(doc.graph.by_name("conv1").id, "filters", 4)
    qtbot.waitUntil(lambda: model.index(1, 1).data() == "4x26x26", timeout=2000)
    assert model.index(1, 2).data() == "40"
    window.summary._clicked(model.index(3, 0))
    assert window.scene.selected_node_ids() == [doc.graph.by_name("flatten").id]
    assert window.inspector.node_id == doc.graph.by_name("flatten").id
