"""Each layer kind compiled vs the same computation written by hand with torch, and Keras
'same' padding (convolutions and pools, stride > 1, even and odd sizes) vs a naive reference."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnstudio.compiler import build_model
from cnnstudio.core.builder import GraphBuilder

Ref = Callable[[torch.Tensor, dict[str, torch.Tensor]], torch.Tensor]


def run_single(kind: str, params: dict[str, Any], shape: tuple[int, ...],
               flat: bool = False) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    b = GraphBuilder()
    x = b.input(*shape)
    if flat:
        x = b.add("Flatten", x, name="flat")
    b.add(kind, x, name="node", **params)
    model = build_model(b.graph).eval()
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if "running" in name:
                buf.uniform_(0.5, 1.5)
        for p in model.parameters():
            p.uniform_(-1, 1)
    inp = torch.randn(2, *shape)
    state = {k.removeprefix("node."): v for k, v in model.state_dict().items()}
    with torch.no_grad():
        return model(inp), inp, state


def ln2d(x: torch.Tensor, s: dict[str, torch.Tensor], eps: float) -> torch.Tensor:
    mean = x.mean(1, keepdim=True)
    var = x.var(1, keepdim=True, unbiased=False)
    return (x - mean) / torch.sqrt(var + eps) * s["weight"][:, None, None] + \
        s["bias"][:, None, None]


CASES: list[tuple[str, dict[str, Any], tuple[int, ...], bool, Ref]] = [
    ("Conv2d", dict(filters=4, kernel=3, stride=2, padding=1, dilation=1, activation="relu"),
     (3, 9, 8), False, lambda x, s: F.relu(F.conv2d(x, s["weight"], s["bias"], 2, 1))),
    ("Conv2d", dict(filters=6, kernel=(3, 2), dilation=2, groups=3, bias=False,
                    activation="leaky_relu"), (3, 9, 8), False,
     lambda x, s: F.leaky_relu(F.conv2d(x, s["weight"], None, 1, 0, 2, 3))),
    ("DepthwiseConv2d", dict(kernel=3, depth_multiplier=2, activation="relu6"), (3, 7, 7),
     False, lambda x, s: F.relu6(F.conv2d(x, s["weight"], s["bias"], groups=3))),
    ("SeparableConv2d", dict(filters=5, kernel=3, padding=(1, 1), activation="silu"),
     (3, 7, 6), False,
     lambda x, s: F.silu(F.conv2d(F.conv2d(x, s["depthwise.weight"], None, 1, 1, groups=3),
                                  s["pointwise.weight"], s["pointwise.bias"]))),
    ("MaxPool2d", dict(kernel=3, stride=2, padding=1, ceil_mode=True), (2, 9, 10), False,
     lambda x, s: F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
    ("AvgPool2d", dict(kernel=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     (2, 9, 10), False,
     lambda x, s: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
    ("MinPool2d", dict(kernel=2, stride=2, ceil_mode=True), (2, 7, 7), False,
     lambda x, s: -F.max_pool2d(-x, 2, 2, ceil_mode=True)),
    ("AdaptiveAvgPool2d", dict(output_size=(3, 2)), (2, 7, 5), False,
     lambda x, s: F.adaptive_avg_pool2d(x, (3, 2))),
    ("AdaptiveMaxPool2d", dict(output_size=2), (2, 7, 5), False,
     lambda x, s: F.adaptive_max_pool2d(x, 2)),
    ("GlobalAvgPool", dict(keepdims=True), (3, 5, 4), False,
     lambda x, s: x.mean((2, 3), keepdim=True)),
    ("GlobalMaxPool", dict(keepdims=False), (3, 5, 4), False, lambda x, s: x.amax((2, 3))),
    ("Flatten", {}, (3, 2, 2), False, lambda x, s: x.reshape(len(x), -1)),
    ("Dense", dict(units=5, activation="tanh"), (2, 3, 3), True,
     lambda x, s: torch.tanh(F.linear(x.flatten(1), s["weight"], s["bias"]))),
    ("Dense", dict(units=4, bias=False, activation="softmax"), (2, 3, 3), True,
     lambda x, s: torch.softmax(F.linear(x.flatten(1), s["weight"]), 1)),
    ("Dropout", dict(rate=0.5), (2, 4, 4), False, lambda x, s: x),
    ("Dropout2d", dict(rate=0.5), (2, 4, 4), False, lambda x, s: x),
    ("BatchNorm", dict(eps=1e-3), (3, 4, 4), False,
     lambda x, s: F.batch_norm(x, s["running_mean"], s["running_var"], s["weight"], s["bias"],
                               eps=1e-3)),
    ("BatchNorm", {}, (2, 2, 2), True,
     lambda x, s: F.batch_norm(x.flatten(1), s["running_mean"], s["running_var"], s["weight"],
                               s["bias"])),
    ("BatchNorm", dict(eps=1e-3, scale=False), (3, 4, 4), False,
     lambda x, s: F.batch_norm(x, s["running_mean"], s["running_var"], None, s["bias"],
                               eps=1e-3)),
    ("BatchNorm", dict(scale=False), (2, 2, 2), True,
     lambda x, s: F.batch_norm(x.flatten(1), s["running_mean"], s["running_var"], None,
                               s["bias"])),
    ("LayerNorm", dict(eps=1e-6), (4, 3, 5), False, lambda x, s: ln2d(x, s, 1e-6)),
    ("LayerNorm", dict(eps=1e-5), (2, 3, 2), True,
     lambda x, s: F.layer_norm(x.flatten(1), (12,), s["weight"], s["bias"], 1e-5)),
    ("LocalResponseNorm", dict(size=3, alpha=1e-2, beta=0.75, k=2.0), (5, 3, 3), False,
     lambda x, s: F.local_response_norm(x, 3, 1e-2, 0.75, 2.0)),
    ("LayerScale", {}, (3, 2, 2), False, lambda x, s: x * s["scale"].reshape(1, 3, 1, 1)),
    ("ZeroPad2d", dict(padding=(1, 2, 3, 4)), (2, 3, 3), False,
     lambda x, s: F.pad(x, (3, 4, 1, 2))),
    ("Cropping2d", dict(cropping=(1, 0, 2, 1)), (2, 5, 6), False,
     lambda x, s: x[:, :, 1:, 2:5]),
    ("Identity", {}, (2, 3, 3), False, lambda x, s: x),
    ("ReLU", {}, (2, 3, 3), False, lambda x, s: torch.relu(x)),
    ("ReLU6", {}, (2, 3, 3), False, lambda x, s: torch.clamp(x, 0, 6)),
    ("LeakyReLU", dict(negative_slope=0.2), (2, 3, 3), False,
     lambda x, s: torch.where(x > 0, x, 0.2 * x)),
    ("ELU", dict(alpha=0.5), (2, 3, 3), False,
     lambda x, s: torch.where(x > 0, x, 0.5 * (torch.exp(x) - 1))),
    ("GELU", dict(approximate="tanh"), (2, 3, 3), False,
     lambda x, s: F.gelu(x, approximate="tanh")),
    ("SiLU", {}, (2, 3, 3), False, lambda x, s: x * torch.sigmoid(x)),
    ("Hardswish", {}, (2, 3, 3), False, lambda x, s: x * torch.clamp(x + 3, 0, 6) / 6),
    ("Hardsigmoid", {}, (2, 3, 3), False, lambda x, s: torch.clamp(x + 3, 0, 6) / 6),
    ("Sigmoid", {}, (2, 3, 3), False, lambda x, s: 1 / (1 + torch.exp(-x))),
    ("Tanh", {}, (2, 3, 3), False, lambda x, s: torch.tanh(x)),
    ("Softmax", {}, (4, 2, 3), False,
     lambda x, s: torch.exp(x) / torch.exp(x).sum(1, keepdim=True)),
]


@pytest.mark.parametrize(("kind", "params", "shape", "flat", "ref"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_layer_matches_hand_written_torch(kind: str, params: dict[str, Any],
                                          shape: tuple[int, ...], flat: bool, ref: Ref) -> None:
    got, x, state = run_single(kind, params, shape, flat)
    torch.testing.assert_close(got, ref(x, state), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("merge", ["Add", "Concat", "Multiply"])
def test_merges(merge: str) -> None:
    b = GraphBuilder()
    x = b.input(3, 4, 5)
    a = b.add("ReLU", x, name="a")
    if merge == "Multiply":
        second = b.add("GlobalAvgPool", x, name="g", keepdims=True)
    else:
        second = b.add("Tanh", x, name="t")
    c = b.add("Sigmoid", x, name="c")
    b.add(merge, a, second, c, name="m")
    model = build_model(b.graph)
    inp = torch.randn(2, 3, 4, 5)
    other = inp.mean((2, 3), keepdim=True) if merge == "Multiply" else torch.tanh(inp)
    parts = [torch.relu(inp), other, torch.sigmoid(inp)]
    expected = {"Add": lambda: parts[0] + parts[1] + parts[2],
                "Concat": lambda: torch.cat(parts, 1),
                "Multiply": lambda: parts[0] * parts[1] * parts[2]}[merge]()
    torch.testing.assert_close(model(inp), expected)


# ---------------------------------------------------------------- Keras 'same' padding


def keras_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """Written from the Keras/TensorFlow documentation, independently of the core."""
    out = (n + s - 1) // s
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def naive_window(x: np.ndarray, k: int, s: int, d: int, pad_value: float,
                 reduce: Callable[[np.ndarray], float]) -> np.ndarray:
    """Apply ``reduce`` to every window of a (H, W) array padded the Keras way."""
    (t, b), (left, r) = keras_pads(x.shape[0], k, s, d), keras_pads(x.shape[1], k, s, d)
    padded = np.pad(x, ((t, b), (left, r)), constant_values=pad_value)
    oh, ow = -(-x.shape[0] // s), -(-x.shape[1] // s)
    out = np.zeros((oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        out[i, j] = reduce(padded[i * s:i * s + (k - 1) * d + 1:d, j * s:j * s + (k - 1) * d + 1:d])
    return out


SAME = [(n, m, k, s) for n, m in ((7, 8), (6, 5)) for k in (1, 2, 3, 4) for s in (1, 2, 3)]


@pytest.mark.parametrize(("h", "w", "k", "s"), SAME)
@pytest.mark.parametrize("d", [1, 2])
def test_same_conv_matches_keras(h: int, w: int, k: int, s: int, d: int) -> None:
    got, x, state = run_single("Conv2d", dict(filters=1, kernel=k, stride=s, padding="same",
                                              dilation=d, bias=False), (1, h, w))
    kernel = state["weight"][0, 0].numpy().astype(np.float64)
    expected = naive_window(x[0, 0].numpy().astype(np.float64), k, s, d, 0.0,
                            lambda win: float((win * kernel).sum()))
    np.testing.assert_allclose(got[0, 0].numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("h", "w", "k", "s"), SAME)
@pytest.mark.parametrize(("kind", "pad", "reduce"), [
    ("MaxPool2d", -np.inf, np.max), ("MinPool2d", np.inf, np.min),
    ("AvgPool2d", np.nan, np.nanmean)])
def test_same_pools_match_keras(h: int, w: int, k: int, s: int, kind: str, pad: float,
                                reduce: Callable[[np.ndarray], float]) -> None:
    got, x, _ = run_single(kind, dict(kernel=k, stride=s, padding="same"), (1, h, w))
    expected = naive_window(x[0, 0].numpy().astype(np.float64), k, s, 1, pad, reduce)
    np.testing.assert_allclose(got[0, 0].numpy(), expected, rtol=1e-5, atol=1e-6)
