"""`cnnstudio train PRESET --weights ... --freeze ...`: a resnet18 state dict saved from
torchvision (weights=None, seeded) fine-tuned on the 200 CIFAR-10 images of the shared data:
the loaded tensors, the frozen backbone, the head, the report, --unfreeze-after,
--backbone-lr-factor and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from cnnstudio.cli import main
from cnnstudio.compiler import build_model
from cnnstudio.core.presets import build_preset
from cnnstudio.core.presets.origin import PRESET_KEY
from cnnstudio.core.project_io import Project, save
from tests.conftest import RESNET18_FILE

SEED = 7  # the global seed before the CLI builds the model (its fresh head)


@pytest.fixture
def weights(resnet18_weights: Path) -> Path:
    return resnet18_weights


def train(target: str, data: Path, run: Path, *extra: str) -> int:
    torch.manual_seed(SEED)
    return main(["train", target, "--num-classes", "10", "--input-shape", "3,32,32",
                 "--dataset", str(data / "cifar10-sample-200"), "--batch-size", "50",
                 "--val-split", "0.2", "--test-split", "0.1", "--lr", "0.01",
                 "--out", str(run), "--no-progress", *extra])


def checkpoint(run: Path) -> dict[str, torch.Tensor]:
    return load_file(run / "checkpoints" / "last.safetensors")


def test_weights_load_the_backbone_stays_frozen_the_head_learns(
        weights: Path, shared_data: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    rc = train("resnet18", shared_data, run, "--weights", str(weights), "--freeze", "backbone",
               "--epochs", "1")
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"pretrained weights: 120 tensors from {weights}; fresh weights: fc" in out
    state = torch.load(weights, weights_only=True)
    after = checkpoint(run)
    for key in ("conv1.weight", "bn1.weight", "layer3_1_conv2.weight", "layer4_1_bn2.bias",
                "layer2_0_downsample_conv.weight"):  # loaded, then frozen for an epoch
        tv_key = key.replace("_downsample_conv", ".downsample.0").replace("_", ".")
        assert torch.equal(after[key], state[tv_key]), key
    torch.manual_seed(SEED)  # the head the CLI built, before training
    fresh = build_model(build_preset("resnet18", (3, 32, 32), 10, layout=False),
                        for_training=True).state_dict()
    assert after["fc.weight"].shape == (10, 512)
    assert not torch.equal(after["fc.weight"], fresh["fc.weight"])  # the head learned
    report = json.loads((run / "pretrained.json").read_text())
    assert report["source"] == str(weights) and report["preset"] == "resnet18"
    assert report["tensors_loaded"] == 120 and report["fresh"] == ["fc"]
    assert report["head"] == "fc" and len(report["frozen"]) == 40 and "fc" not in report["frozen"]
    saved = json.loads((run / "project.cnnproj").read_text())  # resume rebuilds it frozen
    frozen = {n["name"] for n in saved["nodes"] if n.get("trainable") is False}
    assert frozen == set(report["frozen"])


def test_unfreeze_after_and_backbone_lr_factor_also_on_resume(
        weights: Path, shared_data: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    rc = train("resnet18", shared_data, run, "--weights", str(weights), "--freeze", "backbone",
               "--unfreeze-after", "1", "--backbone-lr-factor", "0.1", "--epochs", "1")
    assert rc == 0, capsys.readouterr().err
    state = torch.load(weights, weights_only=True)
    assert torch.equal(checkpoint(run)["conv1.weight"], state["conv1.weight"])  # epoch 1
    groups = json.loads((run / "checkpoints" / "last.json").read_text())["optimizer"][
        "param_groups"]
    assert [(g["lr"], g["lr_factor"]) for g in groups] == [(0.01, 1.0), (pytest.approx(0.001),
                                                                         0.1)]
    assert len(groups[0]["params"]) == 2  # fc.weight, fc.bias; the backbone in group 2
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "2", "--lr", "0.02",
                 "--no-progress"]) == 0
    assert "epoch 2: 40 frozen node(s) now trainable" in capsys.readouterr().out
    after = checkpoint(run)
    assert not torch.equal(after["conv1.weight"], state["conv1.weight"])  # epoch 2 trained it
    groups = json.loads((run / "checkpoints" / "last.json").read_text())["optimizer"][
        "param_groups"]
    assert [g["lr"] for g in groups] == [0.02, pytest.approx(0.002)]  # the factor holds


def test_a_project_file_made_from_a_preset_takes_the_torch_hub_cache(
        weights: Path, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cache = tmp_path / "torch" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    (cache / RESNET18_FILE).write_bytes(weights.read_bytes())
    project = tmp_path / "mine.cnnproj"
    save(Project(build_preset("resnet18"), "My ResNet", metadata={PRESET_KEY: "resnet18"}),
         project)
    run = tmp_path / "run"
    rc = train(str(project), shared_data, run, "--weights", "torchvision", "--freeze",
               "conv1,layer1_0_conv1", "--epochs", "1")
    assert rc == 0, capsys.readouterr().err
    report = json.loads((run / "pretrained.json").read_text())
    assert report["source"] == str(cache / RESNET18_FILE) and report["fresh"] == ["fc"]
    assert report["frozen"] == ["conv1", "layer1_0_conv1"]
    state = torch.load(weights, weights_only=True)
    after = checkpoint(run)
    assert torch.equal(after["layer1_0_conv1.weight"], state["layer1.0.conv1.weight"])
    assert not torch.equal(after["layer1_0_conv2.weight"], state["layer1.0.conv2.weight"])


@pytest.mark.parametrize(("extra", "said"), [
    (["--weights", "{tmp}/missing.pth"], "error: --weights: no file at {tmp}/missing.pth"),
    (["--weights", "torchvision"], "error: no torchvision weights for resnet18 in the torch "
     "hub cache: put resnet18-f37072fd.pth into {tmp}/hub/checkpoints/ (CNN Studio never "
     "downloads weights)"),
    (["--freeze", "conv1,nope"], "error: --freeze: no node named nope"),
    (["--freeze", "maxpool"], "error: --freeze: maxpool has no weights to freeze"),
])
def test_refusals_name_the_problem(extra: list[str], said: str, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty cache
    extra = [e.format(tmp=tmp_path) for e in extra]
    rc = main(["train", "resnet18", "--num-classes", "10", "--dataset", "mnist-sample",
               "--out", str(tmp_path / "run"), *extra])
    assert rc == 1
    assert said.format(tmp=tmp_path) in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # nothing written


def test_weights_onto_a_network_not_made_from_a_preset_are_refused(
        weights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parents[1] / "resources" / "examples"
    rc = main(["train", str(example / "conv_pool.cnnproj"), "--dataset", "mnist-sample",
               "--weights", str(weights), "--out", str(tmp_path / "run")])
    assert rc == 1
    assert "was not made from a torchvision preset" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--weights", "w.pth"], ["--freeze", "backbone"],
                                    ["--unfreeze-after", "2"], ["--backbone-lr-factor", "0.1"]])
def test_resume_refuses_the_transfer_options(option: list[str], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--resume", str(tmp_path), *option]) == 2
    assert f"{option[0]} cannot be given with --resume" in capsys.readouterr().err
