"""``cnnstudio import``: a Python file + class, torchvision names, refusals, and weights that
the app's Load Pretrained Weights takes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import torch

from cnnstudio.cli import main
from cnnstudio.compiler import build_model
from cnnstudio.compiler.weights import load_weights
from cnnstudio.core import project_io
from cnnstudio.presets_torch.finetune import load_weights as load_pretrained

NET = textwrap.dedent("""
    import torch
    from torch import nn

    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2))
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(6 * 12 * 12, 10))

        def forward(self, x):
            return self.classifier(self.features(x))
""")


def test_python_file_import_writes_a_project_and_loadable_weights(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "net.py"
    file.write_text(NET)
    out = tmp_path / "net.cnnproj"
    assert main(["import", f"{file}:Net", "--out", str(out), "--input-shape", "1,28,28",
                 "--json"]) == 0
    captured = capsys.readouterr()
    assert "runs it as Python code" in captured.err
    report = json.loads(captured.out)
    assert report["params"] == 6 * (5 * 5 + 1) + (6 * 12 * 12 + 1) * 10
    project = project_io.load(out)
    assert [n.kind for n in project.graph.nodes.values()] == [
        "Input", "Conv2d", "AvgPool2d", "Flatten", "Dense"]
    assert project.graph.by_name("features_0").params["activation"] == "tanh"
    assert project.graph.by_name("features_0").group == "features"
    assert project.metadata["imported_from"] == f"{file}:Net"
    model = build_model(project.graph)
    load_weights(model, tmp_path / "net.safetensors")  # strict: every key and shape
    fresh = build_model(project.graph)
    report_ = load_pretrained(fresh, project, str(tmp_path / "net.safetensors"))
    assert report_.tensors_loaded == len(fresh.state_dict()) and not report_.fresh
    for key, value in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value)


def test_torchvision_import_and_existing_files(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.cnnproj"
    weights = tmp_path / "w.safetensors"
    args = ["import", "torchvision.mobilenet_v3_small", "--out", str(out), "--weights-out",
            str(weights), "--input-shape", "3,64,64"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "imported torchvision.models.mobilenet_v3_small: 138 nodes, 2,542,856 parameters" \
        in text
    assert weights.is_file() and not (tmp_path / "m.safetensors").exists()
    assert main(args) == 1
    assert "exists; choose another name, or pass --overwrite" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0


def test_torch_weights_are_loaded_before_the_import(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from safetensors.torch import save_file

    file = tmp_path / "net.py"
    file.write_text(NET)
    state = {"features.0.weight": torch.full((6, 1, 5, 5), 0.25),
             "features.0.bias": torch.full((6,), -0.5),
             "classifier.1.weight": torch.full((10, 864), 0.125),
             "classifier.1.bias": torch.arange(10.0)}
    save_file(state, str(tmp_path / "trained.safetensors"))
    out = tmp_path / "net.cnnproj"
    assert main(["import", f"{file}:Net", "--out", str(out), "--input-shape", "1,28,28",
                 "--torch-weights", str(tmp_path / "trained.safetensors")]) == 0
    model = build_model(project_io.load(out).graph)
    load_weights(model, tmp_path / "net.safetensors")
    assert torch.equal(model.state_dict()["features_0.weight"], state["features.0.weight"])
    assert torch.equal(model.state_dict()["classifier_1.bias"], state["classifier.1.bias"])
    bad = {k: v for k, v in state.items() if k != "features.0.bias"}
    save_file(bad, str(tmp_path / "bad.safetensors"))
    assert main(["import", f"{file}:Net", "--out", str(tmp_path / "b.cnnproj"),
                 "--input-shape", "1,28,28", "--torch-weights",
                 str(tmp_path / "bad.safetensors")]) == 1
    err = capsys.readouterr().err
    assert "bad.safetensors does not load into" in err and "features.0.bias" in err


@pytest.mark.parametrize(("source", "message"), [
    ("torchvision.not_a_model", "torchvision has no classification model 'not_a_model'"),
    ("model.h5", "give an .onnx file, torchvision.NAME"),
    ("net.py", "name the model class too"),
    ("missing.py:Net", "missing.py: no such file"),
])
def test_bad_sources_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  source: str, message: str) -> None:
    assert main(["import", source, "--out", str(tmp_path / "x.cnnproj")]) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x.cnnproj").exists()
