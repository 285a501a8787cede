"""Every layer kind's shape and parameter count against a real torch layer (torch is only an
oracle here; the core never imports it)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnstudio.core.layers import LAYERS
from cnnstudio.core.layers.window import same_pads
from tests.core.helpers import single

Case = tuple[str, tuple[int, ...], dict[str, Any], Callable[[int], nn.Module]]

CASES: list[Case] = [
    ("Conv2d", (3, 28, 28), dict(filters=6, kernel=5, padding=2),
     lambda c: nn.Conv2d(c, 6, 5, padding=2)),
    ("Conv2d", (16, 13, 11), dict(filters=8, kernel=(3, 5), stride=2, padding=1, dilation=2,
                                  groups=4), lambda c: nn.Conv2d(c, 8, (3, 5), 2, 1, 2, groups=4)),
    ("Conv2d", (5, 9, 7), dict(filters=7, kernel=2, stride=(3, 1), bias=False),
     lambda c: nn.Conv2d(c, 7, 2, (3, 1), bias=False)),
    ("Conv2d", (8, 10, 10), dict(filters=8, kernel=3, groups=8, padding=(0, 2)),
     lambda c: nn.Conv2d(c, 8, 3, padding=(0, 2), groups=8)),
    ("DepthwiseConv2d", (6, 15, 15), dict(kernel=3, stride=2, depth_multiplier=2),
     lambda c: nn.Conv2d(c, 2 * c, 3, 2, groups=c)),
    ("SeparableConv2d", (6, 15, 15), dict(filters=10, kernel=3, padding=1),
     lambda c: nn.Sequential(nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False),
                             nn.Conv2d(c, 10, 1))),
    ("MaxPool2d", (4, 15, 13), dict(kernel=3, stride=2, padding=1, ceil_mode=True),
     lambda c: nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
    ("MaxPool2d", (4, 6, 6), dict(kernel=2, stride=2, padding=1, ceil_mode=True),
     lambda c: nn.MaxPool2d(2, 2, 1, ceil_mode=True)),
    ("AvgPool2d", (4, 7, 9), dict(kernel=(2, 3), stride=(1, 2)),
     lambda c: nn.AvgPool2d((2, 3), (1, 2))),
    ("AvgPool2d", (3, 17, 17), dict(kernel=3, stride=2, ceil_mode=True),
     lambda c: nn.AvgPool2d(3, 2, ceil_mode=True)),
    ("MinPool2d", (4, 9, 9), dict(kernel=3, stride=3), lambda c: nn.MaxPool2d(3, 3)),
    ("AdaptiveAvgPool2d", (5, 9, 7), dict(output_size=(3, 2)),
     lambda c: nn.AdaptiveAvgPool2d((3, 2))),
    ("AdaptiveMaxPool2d", (5, 9, 7), dict(output_size=1), lambda c: nn.AdaptiveMaxPool2d(1)),
    ("GlobalAvgPool", (5, 9, 7), {}, lambda c: nn.Sequential(nn.AdaptiveAvgPool2d(1),
                                                               nn.Flatten())),
    ("GlobalMaxPool", (5, 9, 7), dict(keepdims=True), lambda c: nn.AdaptiveMaxPool2d(1)),
    ("Flatten", (5, 9, 7), {}, lambda c: nn.Flatten()),
    ("Dense", (300,), dict(units=17), lambda c: nn.Linear(300, 17)),
    ("Dense", (300,), dict(units=17, bias=False), lambda c: nn.Linear(300, 17, bias=False)),
    ("BatchNorm", (12, 5, 5), {}, lambda c: nn.BatchNorm2d(c)),
    ("BatchNorm", (40,), {}, lambda c: nn.BatchNorm1d(40)),
    ("LayerNorm", (12, 5, 5), {}, lambda c: nn.GroupNorm(1, c)),  # same count: 2C
    ("LocalResponseNorm", (12, 5, 5), dict(size=5), lambda c: nn.LocalResponseNorm(5)),
    ("Dropout", (12, 5, 5), dict(rate=0.3), lambda c: nn.Dropout(0.3)),
    ("Dropout2d", (12, 5, 5), {}, lambda c: nn.Dropout2d()),
    ("ZeroPad2d", (2, 5, 6), dict(padding=(1, 2, 3, 4)), lambda c: nn.ZeroPad2d((3, 4, 1, 2))),
    ("Identity", (2, 5, 6), {}, lambda c: nn.Identity()),
    ("LeakyReLU", (2, 5, 6), {}, lambda c: nn.LeakyReLU()),
    ("Softmax", (10,), {}, lambda c: nn.Softmax(dim=1)),
]
# every element-wise activation keeps the shape and has no parameters
CASES += [(k, (3, 4, 5), {}, lambda c: nn.Identity())
          for k, s in LAYERS.items() if s.category == "Activation"]


@pytest.mark.parametrize(("kind", "shape", "params", "make"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_shape_and_params_match_torch(kind: str, shape: tuple[int, ...], params: dict[str, Any],
                                      make: Callable[[int], nn.Module]) -> None:
    info = single(kind, shape, **params)
    assert not info.issues, [i.message for i in info.issues]
    module = make(shape[0]).eval()
    with torch.no_grad():
        out = module(torch.zeros(2, *shape))
    assert info.shape == tuple(out.shape[1:])
    assert info.params == sum(p.numel() for p in module.parameters())
    assert info.explanation  # every node explains itself


def test_every_kind_is_covered() -> None:
    assert {c[0] for c in CASES} >= set(LAYERS) - {"Input", "Add", "Concat", "Multiply",
                                                   "LayerScale", "Cropping2d"}


@pytest.mark.parametrize(("n", "k", "s", "d"), [(28, 3, 2, 1), (27, 3, 2, 1), (7, 4, 3, 1),
                                                (10, 3, 1, 2), (5, 7, 2, 1), (1, 3, 2, 1)])
def test_same_padding_is_keras(n: int, k: int, s: int, d: int) -> None:
    info = single("Conv2d", (2, n, n + 1), filters=3, kernel=k, stride=s, dilation=d,
                  padding="same")
    assert info.shape == (3, math.ceil(n / s), math.ceil((n + 1) / s))
    top, bottom = same_pads(n, k, s, d)
    assert bottom - top in (0, 1)  # the odd pad goes to the bottom
    x = F.pad(torch.zeros(1, 2, n, n + 1), (*same_pads(n + 1, k, s, d), top, bottom))
    out = nn.Conv2d(2, 3, k, s, dilation=d)(x)
    assert tuple(out.shape[1:]) == info.shape


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
def test_same_stride_one_matches_torch_same_values() -> None:
    """With stride 1, our explicit 'same' pads give torch's own padding='same' output."""
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, (4, 3), padding="same", dilation=(1, 2))
    x = torch.randn(1, 2, 9, 8)
    top, bottom = same_pads(9, 4, 1, 1)
    left, right = same_pads(8, 3, 1, 2)
    ours = F.conv2d(F.pad(x, (left, right, top, bottom)), conv.weight, conv.bias, dilation=(1, 2))
    torch.testing.assert_close(ours, conv(x))


