"""Train > Runs...: the run history of real tiny runs (issue #11), driven as a user would.

Four runs are trained for real once per module (two of the open design "blobs net", one of
"other net" stopped after a batch, one of "other net" that diverged) and copied into each
test's runs folder, which is the training form's runs folder.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import torch
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QLineEdit, QMessageBox

from cnnstudio.compiler import build_model
from cnnstudio.core.project_io import Project, save
from cnnstudio.gui.document import Document
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.runs.history import ALL_KEY, FOLDER_KEY, RunsView
from cnnstudio.gui.runs.history_model import PATH_ROLE, TITLES
from cnnstudio.runs import list_runs, read_run
from cnnstudio.training import TrainConfig, train
from cnnstudio.training.errors import NonFiniteLossError
from tests.gui.conftest import Dialogs
from tests.run_helpers import blobs, design

PROJECT, OTHER = "blobs net", "other net"


def make_run(folder: Path, data: Path, project: str, lr: float, epochs: int = 2,
             optimizer: str = "adam", cancel_after_batch: bool = False) -> Path:
    folder.mkdir(parents=True)
    graph = design()
    save(Project(graph, project), folder / "project.cnnproj")
    cancel = threading.Event()

    def listen(event: dict[str, Any]) -> None:
        if cancel_after_batch and event["event"] == "batch":
            cancel.set()

    torch.manual_seed(0)
    train(build_model(graph, for_training=True), str(data),
          TrainConfig(epochs=epochs, batch_size=32, lr=lr, optimizer=optimizer, device="cpu"),
          folder, input_shape=(1, 8, 8), listener=listen, cancel=cancel)
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trained")
    blobs(root / "blobs.npz")
    runs = root / "runs"
    make_run(runs / "good", root / "blobs.npz", PROJECT, lr=0.05, epochs=3)
    make_run(runs / "weak", root / "blobs.npz", PROJECT, lr=1e-6, epochs=1, optimizer="sgd")
    make_run(runs / "stopped", root / "blobs.npz", OTHER, lr=0.01, cancel_after_batch=True)
    with pytest.raises(NonFiniteLossError):
        make_run(runs / "diverged", root / "blobs.npz", OTHER, lr=1e10, optimizer="sgd")
    return root


@pytest.fixture
def runs(trained: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(trained / "runs", tmp_path / "runs"))


def open_history(qtbot: Any, window: MainWindow, runs: Path) -> RunsView:
    window.set_document(Document(Project(design(), PROJECT)))
    window.training.form.runs_folder.setText(str(runs))
    window.actions["train_runs"].trigger()
    view: RunsView = window.run_history.view
    assert view.isVisible()
    wait_listed(qtbot, view)
    return view


def wait_listed(qtbot: Any, view: RunsView) -> None:
    qtbot.waitUntil(lambda: not view.loading, timeout=20_000)


def rows(view: RunsView) -> list[dict[str, str]]:
    return [{title: view.proxy.index(r, c).data() for c, title in enumerate(TITLES)}
            for r in range(view.proxy.rowCount())]


def select(view: RunsView, *folders: str) -> None:
    selection = view.table.selectionModel()
    selection.clearSelection()
    for r in range(view.proxy.rowCount()):
        index = view.proxy.index(r, 0)
        if Path(index.data(PATH_ROLE)).name in folders:
            selection.select(index, QItemSelectionModel.SelectionFlag.Select
                             | QItemSelectionModel.SelectionFlag.Rows)
    assert len(view.selected_paths()) == len(folders)


def index_of(view: RunsView, folder: str, column: str = "Name") -> QModelIndex:
    for r in range(view.proxy.rowCount()):
        index = view.proxy.index(r, TITLES.index(column))
        if Path(index.data(PATH_ROLE)).name == folder:
            return index
    raise AssertionError(f"{folder} is not listed")


def test_rows_match_the_runs_folder_and_the_project_filter(
        qtbot: Any, window: MainWindow, runs: Path) -> None:
    view = open_history(qtbot, window, runs)
    mine = list_runs(runs, project=PROJECT)
    assert [r["Name"] for r in rows(view)] == [r.name for r in mine] == ["weak", "good"]
    assert "2 runs of 'blobs net' (4 in the folder)" in view.count_label.text()
    for row, record in zip(rows(view), mine, strict=True):
        assert row["Status"] == record.status == "completed"
        assert row["Project"] == PROJECT and row["Dataset"] == "blobs.npz"
        assert row["Architecture"] == record.architecture and len(record.architecture) == 12
        assert row["Test acc"] == f"{record.test_accuracy:.4f}"
        assert row["Macro F1"] == f"{record.test_macro_f1:.4f}"
        assert row["Best val acc"] == f"{record.best_val_accuracy:.4f}"
        assert row["Epochs"] == f"{record.epochs_done}/{record.epochs_planned}"
        assert row["Optimizer"] == record.settings["optimizer"]
        assert float(row["LR"]) == record.settings["lr"] and row["Batch"] == "32"
    good = rows(view)[1]
    assert (good["Optimizer"], good["LR"], good["Epochs"]) == ("adam", "0.05", "3/3")
    # the toggle: every run in the folder, remembered
    view.all_runs.setChecked(True)
    everything = {r["Name"]: r for r in rows(view)}
    assert set(everything) == {"good", "weak", "stopped", "diverged"}
    assert everything["stopped"]["Status"] == "cancelled"
    assert everything["stopped"]["Test acc"] == ""
    assert everything["diverged"]["Status"] == "error"
    tip = index_of(view, "diverged", "Status").data(Qt.ItemDataRole.ToolTipRole)
    assert "the loss became" in tip
    assert window.settings.value(ALL_KEY, False, type=bool) is True
    view.all_runs.setChecked(False)
    assert len(rows(view)) == 2


def test_sorting_by_test_accuracy_numbers_first_empty_last(
        qtbot: Any, window: MainWindow, runs: Path) -> None:
    view = open_history(qtbot, window, runs)
    view.all_runs.setChecked(True)
    column = TITLES.index("Test acc")
    accuracy = {r.name: r.test_accuracy for r in list_runs(runs)}
    assert accuracy["good"] > accuracy["weak"]  # the weak run learnt little
    header = view.table.horizontalHeader()
    orders = set()
    for _ in range(2):  # two clicks on the header: both orders
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
        assert header.sortIndicatorSection() == column
        order = header.sortIndicatorOrder()
        orders.add(order)
        names = [r["Name"] for r in rows(view)]
        numbers = ["weak", "good"] if order == Qt.SortOrder.AscendingOrder else ["good", "weak"]
        assert names[:2] == numbers and set(names[2:]) == {"stopped", "diverged"}
    assert len(orders) == 2
    view.table.sortByColumn(TITLES.index("Epochs"), Qt.SortOrder.DescendingOrder)
    assert rows(view)[0]["Name"] == "good"  # 3 epochs > 2 > 1 > 0: numbers, not text


def test_rename_in_place_and_notes_persist_and_a_bad_write_is_reported(
        qtbot: Any, window: MainWindow, runs: Path, dialogs: Dialogs) -> None:
    view = open_history(qtbot, window, runs)
    index = index_of(view, "good")
    view.table.setCurrentIndex(index)
    qtbot.keyClick(view.table, Qt.Key.Key_F2)
    editor = view.table.viewport().findChild(QLineEdit)
    assert editor is not None and editor.text() == "good"
    editor.setText("lr 0.05, 3 epochs")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits in a queued call
    qtbot.waitUntil(lambda: read_run(runs / "good").name == "lr 0.05, 3 epochs", timeout=2000)
    assert "lr 0.05, 3 epochs" in [r["Name"] for r in rows(view)]
    # notes of the selected run, saved with the button
    select(view, "good")
    assert view.notes.isEnabled() and not view.buttons["notes"].isEnabled()
    view.notes.setPlainText("best so far")
    assert view.buttons["notes"].isEnabled()
    view.buttons["notes"].click()
    assert read_run(runs / "good").notes == "best so far"
    # unsaved notes are saved when another run is selected
    select(view, "weak")
    view.notes.setPlainText("too small a learning rate")
    select(view, "good")
    assert view.notes.toPlainText() == "best so far"
    assert read_run(runs / "weak").notes == "too small a learning rate"
    # a write that fails (run.json is a folder) says so and changes nothing
    (runs / "weak" / "run.json").unlink()
    (runs / "weak" / "run.json").mkdir()
    assert not view.model.setData(view.proxy.mapToSource(index_of(view, "weak")), "renamed")
    assert len(dialogs.errors) == 1 and "Could not save the run's name" in dialogs.errors[0]
    assert "weak" in [r["Name"] for r in rows(view)]


def test_delete_asks_naming_the_runs_moves_them_to_the_trash_and_undo_brings_them_back(
        qtbot: Any, window: MainWindow, runs: Path, dialogs: Dialogs) -> None:
    view = open_history(qtbot, window, runs)
    select(view, "good", "weak")
    dialogs.question = QMessageBox.StandardButton.No
    view.buttons["delete"].click()
    title, text = dialogs.asked[-1]
    assert title == "Delete runs" and "good" in text and "weak" in text
    assert (runs / "good").is_dir() and len(rows(view)) == 2
    dialogs.question = QMessageBox.StandardButton.Yes
    view.buttons["delete"].click()
    assert not (runs / "good").exists() and not (runs / "weak").exists()
    trashed = sorted(p.name.split("__")[0] for p in (runs / ".trash").iterdir())
    assert trashed == ["good", "weak"]
    wait_listed(qtbot, view)
    assert rows(view) == [] and view.buttons["undo"].isEnabled()
    assert {Path(r.path).name for r in list_runs(runs)} == {"stopped", "diverged"}
    view.buttons["undo"].click()
    wait_listed(qtbot, view)
    assert (runs / "good" / "metrics.json").is_file() and (runs / "weak").is_dir()
    assert [r["Name"] for r in rows(view)] == ["weak", "good"]
    assert not any((runs / ".trash").iterdir()) and not view.buttons["undo"].isEnabled()


def test_double_click_opens_the_run_in_the_training_dock(
        qtbot: Any, window: MainWindow, runs: Path) -> None:
    view = open_history(qtbot, window, runs)
    index = index_of(view, "good", "Status")
    rect = view.table.visualRect(index)
    # a real double-click: press, release, then the double-click press and release
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    panel = window.training
    assert panel.run_dir == runs / "good"
    history = json.loads((runs / "good" / "history.json").read_text())
    assert panel.plots.series["val_accuracy"].n == len(history) == 3
    metrics = json.loads((runs / "good" / "metrics.json").read_text())
    assert panel.results.metrics is not None
    assert panel.results.metrics["accuracy"] == metrics["accuracy"]
    assert panel.inspect.run_dir == runs / "good"
    assert not window.docks["training"].isHidden()
    wait_listed(qtbot, view)  # opening refreshed the list; the selection is kept
    assert view.selected_paths() == [runs / "good"]


def test_open_design_goes_through_the_normal_open_path(
        qtbot: Any, window: MainWindow, runs: Path, dialogs: Dialogs) -> None:
    view = open_history(qtbot, window, runs)
    view.all_runs.setChecked(True)
    select(view, "stopped")
    doc = window.doc
    assert doc is not None
    conv = next(n.id for n in doc.graph.nodes.values() if n.name == "conv")
    doc.set_param(conv, "filters", 5)  # unsaved changes
    assert doc.modified
    dialogs.question = QMessageBox.StandardButton.Cancel
    view.buttons["design"].click()
    assert dialogs.asked[-1][0] == "Unsaved changes" and window.doc is doc
    dialogs.question = QMessageBox.StandardButton.Discard
    view.buttons["design"].click()
    assert window.doc is not doc and window.doc.name == OTHER
    assert window.doc.path is None  # Save asks where: the run's record is never overwritten
    assert len(window.doc.graph.nodes) == len(design().nodes)
    assert (runs / "stopped" / "project.cnnproj").is_file()


def test_compare_is_enabled_with_two_runs_and_carries_their_paths(
        qtbot: Any, window: MainWindow, runs: Path) -> None:
    view = open_history(qtbot, window, runs)
    select(view, "good")
    assert not view.buttons["compare"].isEnabled()
    select(view, "good", "weak")
    assert view.buttons["compare"].isEnabled()
    with qtbot.waitSignal(view.compareRequested, timeout=1000) as blocker:
        view.buttons["compare"].click()
    assert sorted(blocker.args[0]) == [runs / "good", runs / "weak"]
    compare = window.compare_window  # the history's Compare... opens Compare Runs
    assert compare is not None and compare.isVisible()
    assert sorted(r.path for r in compare.view.runs) == [runs / "good", runs / "weak"]
    compare.close()


def test_the_folder_is_chosen_remembered_and_refreshed_after_training(
        qtbot: Any, window: MainWindow, runs: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, dialogs: Dialogs) -> None:
    view = open_history(qtbot, window, runs)
    other = tmp_path / "elsewhere"
    shutil.copytree(runs / "good", other / "copied")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(other)))
    view.buttons["folder"].click()
    wait_listed(qtbot, view)
    assert [r["Name"] for r in rows(view)] == ["copied"]
    assert window.settings.value(FOLDER_KEY, "", type=str) == str(other)
    reopened = RunsView(QSettings(window.settings.fileName(), QSettings.Format.IniFormat),
                        lambda: str(runs), lambda: PROJECT)
    qtbot.addWidget(reopened)
    assert reopened.folder() == other
    # back to the training form's folder; a run trained in the app appears when it ends
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(runs)))
    view.buttons["folder"].click()
    wait_listed(qtbot, view)
    assert len(rows(view)) == 2
    form = window.training.form
    form.dataset.setCurrentText(read_run(runs / "good").dataset)
    form.epochs.setValue(1)
    form.batch_size.setValue(32)
    form.device.set_device("cpu")
    window.training.start()
    qtbot.waitUntil(lambda: not window.training.running, timeout=120_000)
    assert dialogs.errors == []
    wait_listed(qtbot, view)
    qtbot.waitUntil(lambda: len(rows(view)) == 3, timeout=20_000)
    new = window.training.run_dir
    assert new is not None and new.parent == runs
    assert [r["Status"] for r in rows(view) if r["Name"] == new.name] == ["completed"]
