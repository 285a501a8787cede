"""The memory estimate (cnnstudio.core.memory) against what PyTorch really keeps.

On the CPU, for every preset at batch 2 in fp32: the estimated activations against the bytes
of the distinct tensors autograd saves for the backward pass (saved_tensors_hooks; parameters
and buffers apart). One preset per family runs here; the others, which take about two more
minutes on two shared cores (the VGGs' dense layers dominate), are marked slow. On a GPU (when
there is one), the estimated total against torch.cuda.max_memory_allocated.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.memory import estimate
from cnnstudio.core.presets import PRESETS, build_preset
from cnnstudio.core.shapes import analyse
from cnnstudio.training.memory_probe import peak_cuda_bytes, saved_bytes

TOLERANCE = 0.10
#: one preset per family (core/presets/*.py), the quickest of each: about 25 s in all
EVERY_FAMILY = ("lenet5", "nin", "convnext_tiny", "densenet121", "efficientnet_b0",
                "googlenet", "inception_resnet_v2", "mobilenet_v3_small", "nasnet_mobile",
                "resnet18", "xception")
CASES = [pytest.param(p, marks=() if p in EVERY_FAMILY else pytest.mark.slow)
         for p in PRESETS]


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """One thread: the measurement is the same, and two shared cores stay usable."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_every_family_is_covered() -> None:
    families = {PRESETS[p].build.__module__ for p in PRESETS}
    assert {PRESETS[p].build.__module__ for p in EVERY_FAMILY} == families


@pytest.mark.parametrize("preset", CASES)
def test_activations_within_ten_percent_of_saved_tensors(preset: str) -> None:
    graph = build_preset(preset, layout=False)
    estimated = estimate(analyse(graph), 2).activations
    measured = saved_bytes(graph, 2)
    assert abs(estimated - measured) <= TOLERANCE * measured, (preset, estimated, measured)


@pytest.mark.parametrize("preset", ["resnet18", "convnext_tiny", "efficientnet_b0"])
def test_bf16_autocast_within_ten_percent(preset: str) -> None:
    """Under bf16 autocast the backward pass also keeps the 2-byte weight copies."""
    graph = build_preset(preset, layout=False)
    e = estimate(analyse(graph), 2, "bf16")
    measured = saved_bytes(graph, 2, "bf16")
    assert abs(e.activations + e.weight_copies - measured) <= TOLERANCE * measured


def test_frozen_nodes_keep_nothing_before_the_first_trainable_node() -> None:
    b = GraphBuilder()
    x = b.input(3, 32, 32)
    frozen = []
    for filters in (16, 32):
        x = b.add("Conv2d", x, filters=filters, padding="same", activation="relu")
        frozen.append(x)
        x = b.add("MaxPool2d", x)
    x = b.chain(x, ("Flatten", {}), ("Dense", {"units": 10}))
    for nid in frozen:
        b.graph.set_trainable(nid, False)
    a = analyse(b.graph)
    measured = saved_bytes(b.graph, 2)
    assert abs(estimate(a, 2).activations - measured) <= TOLERANCE * measured
    for nid in frozen:
        b.graph.set_trainable(nid, True)
    assert saved_bytes(b.graph, 2) > 4 * measured


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
@pytest.mark.parametrize(("preset", "batch", "precision"), [
    ("resnet18", 32, "fp32"), ("resnet50", 16, "bf16"), ("mobilenet_v2", 32, "fp32"),
    ("vgg11_bn", 8, "fp32")])
def test_total_against_cuda_peak(preset: str, batch: int, precision: str) -> None:
    graph = build_preset(preset, layout=False)
    e = estimate(analyse(graph), batch, precision, "adam")
    measured = peak_cuda_bytes(graph, batch, precision, "adam")
    assert 0.8 * measured <= e.total <= 1.25 * measured, (e.total, measured)