def test_merges_match_torch() -> None:
    from cnnstudio.core import Graph, analyse

    g = Graph()
    i = g.add_node("Input", {"channels": 4, "height": 6, "width": 6}).id
    a = g.add_node("Conv2d", {"filters": 3, "kernel": 1}).id
    b = g.add_node("Conv2d", {"filters": 5, "kernel": 1}).id
    cat = g.add_node("Concat").id
    pool = g.add_node("GlobalAvgPool", {"keepdims": True}).id
    mul = g.add_node("Multiply").id
    add = g.add_node("Add").id
    for src, dst, port in [(i, a, 0), (i, b, 0), (a, cat, 0), (b, cat, 1), (cat, pool, 0),
                           (cat, mul, 0), (pool, mul, 1), (mul, add, 0), (cat, add, 1)]:
        g.connect(src, dst, port)
    info = analyse(g).infos
    x = torch.zeros(1, 4, 6, 6)
    c = torch.cat([nn.Conv2d(4, 3, 1)(x), nn.Conv2d(4, 5, 1)(x)], 1)
    m = c * c.mean((2, 3), keepdim=True)
    assert info[cat].shape == tuple(c.shape[1:]) == (8, 6, 6)
    assert info[mul].shape == tuple(m.shape[1:])
    assert info[add].shape == tuple((m + c).shape[1:])


REJECTED: list[tuple[str, tuple[int, ...], dict[str, Any], Callable[[int], nn.Module]]] = [
    ("Conv2d", (1, 4, 4), dict(filters=2, kernel=5), lambda c: nn.Conv2d(c, 2, 5)),
    ("Conv2d", (1, 4, 4), dict(filters=2, kernel=3, dilation=2), lambda c: nn.Conv2d(c, 2, 3,
                                                                                     dilation=2)),
    ("Conv2d", (6, 8, 8), dict(filters=4, groups=4), lambda c: nn.Conv2d(c, 4, 3, groups=4)),
    ("MaxPool2d", (1, 8, 8), dict(kernel=2, padding=2), lambda c: nn.MaxPool2d(2, 2, 2)),
    ("AvgPool2d", (1, 1, 1), dict(kernel=2), lambda c: nn.AvgPool2d(2)),
]


@pytest.mark.parametrize(("kind", "shape", "params", "make"), REJECTED)
def test_rejected_exactly_where_torch_fails(kind: str, shape: tuple[int, ...],
                                            params: dict[str, Any],
                                            make: Callable[[int], nn.Module]) -> None:
    info = single(kind, shape, **params)
    assert info.shape is None and info.issues
    assert info.issues[0].fix
    with pytest.raises((RuntimeError, ValueError)):
        make(shape[0])(torch.zeros(1, *shape))


def test_mult_adds_and_totals_match_torchinfo() -> None:
    torchinfo = pytest.importorskip("torchinfo")
    from cnnstudio.core.presets import build_preset
    from cnnstudio.core.shapes import analyse

    a = analyse(build_preset("lenet5"))
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
        nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84),
        nn.Tanh(), nn.Linear(84, 10), nn.BatchNorm1d(10),
    )
    stats = torchinfo.summary(model, input_size=(1, 1, 32, 32), verbose=0, mode="eval")
    # our lenet5 has no trailing BatchNorm: add its torchinfo share (2C params, 2C mult-adds)
    assert a.total("params") + 20 == stats.total_params
    assert a.total("mult_adds") + 20 == stats.total_mult_adds
