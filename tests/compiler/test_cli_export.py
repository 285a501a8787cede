"""``cnnstudio export``: formats, checkpoints, invalid graphs and failed verification."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from cnnstudio.cli import main
from cnnstudio.compiler import build_model
from cnnstudio.compiler.export_python import load_module
from cnnstudio.core import project_io
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.project_io import Project

REPO = Path(__file__).resolve().parents[2]
CONV_POOL = REPO / "resources" / "examples" / "conv_pool.cnnproj"


@pytest.mark.parametrize(("fmt", "out"), [("torchscript", "m.pt"), ("safetensors", "w"),
                                          ("python", "code"), ("onnx", "m.onnx")])
def test_export_formats(fmt: str, out: str, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["export", str(CONV_POOL), "--format", fmt, "--out", str(tmp_path / out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "verified:" in text and "batch 3: max abs difference" in text
    assert "freshly initialised (seed 0)" in text


def test_export_with_checkpoint_folder(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    model = build_model(project_io.load(CONV_POOL).graph)
    with torch.no_grad():
        model.fc2.bias.fill_(3.0)
    ckpt = tmp_path / "run"
    ckpt.mkdir()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              str(ckpt / "model.safetensors"))
    code = main(["export", str(CONV_POOL), "--format", "python", "--out", str(tmp_path / "py"),
                 "--checkpoint", str(ckpt)])
    assert code == 0
    assert f"weights: {ckpt / 'model.safetensors'}" in capsys.readouterr().out
    net = load_module(tmp_path / "py" / "model.py").Net()
    net.load_state_dict(load_weights_file(tmp_path / "py" / "model.safetensors"))
    assert torch.all(net.fc2.bias == 3.0)


def load_weights_file(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path))


def test_checkpoint_that_does_not_fit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_file({"conv1.weight": torch.zeros(1)}, str(tmp_path / "bad.safetensors"))
    code = main(["export", str(CONV_POOL), "--format", "onnx", "--out", str(tmp_path / "m.onnx"),
                 "--checkpoint", str(tmp_path / "bad.safetensors")])
    assert code == 2
    assert "do not fit" in capsys.readouterr().err


def test_invalid_graph_exits_non_zero_naming_nodes(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    b = GraphBuilder()
    x = b.input(1, 4, 4)
    b.add("Conv2d", x, name="huge_kernel", kernel=9)
    project_io.save(Project(b.graph, "broken"), tmp_path / "broken.cnnproj")
    code = main(["export", str(tmp_path / "broken.cnnproj"), "--format", "onnx",
                 "--out", str(tmp_path / "m.onnx")])
    assert code == 1
    assert "huge_kernel (Conv2d)" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


def test_failed_verification_exits_non_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    real_load = torch.jit.load

    class Off(torch.nn.Module):  # what a broken exporter would have written
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.inner(x) + 0.01

    monkeypatch.setattr(torch.jit, "load", lambda *a, **k: Off(real_load(*a, **k)))
    code = main(["export", str(CONV_POOL), "--format", "torchscript",
                 "--out", str(tmp_path / "m.pt")])
    assert code == 1
    assert "verification failed" in capsys.readouterr().err


def test_preset_target_with_input_shape(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["export", "lenet5", "--input-shape", "1,28,28", "--num-classes", "4",
                 "--format", "python", "--out", str(tmp_path / "lenet")])
    assert code == 0, capsys.readouterr().err
    assert "input_shape = (1, 28, 28)" in (tmp_path / "lenet" / "model.py").read_text()
