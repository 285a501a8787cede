"""`cnnstudio sweep`: real Optuna, real training on a small .npz (issue #11 "Sweeps").

Each trial is an ordinary run folder (read_run lists it), sweep.json records the space and
each trial's params, state and value, the table is printed best first; every refusal is one
line and writes nothing; a hopeless learning rate is pruned by the MedianPruner.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cnnstudio.cli import main
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.project_io import Project, save
from cnnstudio.runs import list_runs, read_run
from cnnstudio.sweeps import ParamError, parse_param, read_sweep
from cnnstudio.sweeps.space import check_space, grid
from tests.run_helpers import quadrants

QUICK = ["--device", "cpu", "--threads", "1", "--no-progress"]


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    """A 1x8x8 conv net and 200 blobs (4 classes, one bright quadrant each) as .npz."""
    b = GraphBuilder()
    x = b.input(1, 8, 8)
    x = b.add("Conv2d", x, name="conv1", filters=4, kernel=3, activation="relu")
    x = b.add("Flatten", x, name="flatten")
    b.add("Dense", x, name="fc", units=4)
    project = tmp_path / "tiny.cnnproj"
    save(Project(b.graph, "tiny"), project)
    data = quadrants(tmp_path / "blobs.npz")
    return project, data


def sweep(project: Path, data: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(project), "--dataset", str(data), "--out", str(out), *QUICK,
                 *extra])


def table_rows(text: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith("trial ") and line.endswith(" state"))
    return [line.split() for line in lines[start + 1:] if line.startswith("trial-")]


def test_grid_sweep_writes_run_folders_and_prints_best_first(
        tiny: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project, data = tiny
    out = tmp_path / "sweep"
    rc = sweep(project, data, out, "--param", "lr=1e-3,1e-2", "--param", "batch_size=64,128",
               "--strategy", "grid", "--epochs", "1", "--metric", "val_loss")
    text = capsys.readouterr().out
    assert rc == 0, text
    record = json.loads((out / "sweep.json").read_text())
    assert record["strategy"] == "grid" and record["metric"] == "val_loss"
    assert record["space"] == [{"name": "lr", "type": "float", "values": [1e-3, 1e-2]},
                               {"name": "batch_size", "type": "int", "values": [64, 128]}]
    trials = record["trials"]
    assert [t["params"] for t in trials] == [  # the grid in the order given
        {"lr": 1e-3, "batch_size": 64}, {"lr": 1e-3, "batch_size": 128},
        {"lr": 1e-2, "batch_size": 64}, {"lr": 1e-2, "batch_size": 128}]
    assert all(t["state"] == "complete" and isinstance(t["value"], float) for t in trials)
    for t in trials:  # an ordinary run folder with those settings, completed
        run = read_run(out / t["folder"])
        assert run.status == "completed" and run.epochs_done == 1
        assert run.settings["lr"] == t["params"]["lr"]
        assert run.settings["batch_size"] == t["params"]["batch_size"]
        assert run.best_val_loss == pytest.approx(t["value"])
        assert (out / t["folder"] / "project.cnnproj").is_file()
        assert (out / t["folder"] / "checkpoints" / "best.safetensors").is_file()
    assert sorted(r.path for r in list_runs(out)) == sorted(
        str(out / f"trial-00{i}") for i in range(4))
    rows = table_rows(text)
    by_value = sorted(trials, key=lambda t: (t["value"], t["number"]))  # val_loss: lowest first
    assert [row[0] for row in rows] == [t["folder"] for t in by_value]
    assert [float(row[3]) for row in rows] == pytest.approx(
        [round(t["value"], 4) for t in by_value], abs=1e-4)
    assert record["best_trial"] == by_value[0]["number"]
    assert read_sweep(out).trials[0].params == trials[0]["params"]


@pytest.mark.parametrize("strategy", ["random", "tpe"])
def test_random_and_tpe_sample_inside_the_range(
        strategy: str, tiny: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    project, data = tiny
    out = tmp_path / strategy
    rc = sweep(project, data, out, "--param", "lr=1e-4:1e-1:log", "--param",
               "batch_size=32:128", "--param", "optimizer=adam,sgd", "--strategy", strategy,
               "--trials", "3", "--epochs", "1")
    assert rc == 0, capsys.readouterr().err
    record = read_sweep(out)
    assert len(record.trials) == 3 and record.status == "completed"
    lrs = [t.params["lr"] for t in record.trials]
    assert all(1e-4 <= lr <= 1e-1 for lr in lrs) and len(set(lrs)) == 3
    assert all(isinstance(t.params["batch_size"], int) and 32 <= t.params["batch_size"] <= 128
               for t in record.trials)
    assert {t.params["optimizer"] for t in record.trials} <= {"adam", "sgd"}
    for t in record.trials:
        run = read_run(out / t.folder)
        assert run.status == "completed" and run.settings["optimizer"] == t.params["optimizer"]
        assert run.settings["lr"] == pytest.approx(t.params["lr"])


@pytest.mark.parametrize(("param", "words"), [
    ("foo=1", ["--param foo=1", "not a training option"]),
    ("lr=1:0", ["--param lr=1:0", "empty range"]),
    ("lr=-1:1", ["--param lr=-1:1", "out of the range of lr"]),
    ("batch_size=0,64", ["--param batch_size=0,64", "out of the range"]),
    ("batch_size=6.5,64", ["--param batch_size=6.5,64", "not a whole number"]),
    ("optimizer=adam,lion", ["--param optimizer=adam,lion", "choices"]),
    ("optimizer=1:2", ["--param optimizer=1:2", "list"]),
    ("augment=hflip", ["--param augment=hflip", "cannot be swept"]),
    ("lr=1e-3", ["nothing varies"]),
])
def test_refusals_are_one_line_and_write_nothing(
        param: str, words: list[str], tiny: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    project, data = tiny
    out = tmp_path / "sweep"
    assert sweep(project, data, out, "--param", param, "--trials", "2") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    assert all(w in err for w in words), err
    assert not out.exists()


@pytest.mark.parametrize(("extra", "words"), [
    (["--param", "lr=1e-4:1e-2", "--strategy", "grid"], ["grid takes lists"]),
    (["--param", "lr=1e-4:1e-2"], ["--trials N is needed"]),
    (["--param", "lr=1e-3,1e-2", "--lr", "0.1", "--trials", "2"], ["--lr", "give one"]),
    (["--param", "lr=1e-3,1e-2", "--param", "lr=1e-4,1e-1", "--trials", "2"], ["twice"]),
    (["--param", "val_split=0.5,0.95", "--test-split", "0.1", "--trials", "2"],
     ["val_split", "below 1"]),
    (["--param", "lr=1e-3,1e-2", "--val-split", "0", "--trials", "2"], ["validation"]),
])
def test_space_and_settings_refusals(
        extra: list[str], words: list[str], tiny: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    project, data = tiny
    out = tmp_path / "sweep"
    assert sweep(project, data, out, *extra) in (1, 2)
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and all(w in err for w in words), err
    assert not out.exists()


def test_a_folder_that_holds_files_or_bad_data_is_refused(
        tiny: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project, data = tiny
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert sweep(project, data, out, "--param", "lr=1e-3,1e-2", "--strategy", "grid") == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros((20, 5, 5), np.uint8), y=np.arange(20) % 4)
    new = tmp_path / "new"
    assert sweep(project, bad, new, "--param", "lr=1e-3,1e-2", "--strategy", "grid") == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.npz" in err
    assert not new.exists()


def test_a_hopeless_learning_rate_is_pruned(
        tiny: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """lr 1e-2 learns the blobs within an epoch; lr 1e-7 does not move, so after its first
    epoch it is worse than the first trial (the median of one) and the MedianPruner stops it
    through the engine's cancel event."""
    project, data = tiny
    out = tmp_path / "sweep"
    rc = sweep(project, data, out, "--param", "lr=1e-2,1e-7", "--strategy", "grid",
               "--epochs", "4", "--metric", "val_loss", "--prune-startup", "1",
               "--prune-warmup", "0")
    text = capsys.readouterr().out
    assert rc == 0, text
    first, second = read_sweep(out).trials
    assert first.state == "complete" and first.epochs == 4
    assert second.state == "pruned" and second.epochs == 1 and "pruned" in second.message
    run = read_run(out / second.folder)
    assert run.status == "cancelled" and run.epochs_done == 1 and "pruned" in run.message
    assert [row[-1] for row in table_rows(text)] == ["complete", "pruned"]
    # without pruning both train every epoch
    capsys.readouterr()
    rc = sweep(project, data, tmp_path / "all", "--param", "lr=1e-2,1e-7", "--strategy",
               "grid", "--epochs", "2", "--metric", "val_loss", "--no-prune")
    assert rc == 0
    assert [t.state for t in read_sweep(tmp_path / "all").trials] == ["complete", "complete"]


