"""File > Import...: an ONNX file imported in a worker and opened; a Python file runs only
after the user agrees; failures are shown and write nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnx
import pytest
from PySide6.QtWidgets import QMessageBox

from cnnstudio.gui.import_dialog import ImportDialog
from cnnstudio.gui.main_window import MainWindow
from tests.gui.conftest import Dialogs
from tests.importing.onnx_helpers import tiny_onnx

TIMEOUT_MS = 120_000

NET = """
from pathlib import Path
from torch import nn
Path(__file__).with_suffix(".ran").write_text("ran")

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.conv(x))
"""


def run_import(window: MainWindow, qtbot: Any, source: str, out: Path) -> ImportDialog:
    window.actions["import"].trigger()
    dialog = window.import_window
    assert isinstance(dialog, ImportDialog) and dialog.isVisible()
    dialog.source_box.setEditText(source)
    dialog.path_edit.setText(str(out))
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=TIMEOUT_MS)
    return dialog


def test_onnx_import_opens_the_design(window: MainWindow, qtbot: Any, tmp_path: Path) -> None:
    model = tmp_path / "tiny.onnx"
    onnx.save(tiny_onnx(), str(model))
    out = tmp_path / "tiny.cnnproj"
    dialog = run_import(window, qtbot, str(model), out)
    assert dialog.error is None, dialog.error
    assert dialog.result is not None and dialog.progress.value() == 100
    assert out.is_file() and (tmp_path / "tiny.safetensors").is_file()
    assert window.doc is not None and window.doc.path == out
    kinds = [n.kind for n in window.doc.graph.nodes.values()]
    assert kinds == ["Input", "Conv2d"]
    assert "verified" in dialog.report.toPlainText()
    dialog.close()


def test_python_file_runs_only_when_the_user_agrees(window: MainWindow, qtbot: Any,
                                                    tmp_path: Path, dialogs: Dialogs) -> None:
    file = tmp_path / "net.py"
    file.write_text(NET)
    out = tmp_path / "net.cnnproj"
    dialogs.question = QMessageBox.StandardButton.No
    dialog = run_import(window, qtbot, f"{file}:Net", out)
    assert "runs it as Python code" in dialogs.asked[-1][1]
    assert not (tmp_path / "net.ran").exists() and not out.exists()
    assert dialog.status.text() == "Nothing was run."
    dialogs.question = QMessageBox.StandardButton.Yes
    dialog.shape_edit.setText("1,8,8")
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and bool(dialog.result or dialog.error),
                    timeout=TIMEOUT_MS)
    assert dialog.error is None, dialog.error
    assert (tmp_path / "net.ran").exists() and out.is_file()
    assert window.doc is not None and window.doc.graph.by_name("conv").params[
        "activation"] == "relu"
    dialog.close()


@pytest.mark.parametrize("source", ["model.h5", "torchvision.not_a_model"])
def test_failures_are_shown_and_write_nothing(window: MainWindow, qtbot: Any, tmp_path: Path,
                                              source: str) -> None:
    out = tmp_path / "x.cnnproj"
    dialog = run_import(window, qtbot, source, out)
    assert dialog.error and dialog.status.text() == "Import failed; nothing was written."
    assert not out.exists()
    dialog.close()


def test_a_large_model_opens_with_its_groups_collapsed(window: MainWindow, qtbot: Any,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "mobilenet.cnnproj"
    window.actions["import"].trigger()
    dialog = window.import_window
    dialog.source_box.setEditText("torchvision.mobilenet_v3_small")
    dialog.shape_edit.setText("3,64,64")
    dialog.path_edit.setText(str(out))
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and bool(dialog.result or dialog.error),
                    timeout=TIMEOUT_MS)
    assert dialog.error is None, dialog.error
    doc = window.doc
    assert doc is not None and doc.path == out
    assert doc.collapsed == set(doc.groups()) and "features.1" in doc.collapsed
    ys = sorted({round(n.position[1]) for n in doc.graph.nodes.values()})
    assert len(ys) < len(doc.graph.nodes) / 3  # compact: the groups are laid out as units
    dialog.close()


def test_closing_the_window_stops_a_running_import(window: MainWindow, qtbot: Any,
                                                  tmp_path: Path) -> None:
    out = tmp_path / "resnet.cnnproj"
    window.actions["import"].trigger()
    dialog = window.import_window
    assert dialog is not None
    dialog.source_box.setEditText("torchvision.resnet18")
    dialog.path_edit.setText(str(out))
    dialog.import_button.click()
    qtbot.waitUntil(lambda: "Tracing" in dialog.status.text() or dialog.job is None,
                    timeout=TIMEOUT_MS)
    window.close()  # cancels: the worker stops at the next stage, within the bounded wait
    assert dialog.job is None
    assert not out.exists() and dialog.result is None


def test_a_large_model_imported_by_the_cli_opens_compact(window: MainWindow, qtbot: Any,
                                                         tmp_path: Path) -> None:
    from cnnstudio.cli import main
    from cnnstudio.core.layout import Y_GAP
    from cnnstudio.core.project_io import load, save

    out = tmp_path / "mobilenet.cnnproj"
    assert main(["import", "torchvision.mobilenet_v3_small", "--input-shape", "3,64,64",
                 "--out", str(out)]) == 0
    saved = load(out)
    assert sorted(saved.metadata["collapsed_groups"]) == sorted(
        {n.group for n in saved.graph.nodes.values() if n.group})
    assert window.open_file(out)
    doc = window.doc
    assert doc is not None and doc.collapsed == set(doc.groups())
    ys = sorted({round(n.position[1]) for n in doc.graph.nodes.values()})
    assert len(ys) < len(doc.graph.nodes) / 3  # the groups laid out as units

    # a large design saved without that metadata (an older file) opens compact too
    saved.metadata.pop("collapsed_groups")
    names = sorted({n.group for n in saved.graph.nodes.values() if n.group})
    for nid, node in saved.graph.nodes.items():  # each group moved far apart from the next
        x, y = node.position
        shift = 5_000.0 * names.index(node.group) if node.group else 0.0
        saved.graph.move(nid, (x, y + shift))
    spread = tmp_path / "spread.cnnproj"
    save(saved, spread)
    assert window.open_file(spread)
    doc = window.doc
    assert doc is not None and doc.collapsed == set(doc.groups())
    units: dict[str, list[float]] = {}
    for nid, node in doc.graph.nodes.items():
        units.setdefault(node.group or nid, []).append(node.position[1])
    centres = [(min(ys) + max(ys)) / 2 for ys in units.values()]
    assert max(centres) - min(centres) <= Y_GAP * len(units)  # no 5,000-pixel gaps
