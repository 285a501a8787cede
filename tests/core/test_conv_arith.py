"""The playground's NumPy arithmetic (core.conv_arith) against torch.nn.functional and the
compiled nodes (torch is only an oracle here; the core never imports it)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnnstudio.compiler import build_model
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.conv_arith import (
    MAX_WRITTEN_CHANNELS,
    activate,
    conv_cell,
    correlate,
    filter_map,
    output_size,
    pool,
    pool_cell,
)
from cnnstudio.core.layers.spec import ACTIVATIONS, ShapeProblem

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
pair = st.tuples(st.integers(1, 3), st.integers(1, 3))


def t64(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))[None]


@FAST
@given(st.integers(1, 3), st.integers(1, 3), st.integers(3, 11), st.integers(3, 11),
       st.tuples(st.integers(1, 4), st.integers(1, 4)), pair, pair,
       st.tuples(st.integers(0, 2), st.integers(0, 2)), st.integers(0, 2**31 - 1),
       st.booleans())
def test_correlate_equals_conv2d(groups: int, per_group: int, h: int, w: int,
                                 kernel: tuple[int, int], stride: tuple[int, int],
                                 dilation: tuple[int, int], padding: tuple[int, int], seed: int,
                                 bias: bool) -> None:
    rng = np.random.default_rng(seed)
    eff = [(k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True)]
    assume(h + 2 * padding[0] >= eff[0] and w + 2 * padding[1] >= eff[1])
    filters = groups * int(rng.integers(1, 3))
    x = rng.normal(size=(groups * per_group, h, w))
    weight = rng.normal(size=(filters, per_group, *kernel))
    b = rng.normal(size=filters) if bias else None
    ours = correlate(x, weight, b, stride, padding, dilation, groups)
    theirs = F.conv2d(t64(x), torch.from_numpy(weight), None if b is None else
                      torch.from_numpy(b), stride, padding, dilation, groups)[0].numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)


@FAST
@given(st.sampled_from(["max", "avg", "min"]), st.integers(1, 9), st.integers(1, 9),
       st.tuples(st.integers(1, 4), st.integers(1, 4)), pair, st.integers(0, 2),
       st.integers(0, 2), st.booleans(), st.booleans(), st.integers(0, 2**31 - 1))
def test_pool_equals_torch(mode: str, h: int, w: int, kernel: tuple[int, int],
                           stride: tuple[int, int], ph: int, pw: int, ceil_mode: bool,
                           count_include_pad: bool, seed: int) -> None:
    assume(ph <= kernel[0] // 2 and pw <= kernel[1] // 2)
    assume(h + 2 * ph >= kernel[0] and w + 2 * pw >= kernel[1])
    x = np.random.default_rng(seed).normal(size=(2, h, w))
    ours = pool(x, mode, kernel, stride, (ph, pw), ceil_mode, count_include_pad)
    tx = t64(x)
    if mode == "max":
        theirs = F.max_pool2d(tx, kernel, stride, (ph, pw), ceil_mode=ceil_mode)
    elif mode == "min":
        theirs = -F.max_pool2d(-tx, kernel, stride, (ph, pw), ceil_mode=ceil_mode)
    else:
        theirs = F.avg_pool2d(tx, kernel, stride, (ph, pw), ceil_mode, count_include_pad)
    assert ours.shape == theirs.shape[1:]
    np.testing.assert_allclose(ours, theirs[0].numpy(), rtol=1e-9, atol=1e-12)


def compiled(kind: str, shape: tuple[int, int, int], **params: object) -> torch.nn.Module:
    b = GraphBuilder()
    b.add(kind, b.input(*shape), name="node", **params)
    return build_model(b.graph).double().eval()


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("padding,stride,size", [("same", 2, (9, 8)), ("same", 1, (7, 7)),
                                                 ((1, 2), 1, (6, 6)), ("valid", 3, (10, 7))])
def test_conv_node_with_padding_and_activation(activation: str, padding: object, stride: int,
                                               size: tuple[int, int]) -> None:
    """Keras 'same' (odd pixel at the bottom / right) and every fused activation, as the
    compiler builds the node."""
    torch.manual_seed(0)
    model = compiled("Conv2d", (2, *size), filters=3, kernel=(3, 4), stride=stride,
                     padding=padding, activation=activation)
    x = np.random.default_rng(1).normal(size=(2, *size))
    conv = model.get_submodule("node")
    weight, bias = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    ours = activate(correlate(x, weight, bias, (stride, stride), padding), activation)
    with torch.no_grad():
        theirs = model(t64(x))[0].numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("kind,mode", [("MaxPool2d", "max"), ("AvgPool2d", "avg"),
                                       ("MinPool2d", "min")])
@pytest.mark.parametrize("size", [(7, 7), (8, 5)])
def test_pool_node_same_padding(kind: str, mode: str, size: tuple[int, int]) -> None:
    """'same' pooling leaves the padding out of an average and never picks it for a max."""
    model = compiled(kind, (2, *size), kernel=3, stride=2, padding="same")
    x = np.random.default_rng(2).normal(size=(2, *size)) - 5.0
    with torch.no_grad():
        theirs = model(t64(x))[0].numpy()
    # (the compiled uneven 'same' average divides by a float32 buffer)
    np.testing.assert_allclose(pool(x, mode, (3, 3), (2, 2), "same"), theirs, rtol=1e-6)


def test_worked_example_6x6_3x3() -> None:
    """The classic example: a 6x6 image and a 3x3 vertical-edge kernel give a 4x4 map; each
    cell's terms add up to the output and are written out one product at a time."""
    x = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float)[None]
    kernel = np.array([[1, 0, -1]] * 3, dtype=float)[None, None]
    out = correlate(x, kernel)
    assert out.shape == (1, 4, 4)
    for i in range(4):
        for j in range(4):
            cell = conv_cell(x, kernel, i, j)
            assert len(cell.terms) == 9
            assert cell.value == out[0, i, j]
            assert cell.total == sum(t.value * t.weight for t in cell.terms)
    cell = conv_cell(x, kernel, 0, 1)
    assert cell.text() == ("10×1 + 10×0 + 0×(-1) + 10×1 + 10×0 + 0×(-1) + "
                           "10×1 + 10×0 + 0×(-1) = 30")
    assert [(t.row, t.col) for t in cell.terms[:3]] == [(0, 1), (0, 2), (0, 3)]


