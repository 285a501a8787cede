"""The analytic receptive fields (core/receptive.py) against the empirical ones of real
compiled networks.

The empirical field of an output pixel is where the gradient of that pixel (summed over its
channels) with respect to the input image is non-zero; for a flat vector, the gradient of the
sum of its values. To avoid accidental zeros every weight is a positive constant, every bias
zero, BatchNorm is the identity (eval mode) and the inputs are positive, so every path
carries a positive derivative (ReLU never cuts, tanh never saturates to exactly zero in
float64). A max pool passes the gradient to one position per window only, so the field is the
union over a batch of random inputs (each window's maximum lands on each of its positions in
some image). The analytic field lives on an image without borders; the gradient only reaches
the image, so the analytic rows ``start + i*jump`` .. ``+ size - 1`` are clipped to the image
before they are compared, exactly, with the first and last non-zero row and column. Each node
is checked at its first, centre and last output pixel, so size, jump and start all count
(a ZeroPad2d at its centre only: its border pixels are constants, with no field at all).
"""

from __future__ import annotations

import pytest
import torch

from cnnstudio.compiler.to_torch import build_model, node_outputs
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.presets import build_preset
from cnnstudio.core.receptive import receptive_fields
from cnnstudio.core.shapes import analyse

BATCH = 256


def strided_chain() -> Graph:
    """Dilation, 'same' and explicit padding, a max pool, a ceil-mode pool, zero padding and
    cropping, a depthwise convolution, then global pooling and Dense."""
    b = GraphBuilder()
    x = b.input(2, 23, 21)
    x = b.add("Conv2d", x, filters=3, kernel=3, dilation=2, padding=2, activation="relu")
    x = b.add("MaxPool2d", x, kernel=3, stride=2, padding=1)
    x = b.add("Conv2d", x, filters=4, kernel=(3, 5), stride=2, padding="same")
    x = b.add("ZeroPad2d", x, padding=(1, 0, 1, 0))
    x = b.add("AvgPool2d", x, kernel=2, stride=2, ceil_mode=True)
    x = b.add("Cropping2d", x, cropping=(0, 1, 1, 0))
    x = b.add("DepthwiseConv2d", x, kernel=2, activation="relu")
    x = b.add("GlobalAvgPool", x)
    b.add("Dense", x, units=3)
    return b.graph


def branch_merge() -> Graph:
    """Add and Concat of branches with different fields, and a squeeze-excitation gate."""
    b = GraphBuilder()
    x = b.input(1, 16, 16)
    a = b.add("Conv2d", x, filters=2, kernel=3, padding="same", activation="relu")
    c = b.add("Conv2d", b.add("ZeroPad2d", x, padding=2), filters=2, kernel=5)
    s = b.add("Add", a, c)
    d = b.add("Conv2d", x, filters=2, kernel=3, dilation=3, padding=3)
    m = b.add("MaxPool2d", x, kernel=3, stride=1, padding=1)
    y = b.add("Concat", s, d, m)
    y = b.add("Conv2d", y, filters=4, kernel=3, stride=2)
    y = b.add("BatchNorm", y)
    gate = b.add("GlobalAvgPool", y, keepdims=True)
    gate = b.add("Sigmoid", gate)
    y = b.add("Multiply", y, gate)
    y = b.add("Flatten", y)
    b.add("Dense", y, units=2)
    return b.graph


def constant_model(graph: Graph) -> torch.nn.Module:
    model = build_model(graph, for_training=True).double().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():  # weights 1 / fan-in: tanh stays unsaturated
            p.fill_(0.0 if name.endswith("bias") else 1.0 / p[0].numel() if p.dim() > 1 else 1.0)
    return model


def support(grad: torch.Tensor, name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """(first, last) non-zero row and column of a (batch, C, H, W) gradient."""
    mask = grad.abs().sum(dim=(0, 1)) > 0
    rows = torch.nonzero(mask.any(dim=1)).flatten()
    cols = torch.nonzero(mask.any(dim=0)).flatten()
    assert len(rows) and len(cols), f"{name}: the gradient is zero everywhere"
    return (int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1]))


def expected(start: int, jump: int, size: int, i: int, n: int) -> tuple[int, int]:
    lo = start + i * jump
    return max(lo, 0), min(lo + size - 1, n - 1)


@pytest.mark.parametrize("make", [lambda: build_preset("lenet5"), strided_chain, branch_merge],
                         ids=["lenet5", "strided_chain", "branch_merge"])
def test_analytic_fields_match_the_gradient(make: object) -> None:
    graph: Graph = make()  # type: ignore[operator]
    a = analyse(graph)
    assert a.ok
    fields = receptive_fields(a)
    model = constant_model(graph)
    c, h, w = a.input_shape or ()
    x = (torch.rand(BATCH, c, h, w, generator=torch.Generator().manual_seed(0),
                    dtype=torch.float64) + 0.5).requires_grad_(True)
    outputs = node_outputs(model, x)
    checked = 0
    for nid in a.order:
        node, f = graph.nodes[nid], fields[nid]
        if node.kind == "Input":
            continue
        assert f is not None and f.exact, node.name
        out = outputs[node.name]
        if out.dim() == 2:  # a vector: all of it, every pixel it depends on
            pixels = [(0, 0)]
            targets = [out.sum()]
            assert f.h.jump == f.w.jump == 0
        else:
            ho, wo = out.shape[2:]
            pixels = [(0, 0), (ho // 2, wo // 2), (ho - 1, wo - 1)]
            if node.kind == "ZeroPad2d":  # its border pixels are constants: no field
                pixels = pixels[1:2]
            targets = [out[:, :, i, j].sum() for i, j in pixels]
        for (i, j), target in zip(pixels, targets, strict=True):
            (grad,) = torch.autograd.grad(target, x, retain_graph=True)
            rows, cols = support(grad, node.name)
            assert rows == expected(f.h.start, f.h.jump, f.h.size, i, h), (node.name, i, f)
            assert cols == expected(f.w.start, f.w.jump, f.w.size, j, w), (node.name, j, f)
            checked += 1
    assert checked >= len(a.order)


def test_the_check_sees_a_wrong_field() -> None:
    """The comparison is sharp: a field one pixel too small or shifted is caught."""
    graph = strided_chain()
    a = analyse(graph)
    f = receptive_fields(a)[a.order[2]]  # the max pool
    assert f is not None
    model = constant_model(graph)
    x = (torch.rand(BATCH, 2, 23, 21, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(1)) + 0.5).requires_grad_(True)
    out = node_outputs(model, x)[graph.nodes[a.order[2]].name]
    i = out.shape[2] // 2
    (grad,) = torch.autograd.grad(out[:, :, i, i].sum(), x)
    rows, _ = support(grad, "maxpool")
    assert rows == expected(f.h.start, f.h.jump, f.h.size, i, 23)
    assert rows != expected(f.h.start, f.h.jump, f.h.size - 1, i, 23)
    assert rows != expected(f.h.start + 1, f.h.jump, f.h.size, i, 23)
