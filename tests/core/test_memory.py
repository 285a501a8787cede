"""The memory estimate (cnnstudio.core.memory, core.saved): torch-free rules and arithmetic.

Measured against PyTorch in tests/training/test_memory_measured.py."""

from __future__ import annotations

import pytest

from cnnstudio.core import LAYERS, Graph, analyse
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.layers.spec import ACTIVATIONS
from cnnstudio.core.memory import (
    OPTIMIZER_STATE,
    USABLE_SHARE,
    activation_bytes,
    estimate,
    fits_line,
    fmt_bytes,
    memory_lines,
    parse_size,
    state_per_param,
)
from cnnstudio.core.presets import build_preset
from cnnstudio.core.saved import WORDS, fused_rule, rule
from cnnstudio.training.options import OPTIMIZERS, PRECISIONS


def small(frozen: bool = False) -> Graph:
    """Input 1x28x28 -> Conv2d 8 3x3 relu -> MaxPool 2 -> Flatten -> Dense 10."""
    b = GraphBuilder()
    x = b.input(1, 28, 28)
    conv = b.add("Conv2d", x, name="conv", filters=8, kernel=3, activation="relu")
    x = b.chain(conv, ("MaxPool2d", {}), ("Flatten", {}))
    b.add("Dense", x, units=10)
    if frozen:
        b.graph.set_trainable(conv, False)
    return b.graph


def test_every_layer_kind_has_a_rule_in_the_vocabulary() -> None:
    for kind, spec in LAYERS.items():
        assert spec.saves is not None, f"{kind} declares no saves"
        assert set(rule(kind, spec.defaults())) <= set(WORDS), kind
    for name in ACTIVATIONS:
        fused_rule(name)  # every fused activation finds its kind
    assert fused_rule("relu") == ("output",) and fused_rule("leaky_relu") == ("input",)
    assert rule("AdaptiveAvgPool2d", {"output_size": (1, 1)}) == ()
    assert rule("AdaptiveAvgPool2d", {"output_size": (7, 7)}) == ("input",)


def test_optimisers_and_precisions_match_the_training_options() -> None:
    assert set(OPTIMIZER_STATE) == set(OPTIMIZERS)
    assert state_per_param("sgd", 0.0) == 0 and state_per_param("sgd", 0.9) == 1
    assert state_per_param("adam") == state_per_param("adamw") == 2
    assert state_per_param("rmsprop", 0.0) == 1 and state_per_param("rmsprop", 0.9) == 2
    assert set(PRECISIONS) - {"auto"} == {"fp32", "bf16", "fp16"}
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        state_per_param("lbfgs")


def test_small_network_counted_by_hand() -> None:
    a = analyse(small())
    per_sample, fixed = activation_bytes(a)
    # the input (kept by conv), relu's output (kept by relu and by the pool: once), the
    # pool's int64 indices, the pool's output (kept by Dense through Flatten's view), and
    # the loss's log-probabilities and target
    assert per_sample == 784 * 4 + 8 * 26 * 26 * 4 + 8 * 13 * 13 * 8 + 8 * 13 * 13 * 4 + \
        10 * 4 + 8
    assert fixed == 4  # the loss's float32 scalar (its total weight)
    params = a.total("params")  # 80 + 13530
    e = estimate(a, 64, "fp32", "adam")
    assert (e.parameters, e.gradients, e.optimizer_state) == (4 * params, 4 * params,
                                                              8 * params)
    assert e.weight_copies == 0
    assert e.activations == 64 * per_sample + 4
    assert e.total == 16 * params + 64 * per_sample + 4
    sgd = estimate(a, 64, "fp32", "sgd", momentum=0.0)
    assert sgd.total == e.total - 8 * params


