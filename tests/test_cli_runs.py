"""Run folders through the CLI: no command destroys earlier work, data must match the run,
numbers must be finite (issue #9)."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from cnnstudio.cli import main
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.project_io import Project, save

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
CLASSES = ["a", "b", "c", "d"]


def tiny_project(path: Path) -> Path:
    """Input 1x8x8, conv1 (4 filters), flatten, fc (4 classes)."""
    b = GraphBuilder()
    x = b.input(1, 8, 8)
    x = b.add("Conv2d", x, name="conv1", filters=4, kernel=3, activation="relu")
    x = b.add("Flatten", x, name="flatten")
    b.add("Dense", x, name="fc", units=4)
    save(Project(b.graph, "tiny"), path)
    return path


def blobs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """4 learnable classes of 8x8 grey images: one bright quadrant per class."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 4
    x = rng.integers(0, 60, (n, 8, 8)).astype(np.uint8)
    for k in range(4):
        r, c = divmod(k, 2)
        x[y == k, r * 4:(r + 1) * 4, c * 4:(c + 1) * 4] += 150
    return x, y


def write_npz(path: Path, n: int = 200, classes: list[str] | None = None, seed: int = 0,
              order: list[int] | None = None, noisy: bool = False) -> Path:
    """Blobs as .npz; ``order`` renames class k to ``classes[order[k]]`` (labels follow);
    ``noisy``: random labels, which no weights fit (a huge learning rate then diverges)."""
    x, y = blobs(n, seed)
    if noisy:
        y = np.random.default_rng(seed + 1).integers(0, 4, n)
    names = classes or CLASSES
    if order is not None:
        y = np.array(order)[y]
    np.savez(path, x=x, y=y, classes=np.array(names))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    return tiny_project(tmp_path / "tiny.cnnproj"), write_npz(tmp_path / "blobs.npz")


def train(project: Path, data: Path | str, out: Path, *extra: str) -> int:
    return main(["train", str(project), "--dataset", str(data), "--out", str(out), "--epochs",
                 "1", "--batch-size", "32", "--no-progress", *extra])


