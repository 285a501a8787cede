"""Train > Sweep... with real Optuna and real training on a small .npz (offscreen).

The view is driven as a user would (tick settings, type values, Start, Stop, Open Sweep...)
and waited on through GUI-side state with ``qtbot.waitUntil``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.runs.sweep_view import SweepView
from cnnstudio.training.options import BY_NAME
from tests.gui.conftest import Dialogs, open_graph
from tests.run_helpers import quadrants

TIMEOUT_MS = 120_000


def tiny_graph() -> Graph:
    b = GraphBuilder()
    x = b.input(1, 8, 8, name="image")
    x = b.add("Conv2d", x, name="conv1", filters=4, kernel=3, activation="relu")
    x = b.add("Flatten", x, name="flatten")
    b.add("Dense", x, name="fc", units=4)
    for i, node in enumerate(b.graph.nodes.values()):
        b.graph.move(node.id, (0.0, 120.0 * i))
    return b.graph


def open_view(window: MainWindow, tmp_path: Path, epochs: int = 1) -> SweepView:
    open_graph(window, tiny_graph())
    form = window.training.form
    form.dataset.setCurrentText(str(quadrants(tmp_path / "blobs.npz")))
    form.runs_folder.setText(str(tmp_path / "runs"))
    form.fields["epochs"].setValue(epochs)
    form.fields["device"].set_device("cpu")
    form.fields["num_threads"].setValue(1)
    window.actions["train_sweep"].trigger()
    view = window.sweep_action.view
    assert view.isVisible()
    return view


def cells(view: SweepView) -> list[list[str]]:
    table = view.results
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def test_a_grid_sweep_from_the_view_fills_the_table_and_the_plot(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    view = open_view(window, tmp_path)
    view.set_param("lr", "1e-3,1e-2")
    view.set_param("batch_size", "64,128")
    view.strategy.setCurrentText("grid")
    view.out.setText(str(tmp_path / "sweep"))
    view.start_button.click()
    assert view.running and not view.start_button.isEnabled() and view.stop_button.isEnabled()
    worker = view.job.worker
    # the trials train in a child process, as a training run does (the GUI never waits for
    # torch's GIL): its pid is not this process's
    qtbot.waitUntil(lambda: worker.pid is not None, timeout=TIMEOUT_MS)
    assert worker.pid != os.getpid()
    qtbot.waitUntil(lambda: not view.running, timeout=TIMEOUT_MS)
    assert dialogs.errors == []
    record = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert record["status"] == "completed" and len(record["trials"]) == 4
    assert view.results.rowCount() == 4
    header = [view.results.horizontalHeaderItem(c).text()
              for c in range(view.results.columnCount())]
    assert header == ["trial", "batch_size", "lr", "val_accuracy", "state", "epochs"]
    by_folder = {t["folder"]: t for t in record["trials"]}
    rows = cells(view)
    for row in rows:  # each row equals its trial in sweep.json
        trial = by_folder[row[0]]
        assert int(row[1]) == trial["params"]["batch_size"]
        assert float(row[2]) == pytest.approx(trial["params"]["lr"])
        assert float(row[3]) == pytest.approx(trial["value"], abs=1e-4)
        assert row[4] == "complete" and row[5] == "1"
    assert sorted(row[0] for row in rows) == sorted(by_folder)
    values = [float(row[3]) for row in rows]
    assert values == sorted(values, reverse=True)  # best first
    assert len(view.plot.lines) == 4 and view.plot.axes == ["batch_size", "lr", "val_accuracy"]
    for line in view.plot.lines:
        xs, ys = line.getData()
        assert list(xs) == [0, 1, 2] and all(0.0 <= y <= 1.0 for y in ys)
    view.results.sortItems(1)  # sortable: by batch size, as numbers
    assert [row[1] for row in cells(view)] == ["64", "64", "128", "128"]

    # a finished sweep reopens from its folder in a fresh state
    view.results.setRowCount(0)
    view.plot.clear()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(tmp_path / "sweep")))
    view.open_button.click()
    assert view.results.rowCount() == 4 and len(view.plot.lines) == 4
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(tmp_path)))
    view.open_button.click()
    assert "not a sweep folder" in dialogs.errors[-1]


def test_stop_keeps_the_trials_done(qtbot: Any, window: MainWindow, tmp_path: Path,
                                    dialogs: Dialogs) -> None:
    view = open_view(window, tmp_path, epochs=100_000)
    view.set_param("lr", "1e-3,1e-2")
    view.out.setText(str(tmp_path / "sweep"))
    view.start_button.click()
    qtbot.waitUntil(lambda: "epoch 2" in view.status.text(), timeout=TIMEOUT_MS)
    view.stop_button.click()
    qtbot.waitUntil(lambda: not view.running, timeout=TIMEOUT_MS)
    record = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert record["status"] == "cancelled"
    assert [t["state"] for t in record["trials"]] == ["cancelled"]
    assert view.results.rowCount() == 1 and cells(view)[0][-2] == "cancelled"
    assert view.start_button.isEnabled() and dialogs.errors == []


def test_resume_continues_a_stopped_sweep(qtbot: Any, window: MainWindow, tmp_path: Path,
                                         dialogs: Dialogs) -> None:
    view = open_view(window, tmp_path)
    view.set_param("lr", "1e-3,1e-2")
    view.strategy.setCurrentText("grid")
    view.out.setText(str(tmp_path / "sweep"))
    view.start_button.click()
    qtbot.waitUntil(lambda: not view.running, timeout=TIMEOUT_MS)
    assert not view.resume_button.isEnabled()  # a completed sweep has nothing to resume
    # as a sweep stopped during its second trial leaves it
    path = tmp_path / "sweep" / "sweep.json"
    record = json.loads(path.read_text())
    record["status"], record["trials"][1]["state"] = "cancelled", "cancelled"
    path.write_text(json.dumps(record))
    assert view.show_folder(tmp_path / "sweep") and view.resume_button.isEnabled()
    view.resume_button.click()
    assert view.running and not view.resume_button.isEnabled()
    qtbot.waitUntil(lambda: not view.running, timeout=TIMEOUT_MS)
    assert dialogs.errors == []
    after = json.loads(path.read_text())
    assert after["status"] == "completed"
    assert [t["state"] for t in after["trials"]] == ["complete", "cancelled", "complete"]
    assert after["trials"][2]["params"] == record["trials"][1]["params"]  # tried again
    assert view.results.rowCount() == 3 and not view.resume_button.isEnabled()


@pytest.mark.parametrize(("name", "values", "words"), [
    ("lr", "1:0", "empty range"),
    ("lr", "-1:1", "out of the range of lr"),
    ("lr", "1e-4:1e-2", "grid takes lists"),
])
def test_bad_values_are_refused_before_anything_runs(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs, name: str,
        values: str, words: str) -> None:
    assert BY_NAME[name].ranged
    view = open_view(window, tmp_path)
    view.set_param(name, values)
    view.out.setText(str(tmp_path / "sweep"))
    view.start_button.click()
    assert not view.running and words in dialogs.errors[-1]
    assert not (tmp_path / "sweep").exists()


def test_the_view_opens_and_shows_a_sweep_without_torch_or_optuna(tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "optuna"):
                    raise ImportError("blocked " + name)
        sys.meta_path.insert(0, Block())
        from pathlib import Path
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        import cnnstudio.gui
        from cnnstudio.gui.main_window import MainWindow
        from cnnstudio.sweeps import SweepRecord, TrialRecord, parse_param
        app = QApplication([])
        folder = Path({str(tmp_path)!r})
        record = SweepRecord([parse_param("lr=1e-4:1e-1:log"), parse_param("optimizer=adam,sgd")],
                             "tpe", "val_loss", 3, status="completed")
        record.trials = [TrialRecord(0, {{"lr": 1e-3, "optimizer": "adam"}}, "complete", 0.5),
                         TrialRecord(1, {{"lr": 1e-2, "optimizer": "sgd"}}, "complete", 0.25),
                         TrialRecord(2, {{"lr": 1e-1, "optimizer": "sgd"}}, "pruned", 0.9)]
        record.save(folder)
        w = MainWindow(QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat),
                       recovery_dir=folder / "recovery")
        w.actions["train_sweep"].trigger()
        view = w.sweep_action.view
        assert view.isVisible() and view.show_folder(folder)
        assert [view.results.item(r, 0).text() for r in range(3)] == [
            "trial-001", "trial-000", "trial-002"]
        assert len(view.plot.lines) == 3
        print("ok", "torch" in sys.modules, "optuna" in sys.modules)
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    env.pop("QT_QPA_PLATFORMTHEME", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "ok False False"
