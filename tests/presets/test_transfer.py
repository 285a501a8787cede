"""Transfer learning offline: fake "pretrained" torchvision files made in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from cnnstudio.compiler import build_model
from cnnstudio.core.presets import build_preset
from cnnstudio.core.shapes import analyse
from cnnstudio.core.summary import format_table, summary_dict
from cnnstudio.presets_torch.mapping import MappingError
from cnnstudio.presets_torch.transfer import (
    find_cached_weights,
    fine_tune_head,
    freeze_all,
    load_pretrained,
    load_state_file,
    pretrained_model,
    sync_trainable,
    torchvision_file_names,
)
from tests.presets.torch_helpers import randomise_, torchvision_model

RESNET18_FILE = "resnet18-f37072fd.pth"


@pytest.fixture(scope="module")
def resnet18_ref() -> torch.nn.Module:
    torch.manual_seed(1)
    return randomise_(torchvision_model("resnet18"))


@pytest.fixture
def resnet18_pth(tmp_path: Path, resnet18_ref: torch.nn.Module) -> Path:
    path = tmp_path / RESNET18_FILE
    torch.save(resnet18_ref.state_dict(), path)
    return path


def test_torchvision_file_names() -> None:
    assert RESNET18_FILE in torchvision_file_names("resnet18")
    assert torchvision_file_names("nin") == []


def test_pth_and_safetensors_load_alike(tmp_path: Path, resnet18_pth: Path) -> None:
    state = load_state_file(resnet18_pth)
    st = tmp_path / "resnet18.safetensors"
    save_file(state, str(st))
    again = load_state_file(st)
    assert state.keys() == again.keys()
    assert all(torch.equal(state[k], again[k]) for k in state)
    wrapped = tmp_path / "wrapped.pth"
    torch.save({"state_dict": state, "epoch": 3}, wrapped)
    assert load_state_file(wrapped).keys() == state.keys()


def test_pretrained_gives_torchvision_outputs(resnet18_pth: Path,
                                              resnet18_ref: torch.nn.Module) -> None:
    graph, model, report = pretrained_model("resnet18", resnet18_pth, input_shape=(3, 64, 64),
                                            for_training=True)
    assert report.reinitialised == [] and report.copied == len(model.state_dict())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x), resnet18_ref(x), atol=1e-4, rtol=1e-4)


def test_new_classes_keep_everything_but_the_classifier(
    resnet18_pth: Path, resnet18_ref: torch.nn.Module,
) -> None:
    graph, model, report = pretrained_model("resnet18", resnet18_pth, num_classes=5)
    assert report.reinitialised == ["fc"]
    assert analyse(graph).output_shape == (5,)
    ours, ref = model.state_dict(), resnet18_ref.state_dict()
    assert torch.equal(ours["layer4_1_conv2.weight"], ref["layer4.1.conv2.weight"])
    assert torch.equal(ours["bn1.running_var"], ref["bn1.running_var"])
    assert ours["fc.weight"].shape == (5, 512)


def test_hub_cache_is_found_and_never_downloaded(
    tmp_path: Path, resnet18_pth: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "_hub_dir", str(hub))
    assert find_cached_weights("resnet18") is None
    with pytest.raises(FileNotFoundError, match="never downloads"):
        pretrained_model("resnet18")
    (hub / "checkpoints").mkdir(parents=True)
    resnet18_pth.rename(hub / "checkpoints" / RESNET18_FILE)
    assert find_cached_weights("resnet18") == hub / "checkpoints" / RESNET18_FILE
    _, _, report = pretrained_model("resnet18", num_classes=3)
    assert report.source.endswith(RESNET18_FILE) and report.reinitialised == ["fc"]


def test_wrong_architecture_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "resnet34.pth"
    with torch.device("meta"):
        state = torchvision_model("resnet34").state_dict()
    torch.save({k: torch.zeros(v.shape, dtype=v.dtype) for k, v in state.items()}, path)
    graph = build_preset("resnet18", layout=False)
    with pytest.raises(MappingError):
        load_pretrained(build_model(graph), graph, "resnet18", path)


def test_auxiliary_classifiers_are_skipped(tmp_path: Path) -> None:
    import torchvision.models as tvm

    ref = tvm.googlenet(weights=None, aux_logits=True, init_weights=False)
    path = tmp_path / "googlenet.pth"
    torch.save(ref.state_dict(), path)
    graph = build_preset("googlenet", layout=False)
    report = load_pretrained(build_model(graph), graph, "googlenet", path)
    assert report.skipped and all(k.startswith(("aux1.", "aux2.")) for k in report.skipped)


def test_fine_tune_head_freezes_all_but_the_classifier(resnet18_pth: Path) -> None:
    graph, model, _ = pretrained_model("resnet18", resnet18_pth, num_classes=4)
    head = fine_tune_head(graph)
    assert graph.nodes[head].name == "fc"
    a = analyse(graph)
    assert a.total("trainable_params") == 512 * 4 + 4
    assert a.total("params") > 11_000_000
    summary = summary_dict(a)
    assert summary["trainable_params"] == 512 * 4 + 4
    assert summary["non_trainable_params"] == a.total("params") - (512 * 4 + 4)
    assert f"Trainable params: {512 * 4 + 4:,}" in format_table(a)
    sync_trainable(graph, model)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"fc.weight", "fc.bias"}
    # a recompile honours the flags too
    assert {n for n, p in build_model(graph).named_parameters() if p.requires_grad} == trainable
    freeze_all(graph, trainable=True)
    sync_trainable(graph, model)
    assert all(p.requires_grad for p in model.parameters())
    assert analyse(graph).total("trainable_params") == analyse(graph).total("params")
