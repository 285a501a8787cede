"""Receptive fields from the layer declarations (core/receptive.py, core/layers/fields.py).

The numbers here follow from the definition (size, jump, start per axis) worked by hand for
small chains, and from published figures (VGG-16's pool5 sees 212 pixels, ResNet-18's last
block 435); tests/compiler/test_receptive_torch.py checks them against real gradients.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cnnstudio.cli import main
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.layers import LAYERS
from cnnstudio.core.layers.fields import Field
from cnnstudio.core.presets import build_preset
from cnnstudio.core.receptive import ReceptiveField, field_text, receptive_fields
from cnnstudio.core.shapes import analyse
from cnnstudio.core.summary import summary_dict


def chain(*steps: tuple[str, dict[str, Any]], size: int = 32) -> dict[str, ReceptiveField]:
    """Fields by node name of Input(1, size, size) -> steps."""
    b = GraphBuilder()
    x = b.input(1, size, size)
    for kind, params in steps:
        x = b.add(kind, x, **params)
    a = analyse(b.graph)
    fields = receptive_fields(a)
    return {b.graph.nodes[n].name: f for n, f in fields.items() if f is not None}


def last(fields: dict[str, ReceptiveField]) -> ReceptiveField:
    return list(fields.values())[-1]


def test_stacked_convolutions_grow_by_kernel_minus_one() -> None:
    for n in (1, 2, 5):
        f = last(chain(*[("Conv2d", {"kernel": 3, "filters": 2})] * n))
        assert (f.h.size, f.h.jump, f.h.start) == (2 * n + 1, 1, 0)


def test_stride_multiplies_the_jump_and_scales_later_kernels() -> None:
    f = last(chain(("Conv2d", {"kernel": 3, "stride": 2}), ("Conv2d", {"kernel": 3})))
    # first: size 3, jump 2; second adds (3-1)*2
    assert (f.h.size, f.h.jump) == (3 + 2 * 2, 2)


def test_dilation_spans_the_holes() -> None:
    f = last(chain(("Conv2d", {"kernel": 3, "dilation": 2})))
    assert (f.h.size, f.h.jump, f.h.start) == (5, 1, 0)


def test_padding_moves_the_start_into_the_border() -> None:
    f = last(chain(("Conv2d", {"kernel": 5, "padding": 2}), ("MaxPool2d", {"padding": 1})))
    assert f.h.start == -2 - 1 * 1
    same = last(chain(("Conv2d", {"kernel": 4, "padding": "same"}), size=10))
    assert same.h.start == -1  # Keras same: total 3, 1 before and 2 after


def test_asymmetric_kernel_gives_per_axis_fields_and_text() -> None:
    f = last(chain(("Conv2d", {"kernel": (5, 3), "stride": (2, 1), "padding": (2, 1)})))
    assert (f.h, f.w) == (Field(5, 2, -2), Field(3, 1, -1))
    assert f.text() == "5x3, jump 2x1, start -2,-1"


def test_zero_padding_and_cropping_shift_the_start() -> None:
    f = chain(("ZeroPad2d", {"padding": (3, 0, 1, 0)}), ("Cropping2d", {"cropping": 2}))
    assert [(x.h.start, x.w.start) for x in f.values()] == [(0, 0), (-3, -1), (-1, 1)]


def test_elementwise_kinds_keep_the_field() -> None:
    names = ["ReLU", "BatchNorm", "Dropout", "Tanh", "LayerNorm", "Identity", "Softmax"]
    fields = chain(("Conv2d", {"kernel": 3}), *[(k, {}) for k in names])
    assert len({f for f in list(fields.values())[1:]}) == 1


def test_global_pooling_and_dense_see_the_whole_input() -> None:
    fields = chain(("Conv2d", {"kernel": 3, "stride": 2}), ("GlobalAvgPool", {}),
                   ("Dense", {"units": 4}), size=17)
    conv, pool, dense = list(fields.values())[1:]
    assert conv.h.jump == 2 and pool.h.jump == 0
    # 8 outputs of size 3 stepping 2: 3 + 7*2 = 17, the whole image
    assert pool.h.size == 17 and pool.h.start == 0 and dense == pool


def test_adaptive_pool_is_a_window_when_bins_are_equal_and_a_bound_otherwise() -> None:
    even = last(chain(("AdaptiveAvgPool2d", {"output_size": 4}), size=16))
    assert (even.h.size, even.h.jump, even.exact) == (4, 4, True)
    odd = last(chain(("AdaptiveAvgPool2d", {"output_size": 3}), size=7))
    assert not odd.exact and odd.text().startswith("~")


def test_merge_takes_the_union_of_its_inputs_fields() -> None:
    b = GraphBuilder()
    x = b.input(1, 16, 16)
    a1 = b.add("Conv2d", x, kernel=3, padding=1)
    a2 = b.add("Conv2d", x, kernel=7, padding=3)
    m = b.add("Add", a1, a2)
    c = b.add("Concat", a1, b.add("Identity", x))
    fields = receptive_fields(analyse(b.graph))
    assert fields[m] == fields[a2] and fields[m].h.size == 7
    assert fields[c] == fields[a1]


def test_squeeze_excitation_gate_makes_every_pixel_see_everything() -> None:
    b = GraphBuilder()
    x = b.add("Conv2d", b.input(1, 9, 9), kernel=3, filters=4)
    gate = b.add("GlobalAvgPool", x, keepdims=True)
    m = b.add("Multiply", x, gate)
    f = receptive_fields(analyse(b.graph))[m]
    assert f is not None and (f.h.size, f.h.jump, f.h.start, f.exact) == (9, 0, 0, True)


def test_published_figures_vgg16_and_resnet18() -> None:
    vgg = build_preset("vgg16")
    a = analyse(vgg)
    by_name = {vgg.nodes[n].name: f for n, f in receptive_fields(a).items()}
    assert by_name["pool5"] is not None and by_name["pool5"].h.size == 212
    res = build_preset("resnet18")
    a = analyse(res)
    by_name = {res.nodes[n].name: f for n, f in receptive_fields(a).items()}
    assert by_name["layer4_1_relu"] is not None and by_name["layer4_1_relu"].h.size == 435


def test_a_node_without_a_shape_has_no_field() -> None:
    b = GraphBuilder()
    x = b.add("Conv2d", b.input(1, 4, 4), kernel=7)  # too large: no shape
    y = b.add("ReLU", x)
    fields = receptive_fields(analyse(b.graph))
    assert fields[x] is None and fields[y] is None
    g = GraphBuilder()
    add = g.add("Add", g.add("ReLU", g.input(1, 4, 4)), inputs=2)  # port 2 unconnected
    assert receptive_fields(analyse(g.graph))[add] is None


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_every_kind_declares_a_rule(kind: str) -> None:
    assert callable(LAYERS[kind].receptive)


def test_the_summary_json_carries_each_field() -> None:
    g = build_preset("lenet5")
    a = analyse(g)
    fields = receptive_fields(a)
    for layer in summary_dict(a)["layers"]:
        f = fields[layer["id"]]
        assert f is not None and layer["receptive_field"] == f.to_dict()


def test_the_cli_table_has_a_receptive_field_column(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "vgg16", "--input-shape", "3,64,64", "--num-classes", "10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split("   ")[-1].strip() == "Receptive Field"
    assert main(["summary", "vgg16", "--input-shape", "3,64,64", "--num-classes", "10",
                 "--json"]) == 0
    layers = json.loads(capsys.readouterr().out)["layers"]
    rows = lines[4:4 + len(layers)]
    for row, layer in zip(rows, layers, strict=True):
        assert row.startswith(f"{layer['name']} ({layer['type']})")
        assert row.endswith("   " + field_text(layer["receptive_field"]))
