"""Presets in the core (no torch): they build, validate, and count exactly their references."""

from __future__ import annotations

import keyword
import time

import pytest

from cnnstudio.cli import main as cli_main
from cnnstudio.core.layers import get_layer
from cnnstudio.core.presets import PRESETS, build_preset
from cnnstudio.core.retarget import set_num_classes
from cnnstudio.core.shapes import analyse
from tests.presets import refs

EXPECTED_IDS = {
    "lenet5", "alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
    "vgg19_bn", "nin", "googlenet", "inception_v3", "resnet18", "resnet34", "resnet50",
    "resnet101", "resnet152", "densenet121", "densenet169", "densenet201", "mobilenet_v1",
    "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "xception", "efficientnet_b0",
    "convnext_tiny", "inception_resnet_v2", "nasnet_mobile",
}


def test_every_requested_preset_is_registered_with_title_description_paper() -> None:
    assert EXPECTED_IDS <= set(PRESETS)
    for p in PRESETS.values():
        assert p.title and p.description and p.paper, p.id
        assert "\n" not in p.description


@pytest.mark.parametrize("preset_id", sorted(refs.TORCHVISION))
def test_params_equal_torchvision(preset_id: str) -> None:
    a = analyse(build_preset(preset_id, layout=False))
    assert a.ok, [i.describe(a.graph) for i in a.issues]
    assert a.total("params") == refs.TORCHVISION[preset_id]
    assert a.output_shape == (1000,)


@pytest.mark.parametrize("preset_id", sorted(refs.KERAS))
def test_keras_params_equal_keras_applications(preset_id: str) -> None:
    a = analyse(build_preset(preset_id, layout=False))
    assert a.ok, [i.describe(a.graph) for i in a.issues]
    assert a.total("keras_params") == refs.KERAS[preset_id]
    assert a.output_shape == (1000,)


def test_lenet5_and_nin_counts() -> None:
    assert analyse(build_preset("lenet5")).total("params") == refs.LENET5
    assert analyse(build_preset("nin")).total("params") == refs.NIN


@pytest.mark.parametrize("preset_id", sorted(EXPECTED_IDS))
def test_names_are_unique_identifiers_and_nodes_grouped(preset_id: str) -> None:
    g = build_preset(preset_id, layout=False)
    names = [n.name for n in g.nodes.values()]
    assert len(names) == len(set(names))
    assert all(n.isidentifier() and not keyword.iskeyword(n) for n in names)
    grouped = [n for n in g.nodes.values() if n.kind != "Input"]
    assert all(n.group for n in grouped), [n.name for n in grouped if not n.group][:5]


@pytest.mark.parametrize("preset_id", sorted(EXPECTED_IDS))
def test_head_adapts_to_classes_and_input(preset_id: str) -> None:
    p = PRESETS[preset_id]
    c, h, w = p.input_shape
    g = build_preset(preset_id, (1, h + 32, w + 32), 7, layout=False)
    a = analyse(g)
    assert a.ok, [i.describe(g) for i in a.issues][:3]
    assert a.output_shape == (7,)
    set_num_classes(g, 3)
    assert analyse(g).output_shape == (3,)


def test_resnet_cifar_stem() -> None:
    assert "cifar_stem" in PRESETS["resnet18"].options
    g = build_preset("resnet18", (3, 32, 32), 10, cifar_stem=True)
    a = analyse(g)
    assert a.ok and a.output_shape == (10,)
    assert g.by_name("conv1").params["kernel"] == (3, 3)
    assert g.by_name("conv1").params["stride"] == (1, 1)
    assert "maxpool" not in {n.name for n in g.nodes.values()}
    # the last stage sees 4x4 maps (32 / 8), not 1x1
    assert a.infos[g.by_name("layer4_1_relu").id].shape == (512, 4, 4)


def test_resnet50_reads_as_a_few_dozen_groups() -> None:
    g = build_preset("resnet50", layout=False)
    groups = {n.group for n in g.nodes.values() if n.group}
    assert 15 <= len(groups) <= 40


@pytest.mark.parametrize(("preset_id", "shape", "culprit"), [
    ("vgg16", "3,16,16", "pool5"),
    ("inception_v3", "3,64,64", "Mixed_7a_branch3x3_2_conv"),
])
def test_validate_names_the_collapsing_layer(
    preset_id: str, shape: str, culprit: str, capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_main(["validate", preset_id, "--input-shape", shape]) == 1
    out = capsys.readouterr().out
    assert culprit in out


def test_presets_cli_lists_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert cli_main(["presets", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert EXPECTED_IDS <= {r["id"] for r in rows}
    resnet = next(r for r in rows if r["id"] == "resnet50")
    assert "cifar_stem" in resnet["options"]


def test_densenet201_layout_is_fast_and_unique() -> None:
    start = time.perf_counter()
    g = build_preset("densenet201")
    elapsed = time.perf_counter() - start
    positions = [n.position for n in g.nodes.values()]
    assert len(set(positions)) == len(positions)
    assert elapsed < 2.0


@pytest.mark.parametrize("preset_id", sorted(EXPECTED_IDS))
def test_build_and_validate_under_half_a_second(preset_id: str) -> None:
    start = time.perf_counter()
    analyse(build_preset(preset_id))
    assert time.perf_counter() - start < 1.0  # goal 0.5 s; slack for a loaded CI machine


def test_trainable_counts_follow_freezing() -> None:
    g = build_preset("resnet18", layout=False)
    total = analyse(g).total("params")
    fc = g.by_name("fc")
    for node in g.nodes.values():
        if get_layer(node.kind).has_weights and node.id != fc.id:
            g.set_trainable(node.id, False)
    a = analyse(g)
    assert a.total("params") == total
    assert a.total("trainable_params") == 512 * 1000 + 1000
