"""View > Keras Shapes on the canvas and the summary dock (remembered in QSettings), and the
receptive field in the inspector and the summary's column. Expected texts come from the core
(``keras_shape``, ``receptive_fields``) of the document's own analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFontMetricsF

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.keras_view import keras_shape
from cnnstudio.core.layers import fmt_shape
from cnnstudio.core.receptive import receptive_fields
from cnnstudio.gui.canvas.node_item import WIDTH, fit_shape_line, font, format_count
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.panels.summary import FIELD, PARAMS
from tests.gui.conftest import open_graph, residual_graph


def bn_graph() -> Any:
    b = GraphBuilder()
    x = b.input(3, 12, 10, name="image")
    x = b.add("Conv2d", x, name="conv", filters=8, kernel=3, stride=2)
    x = b.add("BatchNorm", x, name="bn")
    b.add("GlobalAvgPool", x, name="pool")
    return b.graph


def cell(window: MainWindow, node_id: str, col: int) -> str:
    model = window.summary.model
    return str(model.data(model.index(model.row_of(node_id), col)))


def test_keras_shapes_toggle_the_canvas_and_the_summary(window: MainWindow) -> None:
    doc = open_graph(window, bn_graph())
    g, scene, action = doc.graph, window.scene, window.actions["keras_shapes"]
    view_menu = next(m for m in window.menuBar().actions() if m.text() == "&View").menu()
    assert action in view_menu.actions() and action.isCheckable() and not action.isChecked()
    bn, conv = g.by_name("bn").id, g.by_name("conv").id
    info = doc.engine.info(bn)
    assert scene.nodes[bn].shape_text == fmt_shape(info.shape) == "8x5x4"
    action.trigger()
    window.summary.refresh()
    assert scene.nodes[bn].shape_text == keras_shape(info.shape) == "(None, 5, 4, 8)"
    assert scene.nodes[bn].count_text == f"{format_count(info.keras_params)} params"
    assert info.keras_params == 2 * info.params  # Keras adds the moving mean and variance
    assert cell(window, bn, 1) == keras_shape(info.shape)
    assert cell(window, bn, PARAMS) == f"{info.keras_params:,}"
    assert "non-trainable 16" in window.summary.totals.text()
    # an edit while it is on: the new shapes are written the Keras way too
    doc.set_param(conv, "stride", 1)
    window.summary.refresh()
    shape = doc.engine.info(bn).shape
    assert scene.nodes[bn].shape_text == keras_shape(shape) == "(None, 10, 8, 8)"
    assert cell(window, bn, 1) == keras_shape(shape)
    action.trigger()
    window.summary.refresh()
    assert scene.nodes[bn].shape_text == fmt_shape(shape)
    assert cell(window, bn, PARAMS) == f"{doc.engine.info(bn).params:,}"
    assert "frozen 0" in window.summary.totals.text()


def test_a_collapsed_group_and_a_new_document_follow_the_toggle(window: MainWindow) -> None:
    doc = open_graph(window, residual_graph())
    doc.set_collapsed(["block"], True)
    window.actions["keras_shapes"].trigger()
    add = doc.graph.by_name("add").id
    assert window.scene.groups["block"].shape_text == keras_shape(doc.engine.info(add).shape)
    doc2 = open_graph(window, bn_graph())
    pool = doc2.graph.by_name("pool").id
    assert window.scene.nodes[pool].shape_text == keras_shape(doc2.engine.info(pool).shape)


def test_the_longer_keras_shapes_fit_on_the_nodes(window: MainWindow) -> None:
    b = GraphBuilder()
    x = b.add("Conv2d", b.input(3, 224, 224), filters=64, kernel=7, stride=2, padding=3)
    b.add("Conv2d", x, filters=2048, kernel=1)
    doc = open_graph(window, b.graph)

    def lines() -> list[tuple[str, str, str]]:
        return [fit_shape_line(f"\u2192 {item.shape_text}", item.count_text, WIDTH - 16)
                for item in window.scene.nodes.values()]

    def width(text: str, which: str = "small") -> float:
        return QFontMetricsF(font(which)).horizontalAdvance(text)

    plain = lines()
    assert plain[1] == ("bold", "\u2192 64x112x112", "9.5k params")  # roomy: as before
    window.actions["keras_shapes"].trigger()
    texts = {item.shape_text for item in window.scene.nodes.values()}
    assert "(None, 112, 112, 2048)" in texts and len(doc.graph.nodes) == 3
    for which, shape, count in [*plain, *lines()]:
        assert width(shape, which) + width(count) + 8 <= WIDTH - 16
        assert "\u2026" not in shape  # shortened counts make room: the shape stays whole


def test_keras_shapes_are_remembered(qtbot: Any, tmp_path: Path) -> None:
    ini = str(tmp_path / "settings.ini")

    def make() -> MainWindow:
        w = MainWindow(QSettings(ini, QSettings.Format.IniFormat),
                       recovery_dir=tmp_path / "recovery", autosave_ms=3_600_000)
        qtbot.addWidget(w)
        return w

    first = make()
    first.actions["keras_shapes"].trigger()
    assert first.close()
    second = make()
    assert second.actions["keras_shapes"].isChecked()
    assert second.scene.keras and second.summary.model.keras
    second.actions["keras_shapes"].trigger()
    assert second.close()
    assert not make().actions["keras_shapes"].isChecked()


def test_inspector_and_summary_show_the_receptive_field(window: MainWindow) -> None:
    doc = open_graph(window, bn_graph())
    conv = doc.graph.by_name("conv").id
    window.scene.select_nodes([conv])
    ins = window.inspector

    def expected() -> str:
        field = receptive_fields(doc.engine.analysis())[conv]
        assert field is not None
        return field.text()

    assert expected() == "3, jump 2, start 0"
    assert ins.field.text() == f"<b>Receptive field</b> {expected()}"
    window.summary.refresh()
    assert cell(window, conv, FIELD) == expected()
    kernel = ins.editors["kernel"]
    kernel.spins[0].setValue(5)  # 5x3 now: per-axis numbers
    window.summary.refresh()
    assert expected() == "5x3, jump 2, start 0"
    assert ins.field.text().endswith(expected())
    assert cell(window, conv, FIELD) == expected()
    header = window.summary.model.headerData(FIELD, Qt.Orientation.Horizontal)
    assert header == "Receptive Field"
