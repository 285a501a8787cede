"""Every command on bad input: a non-zero exit and one line naming the file, option or node,
never a traceback; nothing the user had is overwritten (issue #9)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cnnstudio.__main__ import main
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.project_io import Project, save

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
Case = Callable[[Path], tuple[list[str], int, str]]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def error_lines(err: str) -> list[str]:
    """stderr without tqdm's carriage-return redraws."""
    return [line for line in err.splitlines() if line.strip() and "\r" not in line]


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def npz(path: Path, x: np.ndarray, y: np.ndarray) -> Path:
    np.savez(path, x=x, y=y)
    return path


def npy_named_npz(path: Path) -> Path:
    np.save(path.with_suffix(".npy"), np.zeros((3, 4)))
    path.with_suffix(".npy").rename(path)
    return path


def nan_images(path: Path) -> Path:
    x = np.random.default_rng(0).random((20, 8, 8)).astype(np.float32)
    x[0, 0, 0] = np.nan
    return npz(path, x, np.arange(20) % 2)


def huge_weights_project(path: Path) -> Path:
    """Two convolutions of 65,536 filters: 38.7 G parameters, more than any machine here."""
    b = GraphBuilder()
    x = b.input(1, 28, 28)
    x = b.add("Conv2d", x, name="wide", filters=65536, kernel=3)
    x = b.add("Conv2d", x, name="wider", filters=65536, kernel=3)
    x = b.add("GlobalAvgPool", x)
    b.add("Dense", x, units=10)
    save(Project(b.graph, "huge"), path)
    return path


EXAMPLE = str(EXAMPLES / "conv_pool.cnnproj")
TRAIN = ["train", EXAMPLE, "--dataset", "mnist-sample"]

