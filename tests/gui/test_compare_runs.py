"""Compare Runs, Show Changes Since Run and ``cnnstudio diff`` on two real tiny runs that
differ in learning rate, epochs and the convolution's kernel (issue #11)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialogButtonBox

from cnnstudio.cli import main
from cnnstudio.compiler import build_model
from cnnstudio.core.project_io import Project, load, save
from cnnstudio.gui.document import Document
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.runs.compare import DIFFER_COLOUR, VALUE_ROLE, CompareView
from cnnstudio.gui.runs.compare_actions import PATH_ROLE
from cnnstudio.gui.runs.compare_data import METRICS
from cnnstudio.runs import read_run
from cnnstudio.training import TrainConfig, train
from tests.run_helpers import blobs, design


def make_run(folder: Path, data: Path, kernel: int, lr: float, epochs: int) -> Path:
    folder.mkdir(parents=True)
    graph = design(kernel)
    save(Project(graph, "blobs net"), folder / "project.cnnproj")
    torch.manual_seed(0)
    train(build_model(graph, for_training=True), str(data),
          TrainConfig(epochs=epochs, batch_size=32, lr=lr, device="cpu"), folder,
          input_shape=(1, 8, 8))
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("compare")
    blobs(root / "blobs.npz")
    a = make_run(root / "runs" / "a", root / "blobs.npz", kernel=3, lr=0.01, epochs=2)
    b = make_run(root / "runs" / "b", root / "blobs.npz", kernel=5, lr=0.003, epochs=3)
    return a, b


def history(run: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((run / "history.json").read_text())
    return rows


def test_compare_view_curves_settings_metrics_and_diff(qtbot: Any,
                                                       runs: tuple[Path, Path]) -> None:
    a, b = runs
    view = CompareView([a, b])
    qtbot.addWidget(view)
    ha, hb = history(a), history(b)
    assert (len(ha), len(hb)) == (2, 3)
    for key, column in (("loss", "val_loss"), ("accuracy", "val_accuracy"), ("lr", "lr")):
        curves = view.curves[key]
        assert len(curves) == 2  # one per run
        for curve, rows in zip(curves, (ha, hb), strict=True):
            xs, ys = curve.getData()
            assert list(xs) == [r["epoch"] for r in rows]
            assert list(ys) == pytest.approx([r[column] for r in rows])
        legend = view.plots[key].plotItem.legend
        assert [label.text for _sample, label in legend.items] == ["a", "b"]
    view.source.setCurrentIndex(view.source.findData("train"))
    xs, ys = view.curves["loss"][1].getData()
    assert list(ys) == pytest.approx([r["train_loss"] for r in hb])

    table = view.settings_table
    rows = {table.verticalHeaderItem(r).text(): r for r in range(table.rowCount())}
    lr_row, bs_row = rows["lr"], rows["batch_size"]
    assert [table.item(lr_row, c).text() for c in (0, 1)] == ["0.01", "0.003"]
    assert table.item(lr_row, 0).background().color() == QColor(DIFFER_COLOUR)
    assert table.item(bs_row, 0).background().color() != QColor(DIFFER_COLOUR)
    assert {"lr", "epochs"} <= view.differing and "batch_size" not in view.differing
    view.only_differing.setChecked(True)
    assert table.isRowHidden(bs_row) and not table.isRowHidden(lr_row)

    metrics = view.metrics_table
    assert [metrics.verticalHeaderItem(r).text() for r in range(metrics.rowCount())] == \
        list(METRICS)
    for c, run in enumerate((a, b)):
        record = read_run(run)
        assert record.test_accuracy is not None
        for r, attr in enumerate(METRICS.values()):
            assert metrics.item(r, c).data(VALUE_ROLE) == pytest.approx(getattr(record, attr))

    diff = view.diffs[0]
    assert diff is not None and [c.name for c in diff.changed] == ["conv"]
    assert view.diff_lines() == ["~ conv (Conv2d): kernel 3x3 -> 5x5"]
    assert view.diff_tree.topLevelItem(0).text(0) == "a -> b"


def test_train_menu_compares_the_chosen_runs(window: MainWindow, qtbot: Any,
                                             runs: tuple[Path, Path]) -> None:
    a, b = runs
    window.docks["training"].widget().form.runs_folder.setText(str(a.parent))
    window.actions.all["train_compare"].trigger()
    picker = window.run_picker
    ok = picker.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert picker.list.count() == 2 and not ok.isEnabled()
    picker.list.item(0).setSelected(True)
    assert not ok.isEnabled()  # two runs at least
    picker.list.item(1).setSelected(True)
    ok.click()
    compared = window.compare_window.view
    assert [r.path for r in compared.runs] == [a, b]  # oldest first: the diff's reference
    assert compared.isVisible()
    window.compare_window.close()
    window.compare_runs([b, a])  # as the run history asks: oldest first all the same
    assert [r.path for r in window.compare_window.view.runs] == [a, b]
    window.compare_window.close()


def test_changes_since_run_highlight_follows_edits_and_clears(
        window: MainWindow, qtbot: Any, runs: tuple[Path, Path]) -> None:
    a, _b = runs
    window.set_document(Document(load(a / "project.cnnproj")))
    doc, scene = window.doc, window.scene
    assert doc is not None
    conv, pool, fc = (doc.graph.by_name(n).id for n in ("conv", "pool", "fc"))
    doc.set_param(conv, "kernel", 5)
    drop = doc.add_node("Dropout", (0.0, 400.0), feed_from=pool)
    window.docks["training"].widget().form.runs_folder.setText(str(a.parent))
    window.actions.all["train_show_changes"].trigger()
    picker = window.run_picker
    row = next(i for i in range(picker.list.count())
               if Path(picker.list.item(i).data(PATH_ROLE)) == a)
    picker.list.item(row).setSelected(True)
    picker.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    assert scene.highlights() == {conv: "changed", drop: "added"}
    item = scene.nodes[conv]
    assert item.change_mark.isVisible() and item.change_mark.kind == "changed"
    assert "kernel 3x3 -> 5x5" in item.toolTip() and "Changed since run a" in item.toolTip()
    assert scene.nodes[drop].change_mark.kind == "added"
    assert scene.nodes[fc].highlight is None and not scene.nodes[fc].change_mark.isVisible()
    assert "1 added, 1 changed, 0 removed" in window.statusBar().currentMessage()
    clear = window.actions.all["train_clear_changes"]
    assert clear.isEnabled()

    doc.remove([fc])  # the highlight follows the design
    assert "fc (Dense)" in window.statusBar().currentMessage()
    doc.undo_stack.undo()  # fc back
    doc.undo_stack.undo()  # the Dropout gone
    doc.undo_stack.undo()  # the kernel back to 3
    assert scene.highlights() == {}
    assert "kernel" not in scene.nodes[conv].toolTip()
    doc.undo_stack.redo()
    assert scene.highlights() == {conv: "changed"}

    clear.trigger()
    assert scene.highlights() == {} and not item.change_mark.isVisible()
    assert not clear.isEnabled()
    doc.undo_stack.redo()  # no longer followed
    assert scene.highlights() == {}


def test_cli_diff_of_two_run_folders(runs: tuple[Path, Path],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    a, b = runs
    assert main(["diff", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "~ conv (Conv2d): kernel 3x3 -> 5x5" in out
    assert main(["diff", str(a), str(b), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["changed"][0]["params"] == [{"name": "kernel", "old": [3, 3], "new": [5, 5]}]
    assert data["params"]["delta"] == 4 * (25 - 9)
