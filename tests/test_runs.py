"""The run history: real runs read back (status, data, settings, metrics, fingerprint), names
and notes, the trash, and ``cnnstudio runs`` (issue #11)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import torch

from cnnstudio.cli import main
from cnnstudio.compiler import build_model
from cnnstudio.core.graph import Graph
from cnnstudio.core.project_io import Project, save
from cnnstudio.runs import architecture_fingerprint, list_runs, read_run
from cnnstudio.runs.trash import move_to_trash, restore
from cnnstudio.runs.user import set_name_and_notes
from cnnstudio.training import TrainConfig, train
from tests.run_helpers import blobs, design


def make_run(folder: Path, data: Path, graph: Graph, lr: float = 0.01, epochs: int = 2,
             listener: Any = None, cancel: threading.Event | None = None,
             optimizer: str = "adam") -> Path:
    folder.mkdir(parents=True)
    save(Project(graph, "blobs net"), folder / "project.cnnproj")
    torch.manual_seed(0)
    train(build_model(graph, for_training=True), str(data),
          TrainConfig(epochs=epochs, batch_size=32, lr=lr, optimizer=optimizer, device="cpu"),
          folder,
          input_shape=(1, 8, 8), listener=listener, cancel=cancel)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    data = blobs(root / "blobs.npz")
    make_run(root / "a", data, design(3), lr=0.01)
    make_run(root / "b", data, design(5), lr=0.003)
    cancel = threading.Event()

    def stop_after_first_batch(event: dict[str, Any]) -> None:
        if event["event"] == "batch":
            cancel.set()

    make_run(root / "sweep" / "trial-0", data, design(3), listener=stop_after_first_batch,
             cancel=cancel)
    return root


def test_history_reads_real_runs(runs: Path) -> None:
    records = {Path(r.path).name: r for r in list_runs(runs)}
    assert set(records) == {"a", "b", "trial-0"}  # a sweep's trials one level down
    a, b, cancelled = records["a"], records["b"], records["trial-0"]
    assert a.status == "completed" and a.epochs_done == 2 and a.epochs_planned == 2
    assert a.dataset.endswith("blobs.npz") and a.project == "blobs net"
    assert a.settings["lr"] == 0.01 and b.settings["lr"] == 0.003
    history = json.loads((runs / "a" / "history.json").read_text())
    assert a.best_val_accuracy == max(h["val_accuracy"] for h in history)
    metrics = json.loads((runs / "a" / "metrics.json").read_text())
    assert a.test_accuracy == metrics["accuracy"] and a.test_macro_f1 == metrics["macro"]["f1"]
    assert a.params == 4 * 9 + 4 + 4 * 2 + 2
    assert a.started is not None and a.ended is not None and a.ended >= a.started
    assert a.architecture != b.architecture  # the kernel changed
    assert a.architecture == cancelled.architecture
    assert cancelled.status == "cancelled" and cancelled.epochs_done < 2
    started = [r.started or 0.0 for r in list_runs(runs)]
    assert started == sorted(started, reverse=True)  # newest first


def test_fingerprint_ignores_names_and_positions() -> None:
    g = design(3)
    before = architecture_fingerprint(g)
    g.rename(next(n.id for n in g.nodes.values() if n.name == "conv"), "renamed")
    g.move(next(iter(g.nodes)), (300.0, 40.0))
    assert architecture_fingerprint(g) == before
    g.set_param(next(n.id for n in g.nodes.values() if n.name == "fc"), "units", 3)
    assert architecture_fingerprint(g) != before


def test_name_notes_and_trash(runs: Path, tmp_path: Path) -> None:
    set_name_and_notes(runs / "b", name="bigger kernel", notes="5x5 instead of 3x3")
    b = read_run(runs / "b")
    assert (b.name, b.notes) == ("bigger kernel", "5x5 instead of 3x3")
    trashed = move_to_trash(runs / "b")
    assert not (runs / "b").exists() and trashed.parent.name == ".trash"
    assert {Path(r.path).name for r in list_runs(runs)} == {"a", "trial-0"}
    assert restore(trashed) == runs / "b"
    assert read_run(runs / "b").name == "bigger kernel"


def test_cli_runs_table_and_json(runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", str(runs), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {Path(r["path"]).name for r in rows} == {"a", "b", "trial-0"}
    assert main(["runs", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "completed" in out and "cancelled" in out and "adam lr 0.01" in out
    assert main(["runs", str(runs / "nowhere")]) == 1
    assert "no such folder" in capsys.readouterr().err


def test_a_failed_run_records_its_message(tmp_path: Path) -> None:
    data = blobs(tmp_path / "blobs.npz")
    from cnnstudio.training.errors import NonFiniteLossError

    with pytest.raises(NonFiniteLossError):
        make_run(tmp_path / "bad", data, design(3), lr=1e10, optimizer="sgd")
    record = read_run(tmp_path / "bad")
    assert record.status == "error" and "the loss became" in record.message
