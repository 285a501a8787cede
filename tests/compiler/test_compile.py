"""build_model: the state-dict contract, refusals, naming, training variants, weight transfer."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from cnnstudio.compiler import CompileError, attribute_names, build_model, compile_info
from cnnstudio.compiler.weights import load_weights, rebuild, transfer_weights
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.examples import example_project
from cnnstudio.core.graph import Graph


def small(names: dict[str, str] | None = None, softmax: str = "fused") -> Graph:
    n = names or {}
    b = GraphBuilder()
    x = b.input(3, 8, 8)
    x = b.add("Conv2d", x, name=n.get("conv", "conv"), filters=4, padding="same")
    x = b.add("SeparableConv2d", x, name=n.get("sep", "sep"), filters=5)
    x = b.add("BatchNorm", x, name=n.get("bn", "bn"))
    x = b.add("LayerNorm", x, name="ln")
    x = b.add("LayerScale", x, name="ls", init_value=0.25)
    x = b.add("GlobalAvgPool", x, name="gap")
    x = b.add("LayerScale", x, name="ls_flat", init_value=2.0)
    x = b.add("Dense", x, name=n.get("fc", "fc"), units=3,
              activation="softmax" if softmax == "fused" else "none")
    if softmax == "node":
        b.add("Softmax", x, name="probs")
    return b.graph


def test_state_dict_keys_follow_the_contract() -> None:
    model = build_model(small())
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["conv.weight"] == (4, 3, 3, 3) and shapes["conv.bias"] == (4,)
    assert shapes["sep.depthwise.weight"] == (4, 1, 3, 3)
    assert "sep.depthwise.bias" not in shapes
    assert shapes["sep.pointwise.weight"] == (5, 4, 1, 1) and shapes["sep.pointwise.bias"] == (5,)
    for key in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
        assert f"bn.{key}" in shapes
    assert shapes["ln.weight"] == (5,) and shapes["ln.bias"] == (5,)
    assert shapes["ls.scale"] == (5, 1, 1) and shapes["ls_flat.scale"] == (5,)
    assert shapes["fc.weight"] == (3, 5) and shapes["fc.bias"] == (3,)
    assert torch.all(model.ls.scale == 0.25) and torch.all(model.ls_flat.scale == 2.0)


def test_batchnorm_without_scale_learns_only_the_shift() -> None:
    b = GraphBuilder()
    x = b.input(3, 4, 4)
    b.add("BatchNorm", x, name="bn", scale=False, eps=1e-3, momentum=0.01)
    model = build_model(b.graph)
    assert set(model.state_dict()) == {"bn.bias", "bn.running_mean", "bn.running_var",
                                       "bn.num_batches_tracked"}
    model(torch.randn(4, 3, 4, 4))
    assert int(model.bn.num_batches_tracked) == 1
    assert float(model.bn.running_mean.abs().max()) > 0


def test_invalid_graph_raises_compile_error_naming_nodes() -> None:
    b = GraphBuilder()
    x = b.input(1, 4, 4)
    x = b.add("Conv2d", x, name="too_big", kernel=7)
    b.add("Dense", x, name="dense_on_map", units=3)
    with pytest.raises(CompileError) as info:
        build_model(b.graph)
    assert "too_big" in info.value.node_names
    assert "too_big (Conv2d)" in str(info.value)
    assert info.value.issues and info.value.issues[0].node_id is not None
    lonely = GraphBuilder()
    lonely.input(1, 4, 4)
    with pytest.raises(CompileError, match="no layers"):
        build_model(lonely.graph)


@pytest.mark.parametrize("softmax", ["fused", "node"])
def test_for_training_drops_only_the_final_softmax(softmax: str) -> None:
    graph = small(softmax=softmax)
    torch.manual_seed(0)
    infer = build_model(graph).eval()
    train = build_model(graph, for_training=True).eval()
    assert list(infer.state_dict()) == list(train.state_dict())
    train.load_state_dict(infer.state_dict())
    x = torch.randn(2, 3, 8, 8)
    probs, logits = infer(x), train(x)
    torch.testing.assert_close(probs.sum(1), torch.ones(2))
    torch.testing.assert_close(torch.softmax(logits, 1), probs)
    assert compile_info(train).for_training


def test_names_that_clash_with_module_attributes() -> None:
    graph = small({"conv": "training", "sep": "forward", "bn": "training_", "fc": "_private"})
    attrs = attribute_names(graph)
    assert attrs["training"] == "training__" and attrs["training_"] == "training_"
    assert attrs["forward"] == "forward_" and attrs["_private"] == "_private_"
    model = build_model(graph)
    keys = set(model.state_dict())
    assert {"training__.weight", "forward_.pointwise.weight", "training_.running_mean",
            "_private_.weight"} <= keys
    assert model.training is True
    model.eval()
    assert model(torch.randn(1, 3, 8, 8)).shape == (1, 3)
    assert compile_info(model).attrs["training"] == "training__"


def test_trainable_false_freezes_parameters() -> None:
    graph = small()
    graph.set_trainable(graph.by_name("conv").id, False)
    model = build_model(graph)
    assert not model.conv.weight.requires_grad and not model.conv.bias.requires_grad
    assert model.fc.weight.requires_grad


def test_compile_info_survives_deepcopy() -> None:
    model = build_model(small())
    clone = copy.deepcopy(model)
    assert compile_info(clone).output == "fc"
    wrapper = torch.nn.Module()
    wrapper.module = clone  # as DistributedDataParallel holds it
    assert compile_info(wrapper).attrs["fc"] == "fc"


def test_rebuild_keeps_weights_where_node_and_shape_match() -> None:
    graph = small()
    old = build_model(graph)
    graph.set_param(graph.by_name("sep").id, "filters", 6)   # sep, bn, ln, ls change shape
    graph.rename(graph.by_name("conv").id, "first_conv")      # renamed: kept by node id
    new, report = rebuild(graph, old)
    torch.testing.assert_close(new.first_conv.weight, old.conv.weight)
    torch.testing.assert_close(new.sep.depthwise.weight, old.sep.depthwise.weight)
    assert "first_conv" in report.copied
    assert {"sep", "bn", "ln", "ls", "ls_flat", "fc"} <= set(report.reinitialised)
    assert not torch.equal(new.fc.weight[:, :5], old.fc.weight)


def test_transfer_by_name_between_separately_built_graphs() -> None:
    a = build_model(example_project("conv_pool").graph)
    b = build_model(example_project("conv_pool").graph)
    report = transfer_weights(a, b)
    assert report.reinitialised == []
    for key, value in a.state_dict().items():
        torch.testing.assert_close(b.state_dict()[key], value)


def test_load_weights_from_file_or_folder(tmp_path: Path) -> None:
    src = build_model(small())
    tensors = {k: v.contiguous() for k, v in src.state_dict().items()}
    save_file(tensors, str(tmp_path / "model.safetensors"))
    for where in (tmp_path / "model.safetensors", tmp_path):
        dst = build_model(small())
        assert load_weights(dst, where) == tmp_path / "model.safetensors"
        torch.testing.assert_close(dst.fc.weight, src.fc.weight)
    other = small()
    other.set_param(other.by_name("fc").id, "units", 7)
    with pytest.raises(ValueError, match="fc.weight"):
        load_weights(build_model(other), tmp_path)
    with pytest.raises(FileNotFoundError):
        load_weights(build_model(small()), tmp_path / "missing")
