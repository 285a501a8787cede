"""The generated model.py and train.py: readable, ruff-clean, equal to the compiled model,
and train.py trains on MNIST IDX files alone and under torchrun."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from cnnstudio.compiler import build_model
from cnnstudio.compiler.export_python import export_python, load_module
from cnnstudio.core import project_io
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.project_io import Project
from tests.compiler.sample_graphs import clashing_names, kitchen_sink

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MNIST = SHARED_DATA / "mnist"


def ruff() -> list[str]:
    exe = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(exe).exists():
        pytest.skip("ruff is not installed")
    return [exe]


@pytest.mark.parametrize("make", [kitchen_sink, clashing_names,
                                  lambda: project_io.load(REPO / "resources" / "examples" /
                                                          "conv_pool.cnnproj").graph])
def test_model_py_reproduces_the_compiled_model(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = build_model(make())
    report = export_python(model, tmp_path, Project(make(), "demo", "A test network."))
    assert report.max_abs_diff == {1: 0.0, 3: 0.0}
    source = (tmp_path / "model.py").read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert all(line.split()[1].split(".")[0] == "torch" for line in imports), imports
    assert "n1" not in source and "n2" not in source  # node ids never appear
    net = load_module(tmp_path / "model.py").Net()
    assert set(net.state_dict()) == set(load_file(str(tmp_path / "model.safetensors")))
    assert list(net.state_dict()) == list(model.state_dict())
    for name in ("model.py", "train.py"):
        result = subprocess.run([*ruff(), "check", "--isolated", str(tmp_path / name)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
        result = subprocess.run([*ruff(), "check", "--config", str(REPO / "pyproject.toml"),
                                 str(tmp_path / name)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


def test_model_py_reads_like_hand_written_code(tmp_path: Path) -> None:
    graph = project_io.load(REPO / "resources" / "examples" / "three_convs_strided.cnnproj").graph
    export_python(build_model(graph), tmp_path)
    source = (tmp_path / "model.py").read_text()
    assert "        self.conv1 = nn.Conv2d(1, 32, kernel_size=3, stride=2)\n" in source
    assert "        conv1 = F.relu(self.conv1(F.pad(x, (0, 1, 0, 1))))  # 32x14x14\n" in source
    assert "    def forward(self, x: torch.Tensor, logits: bool = False) -> torch.Tensor:" \
        in source
    assert "        if logits:\n            return fc2\n        return F.softmax(fc2, dim=1)" \
        in source


def exported_conv_pool(tmp_path: Path) -> Path:
    graph = project_io.load(REPO / "resources" / "examples" / "conv_pool.cnnproj").graph
    export_python(build_model(graph), tmp_path / "export")
    return tmp_path / "export"


def test_train_py_one_short_epoch_on_mnist(tmp_path: Path) -> None:
    if not MNIST.is_dir():
        pytest.skip(f"MNIST files are absent ({MNIST}); clone ../shared beside the repo")
    folder = exported_conv_pool(tmp_path)
    out = tmp_path / "trained.safetensors"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(folder / "train.py"), str(MNIST), "--epochs", "1",
         "--max-steps", "5", "--batch-size", "32", "--weights", str(folder / "model.safetensors"),
         "--out", str(out)], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "epoch 1: loss" in result.stdout and "(160 images, 10 classes)" in result.stdout
    trained = load_file(str(out))
    before = load_file(str(folder / "model.safetensors"))
    assert set(trained) == set(before)
    assert not torch.equal(trained["fc2.weight"], before["fc2.weight"])


def test_train_py_under_torchrun(tmp_path: Path) -> None:
    if not MNIST.is_dir():
        pytest.skip(f"MNIST files are absent ({MNIST}); clone ../shared beside the repo")
    folder = exported_conv_pool(tmp_path)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         str(folder / "train.py"), str(MNIST), "--epochs", "1", "--max-steps", "3",
         "--batch-size", "16", "--out", str(tmp_path / "ddp.safetensors")],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(96 images, 10 classes)" in result.stdout  # 2 processes x 3 steps x 16
    assert (tmp_path / "ddp.safetensors").is_file()


def test_train_py_on_an_image_folder(tmp_path: Path) -> None:
    images = SHARED_DATA / "cifar10-sample-200"
    if not images.is_dir():
        pytest.skip(f"CIFAR-10 sample folders are absent ({images})")
    b = GraphBuilder()
    x = b.input(3, 16, 16)
    x = b.add("Conv2d", x, name="conv", filters=4, padding="same", activation="relu")
    x = b.add("GlobalAvgPool", x, name="pool")
    b.add("Dense", x, name="classifier", units=10)
    export_python(build_model(b.graph), tmp_path / "export")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(tmp_path / "export" / "train.py"), str(images), "--epochs", "1",
         "--max-steps", "2", "--batch-size", "8", "--out", str(tmp_path / "w.safetensors")],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(16 images, 10 classes)" in result.stdout