def test_conv_cell_with_padding_bias_activation_and_stride() -> None:
    rng = np.random.default_rng(3)
    x, weight, bias = rng.normal(size=(2, 7, 6)), rng.normal(size=(4, 2, 3, 3)), rng.normal(size=4)
    out = activate(correlate(x, weight, bias, (2, 1), "same", (1, 2)), "relu")
    for f in range(4):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                cell = conv_cell(x, weight, i, j, bias, (2, 1), "same", (1, 2), "relu", f)
                assert cell.value == pytest.approx(out[f, i, j], abs=1e-12)
    corner = conv_cell(x[:1], weight[:, :1], 0, 0, bias, (2, 1), "same", (1, 2), "relu", 1)
    assert any(t.padding and t.value == 0 for t in corner.terms)
    assert corner.text().endswith(f"relu({corner.text().split(' = ')[1].split(';')[0]}) = "
                                  f"{corner.text().rsplit(' = ', 1)[1]}")


@FAST
@given(st.integers(2, 5), st.integers(1, 4), st.integers(4, 10), st.integers(4, 10),
       st.tuples(st.integers(1, 4), st.integers(1, 4)), pair, pair,
       st.sampled_from(["valid", (1, 0), (2, 1)]), st.sampled_from(["none", "relu", "tanh"]),
       st.integers(0, 2**31 - 1))
def test_filter_map_sums_all_channels_as_conv2d(channels: int, filters: int, h: int, w: int,
                                                kernel: tuple[int, int],
                                                stride: tuple[int, int],
                                                dilation: tuple[int, int], padding: object,
                                                activation: str, seed: int) -> None:
    """Each filter over all its input channels (groups=1) is that channel of F.conv2d's
    output; each output cell's per-channel sums add up (with the bias) to it."""
    eff = [(k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True)]
    assume(h >= eff[0] and w >= eff[1])
    rng = np.random.default_rng(seed)
    x, weight = rng.normal(size=(channels, h, w)), rng.normal(size=(filters, channels, *kernel))
    bias = rng.normal(size=filters)
    theirs = F.conv2d(t64(x), torch.from_numpy(weight), torch.from_numpy(bias), stride,
                      0 if padding == "valid" else padding, dilation, groups=1)[0]
    theirs = {"none": theirs, "relu": torch.relu(theirs), "tanh": torch.tanh(theirs)}[activation]
    for f in range(filters):
        ours = filter_map(x, weight, f, bias, stride, padding, dilation, 1, activation)
        np.testing.assert_allclose(ours, theirs[f].numpy(), rtol=1e-9, atol=1e-9)
    f = int(rng.integers(filters))
    ours = filter_map(x, weight, f, bias, stride, padding, dilation, 1, "none")
    i, j = int(rng.integers(ours.shape[0])), int(rng.integers(ours.shape[1]))
    cell = conv_cell(x, weight, i, j, bias, stride, padding, dilation, activation, f)
    sums = cell.channel_sums()
    assert [c for c, _ in sums] == list(range(channels))
    for c, total in sums:  # each channel's sum is its own single-channel correlation
        alone = correlate(x[c:c + 1], weight[f:f + 1, c:c + 1], None, stride, padding, dilation)
        assert total == pytest.approx(alone[0, i, j], abs=1e-9)
    assert sum(total for _, total in sums) + bias[f] == pytest.approx(ours[i, j], abs=1e-9)
    assert cell.value == pytest.approx(theirs[f, i, j].item(), abs=1e-9)