def test_train_onto_existing_run_refuses_and_keeps_every_byte(
        setup: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project, data = setup
    run = tmp_path / "run"
    assert train(project, data, run) == 0
    before = snapshot(run)
    capsys.readouterr()
    assert train(project, data, run, "--epochs", "2") == 2
    err = capsys.readouterr().err
    assert f"--resume {run}" in err and "--overwrite" in err and "holds a run" in err
    assert snapshot(run) == before
    other = tmp_path / "notes"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert train(project, data, other) == 2
    assert "is not empty" in capsys.readouterr().err
    assert snapshot(other) == {"notes.txt": b"mine"}


def test_overwrite_replaces_only_the_run_files(setup: tuple[Path, Path], tmp_path: Path) -> None:
    project, data = setup
    run = tmp_path / "run"
    assert train(project, data, run, "--epochs", "2") == 0
    (run / "checkpoints" / "stale.json").write_text("{}")
    (run / "notes.txt").write_text("mine")
    assert train(project, data, run, "--overwrite") == 0
    assert len(json.loads((run / "history.json").read_text())) == 1
    assert json.loads((run / "config.json").read_text())["train"]["epochs"] == 1
    assert not (run / "checkpoints" / "stale.json").exists()
    assert (run / "checkpoints" / "best.safetensors").is_file()
    assert (run / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(("bad", "code"), [
    (["--dataset", "no-such-data"], 1), (["--num-classes", "3"], 1),
    (["--augment", "spin:3"], 2), (["--lr", "-1"], 2)])  # 2: refused by the parser
def test_a_bad_option_or_dataset_writes_nothing(
        setup: tuple[Path, Path], tmp_path: Path, bad: list[str], code: int) -> None:
    project, data = setup
    fresh = tmp_path / "fresh"
    assert main(["train", str(project), "--dataset", str(data), "--out", str(fresh),
                 "--no-progress", *bad]) == code
    assert not fresh.exists()
    run = tmp_path / "run"  # --overwrite deletes nothing before the checks have passed
    assert train(project, data, run) == 0
    before = snapshot(run)
    assert main(["train", str(project), "--dataset", str(data), "--out", str(run),
                 "--overwrite", "--no-progress", *bad]) == code
    assert snapshot(run) == before


def test_target_or_resume_and_the_options_resume_refuses(
        setup: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project, data = setup
    run = tmp_path / "run"
    assert train(project, data, run) == 0
    before = snapshot(run)
    capsys.readouterr()
    assert main(["train", str(project), "--resume", str(run)]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["train", "--dataset", str(data), "--out", str(tmp_path / "x")]) == 2
    assert "give TARGET" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--seed", "3", "--input-shape", "1,9,9"]) == 2
    err = capsys.readouterr().err
    assert "--seed" in err and "--input-shape" in err and "--epochs" in err
    assert main(["train", "--resume", str(run), "--optimizer", "sgd", "--epochs", "3"]) == 2
    assert "--optimizer" in capsys.readouterr().err
    assert main(["train", "--resume", str(run)]) == 1  # all epochs done: nothing to resume
    assert "already trained 1 epoch" in capsys.readouterr().err
    assert snapshot(run) == before


def test_resume_grows_epochs_and_takes_a_new_lr(setup: tuple[Path, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    project, data = setup
    run = tmp_path / "run"
    assert train(project, data, run) == 0
    assert main(["train", "--resume", str(run), "--epochs", "3", "--lr", "0.0005",
                 "--no-progress"]) == 0
    assert "completed: 3 epoch(s)" in capsys.readouterr().out
    history = json.loads((run / "history.json").read_text())
    assert [r["epoch"] for r in history] == [1, 2, 3]
    assert history[0]["lr"] == pytest.approx(1e-3) and history[2]["lr"] == pytest.approx(5e-4)
    assert json.loads((run / "config.json").read_text())["train"]["epochs"] == 3


def test_evaluate_matches_classes_by_name(setup: tuple[Path, Path], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    project, data = setup
    run = tmp_path / "run"
    assert train(project, data, run, "--epochs", "3", "--lr", "0.01") == 0
    capsys.readouterr()
    assert main(["evaluate", str(run), "--dataset", str(data), "--json"]) == 0
    same = json.loads(capsys.readouterr().out)
    # the same images with the class names in another order (labels follow the names)
    shuffled = write_npz(tmp_path / "shuffled.npz", classes=["c", "a", "d", "b"],
                         order=[1, 3, 0, 2])
    assert main(["evaluate", str(run), "--dataset", str(shuffled), "--json"]) == 0
    moved = json.loads(capsys.readouterr().out)
    assert moved["accuracy"] == same["accuracy"] > 0.5
    assert moved["confusion_matrix"] == same["confusion_matrix"]
    other = write_npz(tmp_path / "other.npz", classes=["a", "b", "c", "zebra"])
    assert main(["evaluate", str(run), "--dataset", str(other)]) == 1
    err = capsys.readouterr().err
    assert "[a, b, c, zebra]" in err and "[a, b, c, d]" in err and "zebra" in err


def test_resume_on_other_data_is_refused_unless_allowed(
        setup: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project, data = setup
    run = tmp_path / "run"
    assert train(project, data, run) == 0
    before = snapshot(run)
    bigger = write_npz(tmp_path / "bigger.npz", n=320, seed=1)
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--dataset", str(bigger), "--epochs", "2"]) == 1
    err = capsys.readouterr().err
    assert "train samples: 160 in the run, 256 now" in err and "--allow-different-data" in err
    renamed = write_npz(tmp_path / "renamed.npz", classes=["w", "x", "y", "z"])
    assert main(["train", "--resume", str(run), "--dataset", str(renamed), "--epochs", "2",
                 "--allow-different-data"]) == 1
    assert "[w, x, y, z]" in capsys.readouterr().err
    assert snapshot(run) == before
    assert main(["train", "--resume", str(run), "--dataset", str(bigger), "--epochs", "2",
                 "--allow-different-data", "--no-progress"]) == 0
    recorded = json.loads((run / "config.json").read_text())
    assert recorded["data"]["source"] == str(bigger.resolve())
    assert recorded["fingerprint"]["train"] == 256


def write_idx(folder: Path, n: int, prefix: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    (folder / f"{prefix}-images-idx3-ubyte").write_bytes(
        struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes())
    (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 0x801, n) + labels.tobytes())


def test_resume_honours_data_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run on `mnist --data-root A` resumes from `--data-root B` once A has moved."""
    first = tmp_path / "A"
    write_idx(first, 120, "train", 0)
    write_idx(first, 40, "t10k", 1)
    run = tmp_path / "run"
    assert train(EXAMPLES / "conv_pool.cnnproj", "mnist", run, "--data-root", str(first)) == 0
    moved = tmp_path / "B"
    shutil.move(first, moved)
    assert main(["train", "--resume", str(run), "--epochs", "2", "--data-root", str(moved),
                 "--no-progress"]) == 0, capsys.readouterr().err
    recorded = json.loads((run / "config.json").read_text())["data"]
    assert recorded["source"] == "mnist" and recorded["root"] == str(moved.resolve())
    assert len(json.loads((run / "history.json").read_text())) == 2


def test_huge_lr_stops_with_the_divergence_message_and_keeps_a_checkpoint(
        setup: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = setup[0]
    data = write_npz(tmp_path / "noisy.npz", noisy=True)
    run = tmp_path / "run"
    assert train(project, data, run, "--lr", "1e6", "--optimizer", "sgd") == 1
    err = capsys.readouterr().err
    assert "diverged" in err or "loss became" in err
    assert "lower the learning rate" in err and "--lr" in err and "try --lr 100000" in err
    last = json.loads((run / "checkpoints" / "last.json").read_text())
    assert last["epochs_done"] == 0 and (run / "checkpoints" / "last.safetensors").is_file()
    assert main(["evaluate", str(run), "--json"]) == 0  # the kept weights are finite
    assert json.loads(capsys.readouterr().out)["samples"] > 0


def test_evaluate_refuses_non_finite_weights_naming_the_node(
        setup: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    project, data = setup
    run = tmp_path / "run"
    assert train(project, data, run) == 0
    best = run / "checkpoints" / "best.safetensors"
    with safe_open(str(best), framework="pt") as f:
        meta = f.metadata()
    tensors = load_file(str(best))
    tensors["fc.weight"][0, 3] = float("inf")
    save_file(tensors, str(best), metadata=meta)
    capsys.readouterr()
    assert main(["evaluate", str(run)]) == 1
    captured = capsys.readouterr()
    assert "non-finite weights" in captured.err and "node(s) fc" in captured.err
    assert "fc.weight (1 values)" in captured.err and "accuracy" not in captured.out