def test_batchnorm_statistics_do_not_grow_with_the_batch() -> None:
    b = GraphBuilder()
    x = b.input(3, 8, 8)
    x = b.chain(x, ("Conv2d", {"filters": 16, "padding": "same"}), ("BatchNorm", {}),
                ("ReLU", {}), ("GlobalAvgPool", {}), ("Dense", {"units": 2}))
    a = analyse(b.graph)
    one, two = estimate(a, 1), estimate(a, 2)
    assert one.activations_fixed == two.activations_fixed == 2 * 16 * 4 + 4
    assert two.activations - one.activations == one.activations_per_sample
    assert one.parameters == 4 * (a.total("params") + 2 * 16)  # running mean and variance


def test_frozen_start_keeps_less() -> None:
    """A frozen first convolution: nothing before Dense needs a gradient, so the convolution,
    its relu and the pool keep nothing."""
    trained, frozen = analyse(small()), analyse(small(frozen=True))
    kept, kept_frozen = activation_bytes(trained)[0], activation_bytes(frozen)[0]
    # frozen: only Dense's input (the pool's output) and the loss are kept
    assert kept_frozen == 8 * 13 * 13 * 4 + 10 * 4 + 8
    assert kept_frozen < kept
    assert estimate(frozen, 1).gradients == 4 * frozen.total("trainable_params")


def test_autocast_halves_activations_and_adds_weight_copies() -> None:
    a = analyse(build_preset("resnet18", layout=False))
    fp32, bf16 = estimate(a, 8, "fp32"), estimate(a, 8, "bf16")
    assert 0.45 < bf16.activations / fp32.activations < 0.55
    conv_dense = sum(a.infos[n].params for n in a.order
                     if a.graph.nodes[n].kind in ("Conv2d", "Dense"))
    assert bf16.weight_copies == 2 * conv_dense
    assert fp32.weight_copies == 0


def test_max_batch_is_the_largest_that_fits() -> None:
    e = estimate(analyse(build_preset("resnet18", layout=False)), 256)
    memory = 8 * 1024**3
    n = e.max_batch(memory)
    assert e.at_batch(n) <= USABLE_SHARE * memory < e.at_batch(n + 1)
    assert e.max_batch(e.fixed) == 0


def test_fits_line_and_block() -> None:
    e = estimate(analyse(build_preset("resnet18", layout=False)), 256)
    line = fits_line(e, 8 * 1024**3, "this GPU")
    assert line.startswith(f"batch 256 needs {fmt_bytes(e.total)}; this GPU has 8.0 GiB")
    assert f"largest batch that fits: {e.max_batch(8 * 1024**3):,}" in line
    assert fits_line(e, 1024**2, "this GPU").endswith("not even batch 1 fits")
    assert fits_line(e) == f"batch 256 needs {fmt_bytes(e.total)}"
    block = "\n".join(memory_lines(e))
    assert "optimiser state:" in block and "per sample" in block


def test_refuses_bad_settings_and_broken_designs() -> None:
    a = analyse(small())
    with pytest.raises(ValueError, match="precision must be one of fp32, bf16, fp16"):
        estimate(a, 1, "auto")
    with pytest.raises(ValueError, match="batch size must be at least 1"):
        estimate(a, 0)
    g = small()
    g.set_param(g.by_name("conv").id, "kernel", 64)  # larger than the image
    with pytest.raises(ValueError, match="the design has problems"):
        estimate(analyse(g), 1)


@pytest.mark.parametrize(("text", "value"), [
    ("8GiB", 8 * 1024**3), ("512 MiB", 512 * 1024**2), ("16GB", 16 * 10**9),
    ("1.5gib", int(1.5 * 1024**3)), ("4096", 4096)])
def test_parse_size(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "8 parsecs", "-1GiB", "0", "GiB", "1e9"])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="expected a size such as 8GiB"):
        parse_size(text)


def test_fmt_bytes() -> None:
    assert fmt_bytes(3.1 * 1024**3) == "3.1 GiB"
    assert fmt_bytes(240 * 1024**2) == "240 MiB"
    assert fmt_bytes(12) == "12 B"
