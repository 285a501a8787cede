"""The inspector's Help button opens the selected kind's generated help page."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from cnnstudio.gui.main_window import MainWindow
from tests.gui.conftest import chain_graph, open_graph


def test_help_button_shows_the_selected_kinds_page(window: MainWindow, qtbot: Any) -> None:
    doc = open_graph(window, chain_graph())
    ins = window.inspector
    assert ins.help_button is None  # nothing selected, no help to show
    window.scene.select_nodes([doc.graph.by_name("conv1").id])
    assert ins.help_button is not None
    qtbot.mouseClick(ins.help_button, Qt.MouseButton.LeftButton)
    dialog = ins.help_dialog
    assert dialog is not None and dialog.isVisible() and dialog.kind == "Conv2d"
    text = dialog.browser.toPlainText()
    assert text.startswith("Conv2d")
    assert "H_out = floor((32 - 3 + 2*0) / 1) + 1 = 30" in text
    assert "Number of output channels (filters)" in text
    window.scene.select_nodes([doc.graph.by_name("fc").id])
    qtbot.mouseClick(ins.help_button, Qt.MouseButton.LeftButton)
    assert ins.help_dialog is dialog and dialog.kind == "Dense"
    assert "params = (features_in + 1) * units" in dialog.browser.toPlainText()
    dialog.close()