def test_space_parsing_follows_the_declaration() -> None:
    lr = parse_param("lr=1e-4:1e-2:log")
    assert (lr.low, lr.high, lr.log) == (1e-4, 1e-2, True)
    batch = parse_param("batch-size=64,128,64")
    assert batch.name == "batch_size" and batch.values == (64, 128)
    assert parse_param("nesterov=true,false").values == (True, False)
    epochs = parse_param("epochs=1:3")
    check_space([epochs, batch], "grid")  # an int range is enumerated
    assert grid([epochs, batch])[:3] == [{"epochs": 1, "batch_size": 64},
                                         {"epochs": 1, "batch_size": 128},
                                         {"epochs": 2, "batch_size": 64}]
    with pytest.raises(ParamError, match="log range needs lo above 0"):
        parse_param("weight_decay=0:1:log")


def test_the_cli_parser_needs_neither_torch_nor_optuna() -> None:
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "optuna", "PySide6"):
                    raise ImportError("blocked " + name)
        sys.meta_path.insert(0, Block())
        from cnnstudio.cli import build_parser
        args = build_parser().parse_args(["sweep", "lenet5", "--dataset", "mnist-sample",
            "--param", "lr=1e-3,1e-2", "--out", "x", "--strategy", "grid", "--epochs", "2"])
        assert args.param == ["lr=1e-3,1e-2"] and args.strategy == "grid"
        from cnnstudio.cli.sweep import read_space
        assert read_space(args)[0].values == (1e-3, 1e-2)
        import cnnstudio.sweeps
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_diverging_trial_is_recorded_as_failed_and_the_sweep_goes_on(
        tiny: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project, data = tiny
    out = tmp_path / "sweep"
    rc = sweep(project, data, out, "--param", "lr=1e9,1e-2", "--strategy", "grid",
               "--optimizer", "sgd", "--epochs", "1")
    text = capsys.readouterr().out
    assert rc == 0, text
    diverged, good = read_sweep(out).trials
    assert diverged.state == "failed" and "diverged" in diverged.message
    assert diverged.value is None and good.state == "complete"
    assert read_run(out / diverged.folder).status == "error"
    assert [row[0] for row in table_rows(text)] == ["trial-001", "trial-000"]