def test_channel_sums_written_out() -> None:
    """A 3-channel cell reads 'R: ... = a,  G: ... = b,  B: ... = c;  a + b + c + bias =
    total', the products of each channel with their own weights."""
    x = np.stack([np.full((3, 3), 1.0), np.full((3, 3), 2.0), np.full((3, 3), 0.5)])
    weight = np.zeros((2, 3, 2, 2))
    weight[1, 0], weight[1, 1], weight[1, 2] = 1.0, -1.0, 2.0
    cell = conv_cell(x, weight, 0, 0, np.array([0.0, 0.25]), activation="relu", filter_index=1)
    assert cell.channel_sums() == [(0, 4.0), (1, -8.0), (2, 4.0)]
    assert cell.text(("R", "G", "B")) == (
        "R: 1×1 + 1×1 + 1×1 + 1×1 = 4,  G: 2×(-1) + 2×(-1) + 2×(-1) + 2×(-1) = -8,  "
        "B: 0.5×2 + 0.5×2 + 0.5×2 + 0.5×2 = 4;  4 + (-8) + 4 + 0.25 = 0.25;  "
        "relu(0.25) = 0.25")
    assert cell.text().startswith("c0: 1×1 + ")
    many = conv_cell(np.ones((MAX_WRITTEN_CHANNELS + 1, 2, 2)),
                     np.ones((1, MAX_WRITTEN_CHANNELS + 1, 2, 2)), 0, 0)
    assert many.text() == ",  ".join(
        f"c{c} = 4" for c in range(MAX_WRITTEN_CHANNELS + 1)) + ";  " + " + ".join(
        ["4"] * (MAX_WRITTEN_CHANNELS + 1)) + f" = {4 * (MAX_WRITTEN_CHANNELS + 1)}"
    with pytest.raises(ValueError, match="filter 2 is not one of the 2"):
        filter_map(x, weight, 2)


@pytest.mark.parametrize("mode", ["max", "avg", "min"])
@pytest.mark.parametrize("padding,ceil_mode,include", [((1, 1), True, True),
                                                       ((1, 0), False, False), ("same", False,
                                                                                True)])
def test_pool_cell_matches_pool(mode: str, padding: object, ceil_mode: bool,
                                include: bool) -> None:
    x = np.random.default_rng(4).normal(size=(2, 6, 7))
    out = pool(x, mode, (3, 2), (2, 2), padding, ceil_mode, include)
    for c in range(2):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                cell = pool_cell(x, mode, i, j, (3, 2), (2, 2), padding, ceil_mode, include, c)
                assert cell.value == pytest.approx(out[c, i, j], abs=1e-12)
    cell = pool_cell(np.arange(16.0).reshape(1, 4, 4), mode, 0, 0, (2, 2), (2, 2))
    assert cell.text() == {"max": "max(0, 1, 4, 5) = 5", "min": "min(0, 1, 4, 5) = 0",
                           "avg": "(0 + 1 + 4 + 5) / 4 = 2.5"}[mode]


def test_window_that_does_not_fit_is_the_shape_engines_problem() -> None:
    with pytest.raises(ShapeProblem, match="larger than its input"):
        correlate(np.zeros((1, 4, 4)), np.zeros((1, 1, 5, 5)))
    with pytest.raises(ShapeProblem, match="more than half"):
        pool(np.zeros((1, 8, 8)), "max", (2, 2), (2, 2), (2, 2))
    (ho, wo), lines = output_size((28, 28), (5, 5), (1, 1), (2, 2))
    assert (ho, wo) == (28, 28) and lines[0].startswith("H_out = floor((28 - 5 + 2*2) / 1)")
    with pytest.raises(ValueError, match="outside the 4x4 output"):
        conv_cell(np.zeros((1, 6, 6)), np.zeros((1, 1, 3, 3)), 4, 0)
    with pytest.raises(ValueError, match="does not fit weights"):
        correlate(np.zeros((2, 6, 6)), np.zeros((1, 1, 3, 3)))