# each case: tmp -> (argv, expected exit code, a fragment the one line must hold)
CASES: dict[str, Case] = {
    "unknown command": lambda t: (["predictt", "foo"], 2, "'predictt' is neither a command"),
    "near-miss command": lambda t: (["sumary"], 2, "Did you mean `cnnstudio summary`"),
    "missing project": lambda t: ([str(t / "nope.cnnproj")], 2, "nope.cnnproj"),
    "folder as project": lambda t: ([str(t)], 2, "is a folder"),
    "not a project file": lambda t: ([str(write(t / "notes.txt", "hi"))], 2,
                                     "not a project file"),
    "option without value": lambda t: (["train", "lenet5", "--val-split"], 2, "--val-split"),
    "bad input shape": lambda t: (["summary", "lenet5", "--input-shape", "1,x,2"], 2,
                                  "--input-shape"),
    "unknown format": lambda t: (["export", "lenet5", "--format", "keras", "--out", "x"], 2,
                                 "--format"),
    "corrupt project": lambda t: (["summary", str(write(t / "bad.cnnproj", "{ not json"))], 2,
                                  "bad.cnnproj"),
    "project of wrong shape": lambda t: (
        ["validate", str(write(t / "list.cnnproj", json.dumps([1, 2])))], 2, "list.cnnproj"),
    "export over existing file": lambda t: (
        ["export", "lenet5", "--format", "onnx", "--out", str(write(t / "m.onnx", b"old"))], 2,
        "pass --overwrite"),
    "export over its project": lambda t: (
        ["export", str(write(t / "p.cnnproj", (EXAMPLES / "conv_pool.cnnproj").read_text())),
         "--format", "safetensors", "--out", str(t / "p.safetensors"), "--overwrite"], 2,
        "is an input of this export"),
    "export under a file": lambda t: (
        ["export", "lenet5", "--format", "torchscript",
         "--out", str(write(t / "file.txt", "x") / "sub" / "m.pt")], 1,
        "not a folder"),
    "evaluate a non-run": lambda t: (["evaluate", str(t)], 2, "not a run folder"),
    "truncated checkpoint": lambda t: (
        ["export", "lenet5", "--format", "onnx", "--out", str(t / "m.onnx"), "--checkpoint",
         str(write(t / "w.safetensors", (10**12).to_bytes(8, "little") + b"{}"))], 2,
        "w.safetensors: truncated or corrupt"),
    "device as checkpoint": lambda t: (
        ["export", "lenet5", "--format", "onnx", "--out", str(t / "m.onnx"), "--checkpoint",
         "/dev/zero"], 2, "not a regular file"),
    "opset out of range": lambda t: (
        ["export", "lenet5", "--format", "onnx", "--out", str(t / "m.onnx"), "--opset", "999"],
        2, "opset 999"),
    "project is a device": lambda t: (["summary", "/dev/zero"], 2, "/dev/zero"),
    "predict with a broken model": lambda t: (
        ["predict", str(write(t / "m.onnx", b"junk")), str(write(t / "a.png", b"junk"))], 1,
        "m.onnx"),
    "predict a missing image": lambda t: (["predict", str(t), str(t / "no.png")], 1, "no.png"),
    "top-k out of range": lambda t: (["predict", str(t), "x.png", "--top-k", "0"], 2,
                                     "--top-k"),
    "train on a .npy named .npz": lambda t: (
        [*TRAIN[:2], "--dataset", str(npy_named_npz(t / "a.npz")), "--out", str(t / "r")], 1,
        "looks like a .npy array"),
    "train on NaN images": lambda t: (
        [*TRAIN[:2], "--dataset", str(nan_images(t / "n.npz")), "--out", str(t / "r")], 1,
        "non-finite"),
    "train on a label of 10^12": lambda t: (
        [*TRAIN[:2], "--dataset", str(npz(t / "l.npz", np.zeros((4, 8, 8), np.uint8),
                                          np.array([10**12, 0, 1, 0]))),
         "--out", str(t / "r")], 1, "1000000000000"),
    "train on a device": lambda t: ([*TRAIN[:2], "--dataset", "/dev/zero", "--out",
                                     str(t / "r")], 1, "/dev/zero"),
    "val split of 1.5": lambda t: ([*TRAIN, "--val-split", "1.5", "--out", str(t / "r")], 2,
                                   "--val-split"),
    "negative crop": lambda t: ([*TRAIN, "--augment", "crop:-4", "--out", str(t / "r")], 2,
                                "crop:-4"),
    "infinite learning rate": lambda t: ([*TRAIN, "--lr", "1e400", "--out", str(t / "r")], 2,
                                         "--lr"),
    "10^400 epochs": lambda t: ([*TRAIN, "--epochs", "1" + "0" * 400, "--out", str(t / "r")],
                                2, "--epochs"),
    "a missing GPU": lambda t: ([*TRAIN, "--device", "cuda:3", "--out", str(t / "r")], 1,
                                "cuda:3"),
    "65,536 filters on the CPU": lambda t: (
        ["train", str(huge_weights_project(t / "huge.cnnproj")), "--dataset", "mnist-sample",
         "--out", str(t / "r")], 1, "wide"),
    "resume a non-run": lambda t: (["train", "--resume", str(t / "nowhere")], 2,
                                   "not a run folder"),
    "an invalid network": lambda t: ([*TRAIN[:1], "lenet5", "--input-shape", "1,8,8",
                                      "--dataset", "mnist-sample", "--out", str(t / "r")], 1,
                                     "c3 (Conv2d)"),
    "a 65,536-pixel input": lambda t: (["summary", EXAMPLE, "--input-shape", "1,65536,65536"],
                                       2, "height"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_line_and_keeps_files(name: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    argv, expected, fragment = CASES[name](tmp_path)
    before = digest(tmp_path)
    code, _, err = run(argv, capsys)
    lines = error_lines(err)
    assert code == expected, err
    assert len(lines) == 1, lines
    assert fragment in lines[0]
    assert "Traceback" not in err
    assert digest(tmp_path) == before  # nothing written, nothing replaced
    assert not (tmp_path / "r").exists()  # no run folder for a run that cannot start
    for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]+", lines[0]):
        assert flag in KNOWN_FLAGS, f"the message names {flag}, which no command has"


def known_flags() -> set[str]:
    """Every option of every command (messages must name only these)."""
    from cnnstudio.cli import build_parser

    flags: set[str] = set()
    parser = build_parser()
    for action in parser._actions:
        flags.update(action.option_strings)
        for sub in getattr(action, "choices", None) or {}:
            if isinstance(action.choices, dict):
                flags.update(o for a in action.choices[sub]._actions for o in a.option_strings)
    return flags


KNOWN_FLAGS = known_flags()


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "file.txt"
    out.write_text("x")
    argv = ["export", "lenet5", "--format", "torchscript", "--out", str(out / "m.pt")]
    code, _, err = run([*argv, "--debug"], capsys)
    assert code == 1 and "Traceback" in err
    assert err.strip().splitlines()[-1].startswith("error: ")


def test_export_overwrite_replaces_only_when_told(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "m.pt"
    argv = ["export", "lenet5", "--format", "torchscript", "--out", str(target)]
    assert run(argv, capsys)[0] == 0
    first = target.read_bytes()
    assert run([*argv, "--seed", "1"], capsys)[0] == 2
    assert target.read_bytes() == first
    assert run([*argv, "--seed", "1", "--overwrite"], capsys)[0] == 0
    assert target.read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]  # no staging folder left


def test_export_never_replaces_its_checkpoint(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code_dir = tmp_path / "code"
    assert run(["export", "lenet5", "--format", "python", "--out", str(code_dir)], capsys)[0] == 0
    before = digest(code_dir)
    code, _, err = run(["export", "lenet5", "--format", "python", "--out", str(code_dir),
                        "--checkpoint", str(code_dir), "--overwrite"], capsys)
    assert code == 2 and "model.safetensors is an input of this export" in err
    assert digest(code_dir) == before


def test_failed_export_leaves_nothing(tmp_path: Path) -> None:
    from cnnstudio.compiler import build_model
    from cnnstudio.compiler.exporting import export
    from cnnstudio.core.presets import build_preset

    out = tmp_path / "new" / "weights.safetensors"
    with pytest.raises(ValueError, match="pass project"):  # safetensors needs the project
        export(build_model(build_preset("lenet5")), "safetensors", out, project=None)
    assert list(tmp_path.iterdir()) == []  # neither the staging folder nor "new"


FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
from cnnstudio.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def run_on_full_disk(argv: list[str], cwd: Path) -> tuple[int, list[str]]:
    """Run the CLI in a process whose files cannot grow past 50 kB (a disk that fills up)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", FULL_DISK, *argv], cwd=cwd,
                         capture_output=True, text=True, timeout=600)
    assert "Traceback" not in out.stderr and "terminate called" not in out.stderr
    return out.returncode, error_lines(out.stderr)


@pytest.mark.parametrize("fmt", ["onnx", "torchscript", "safetensors", "python"])
def test_export_onto_a_full_disk_is_one_line_and_leaves_nothing(fmt: str,
                                                                 tmp_path: Path) -> None:
    code, lines = run_on_full_disk(["export", "lenet5", "--format", fmt, "--out",
                                    str(tmp_path / "out" / "m")], tmp_path)
    assert code == 1 and len(lines) == 1, lines
    assert "out" in lines[0] and "free some space" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_training_onto_a_full_disk_is_one_line(tmp_path: Path) -> None:
    code, lines = run_on_full_disk(
        ["train", str(EXAMPLES / "conv_pool.cnnproj"), "--dataset", "mnist-sample",
         "--epochs", "1", "--out", str(tmp_path / "run"), "--no-progress"], tmp_path)
    assert code == 1 and len(lines) == 1, lines
    assert "run" in lines[0] and "free some space" in lines[0]


def test_every_flag_named_in_the_code_exists() -> None:
    """Messages tell the truth: each ``--flag`` the package's text mentions is a real option
    (the generated train.py's own options and torchrun's are theirs, not ours)."""
    package = Path(__file__).resolve().parents[1] / "cnnstudio"
    theirs = {"--max-steps", "--nproc-per-node", "--standalone"}
    named = set()
    for path in package.rglob("*.py"):
        if path.name != "train_template.py":
            named.update(re.findall(r"(?<![\w-])--[a-z][a-z-]+", path.read_text("utf-8")))
    assert named - theirs <= KNOWN_FLAGS, sorted(named - theirs - KNOWN_FLAGS)
