"""ONNX files: every catalogue kind the reader knows, ops without a kind named together,
and files that are refused before anything is built (never executed, within the limits)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from cnnstudio.compiler import build_model
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.shapes import analyse
from cnnstudio.importing import onnx_reader
from cnnstudio.importing.importer import import_model
from cnnstudio.importing.ops import ModelImportError, UnsupportedOpsError
from tests.compiler.sample_graphs import kitchen_sink
from tests.importing.onnx_helpers import export_keeping_batchnorm, randomise, tiny_onnx


def many_kinds() -> GraphBuilder:
    """Most catalogue kinds, at odd sizes, with 'same' padding that needs an extra pixel
    (LocalResponseNorm is left out: torch writes it as a 3-D average pool, not ONNX's LRN)."""
    b = GraphBuilder()
    x = b.input(3, 15, 13)
    x = b.add("Conv2d", x, name="stem", filters=8, kernel=2, stride=2, padding="same",
              activation="relu")
    x = b.add("BatchNorm", x, name="bn", scale=False)
    x = b.add("MaxPool2d", x, name="pool_ceil", kernel=3, stride=2, padding=1, ceil_mode=True)
    x = b.add("ZeroPad2d", x, name="pad", padding=(1, 2, 0, 1))
    x = b.add("MinPool2d", x, name="min_pool", kernel=2, stride=1)
    y = b.add("DepthwiseConv2d", x, name="dw", kernel=3, padding="same", activation="relu6")
    y = b.add("LayerNorm", y, name="ln")
    y = b.add("LayerScale", y, name="scale", init_value=0.5)
    x = b.add("Add", x, y, name="residual")
    s = b.add("GlobalAvgPool", x, name="squeeze", keepdims=True)
    s = b.add("Conv2d", s, name="excite", filters=8, kernel=1, activation="hardsigmoid")
    x = b.add("Multiply", x, s, name="se")
    br1 = b.add("SeparableConv2d", x, name="branch_sep", filters=4, kernel=3, padding="same",
                activation="gelu")
    br2 = b.add("MaxPool2d", x, name="branch_pool", kernel=3, stride=1, padding="same")
    br3 = b.add("Conv2d", x, name="branch_dil", filters=4, kernel=3, dilation=2, padding="same",
                activation="silu")
    x = b.add("Concat", br1, br2, br3, name="mixed")
    x = b.add("AvgPool2d", x, name="avg_ceil", kernel=2, stride=2, ceil_mode=True,
              count_include_pad=False)
    x = b.add("Cropping2d", x, name="crop", cropping=(0, 1, 1, 0))
    for kind in ("Hardswish", "ELU", "LeakyReLU", "Tanh", "ReLU", "GELU", "Sigmoid"):
        x = b.add(kind, x, name=kind.lower())
    x = b.add("GlobalMaxPool", x, name="gmax")
    x = b.add("Dense", x, name="hidden", units=12, activation="elu")
    x = b.add("LayerNorm", x, name="ln_flat")
    x = b.add("BatchNorm", x, name="bn_flat")
    b.add("Dense", x, name="classifier", units=5, activation="softmax")
    return b


def test_many_kinds_round_trip(tmp_path: Path) -> None:
    graph = many_kinds().graph
    torch.manual_seed(0)
    model = randomise(build_model(graph))
    result = import_model(str(export_keeping_batchnorm(model, tmp_path / "m.onnx")))
    kinds = {n.kind for n in result.imported.graph.nodes.values()}
    assert {"MinPool2d", "LayerScale", "LayerNorm", "Multiply", "Concat", "DepthwiseConv2d",
            "GELU", "ZeroPad2d", "GlobalMaxPool", "ELU", "LeakyReLU", "Cropping2d"} <= kinds
    assert result.imported.graph.by_name("stem").params["padding"] == "same"  # (0, 1) again
    assert result.imported.graph.by_name("bn").params["scale"] is False
    crops = [n for n in result.imported.graph.nodes.values() if n.kind == "Cropping2d"]
    assert [n.params["cropping"] for n in crops] == [(0, 1, 1, 0)]  # two slices, one crop
    assert result.params == analyse(graph).total("params")
    x = torch.randn(4, 3, 15, 13)
    with torch.no_grad():
        torch.testing.assert_close(result.model(x), model(x), atol=1e-5, rtol=1e-4)


def test_ops_without_a_kind_are_named_together(tmp_path: Path) -> None:
    model = build_model(kitchen_sink())
    path = export_keeping_batchnorm(model, tmp_path / "sink.onnx")
    with pytest.raises(UnsupportedOpsError) as info:
        import_model(str(path))
    text = str(info.value)
    assert text.startswith(f"{path}: ")
    assert "Div at ONNX node" in text  # Keras-same average pooling: pad, pool, divide
    assert "ReduceMax at ONNX node" in text and "(only over height and width)" in text
    assert "Nothing was imported" in text
    assert not list(tmp_path.glob("*.cnnproj"))


def test_a_hand_written_file_imports_and_an_unknown_op_is_named(tmp_path: Path) -> None:
    good = tmp_path / "good.onnx"
    onnx.save(tiny_onnx(), str(good))
    result = import_model(str(good))
    assert [n.kind for n in result.imported.graph.nodes.values()] == ["Input", "Conv2d"]
    assert result.imported.graph.by_name("conv").params["activation"] == "relu"
    lrn = tmp_path / "lrn.onnx"
    onnx.save(tiny_onnx("LRN", size=3, alpha=2e-4), str(lrn))
    node = import_model(str(lrn)).imported.graph.by_name("y")
    assert (node.kind, node.params["size"], node.params["alpha"]) == ("LocalResponseNorm", 3,
                                                                      2e-4)
    drop = tmp_path / "dropout.onnx"
    model = tiny_onnx("Dropout")
    model.graph.initializer.append(numpy_helper.from_array(np.array(0.3, np.float32), "r"))
    model.graph.node[1].input.append("r")  # opset 18: the ratio is an input
    onnx.save(model, str(drop))
    node = import_model(str(drop)).imported.graph.by_name("y")
    assert (node.kind, node.params["rate"]) == ("Dropout", 0.3)
    bad = tmp_path / "bad.onnx"
    onnx.save(tiny_onnx("Erf"), str(bad))
    with pytest.raises(UnsupportedOpsError, match=r"1 operation with no layer kind in CNN "
                       r"Studio: Erf at ONNX node 'strange'"):
        import_model(str(bad))


def test_refused_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x07not a protobuf at all" * 10)
    with pytest.raises(ModelImportError, match="garbage.onnx: not an ONNX file|checker"):
        import_model(str(garbage))
    folder = tmp_path / "folder.onnx"
    folder.mkdir()
    with pytest.raises(ModelImportError, match="folder.onnx: it is a folder"):
        import_model(str(folder))
    fifo = tmp_path / "pipe.onnx"
    os.mkfifo(fifo)
    with pytest.raises(ModelImportError, match="pipe.onnx: it is a pipe"):
        import_model(str(fifo))
    good = tmp_path / "good.onnx"
    onnx.save(tiny_onnx(), str(good))
    monkeypatch.setattr(onnx_reader, "MAX_ONNX_BYTES", 64)
    with pytest.raises(ModelImportError, match="the ONNX file is .* bytes; the limit is 64"):
        import_model(str(good))


def test_external_data_and_free_input_sizes_are_explained(tmp_path: Path) -> None:
    model = tiny_onnx()
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "H"
    free = tmp_path / "free.onnx"
    onnx.save(model, str(free))
    with pytest.raises(ModelImportError, match="not fixed in the file; give the input shape"):
        import_model(str(free))
    assert import_model(str(free), (1, 6, 4)).input_shape == (1, 6, 4)
    with pytest.raises(ModelImportError, match=r"fixes its input at 1x\?x4 .* cannot take 1x6x6"):
        import_model(str(free), (1, 6, 6))
    external = tmp_path / "ext.onnx"
    onnx.save(tiny_onnx(), str(external), save_as_external_data=True, size_threshold=0,
              all_tensors_to_one_file=True, location="ext.data")
    with pytest.raises(ModelImportError, match="external data files"):
        import_model(str(external))


def test_a_legacy_export_without_constant_folding(tmp_path: Path) -> None:
    """torch's TorchScript-based exporter, without constant folding, computes Keras 'same'
    padding at run time from constant shapes (Shape, Gather, Sub, ConstantOfShape, ...)."""
    b = GraphBuilder()
    x = b.input(3, 15, 13)
    x = b.add("Conv2d", x, name="stem", filters=4, kernel=2, stride=2, padding="same")
    x = b.add("BatchNorm", x, name="bn")
    b.add("DepthwiseConv2d", x, name="dw", kernel=3, stride=2, padding="same",
          activation="relu6")
    torch.manual_seed(0)
    model = randomise(build_model(b.graph))
    path = tmp_path / "legacy.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 3, 15, 13),), str(path), dynamo=False,
                          opset_version=18, input_names=["x"], output_names=["y"],
                          do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE,
                          dynamic_axes={"x": {0: "batch"}})
    assert "ConstantOfShape" in {n.op_type for n in onnx.load(str(path)).graph.node}
    result = import_model(str(path))
    assert result.imported.graph.by_name("stem").params["padding"] == "same"
    assert result.params == analyse(b.graph).total("params")
    x = torch.randn(3, 3, 15, 13)
    with torch.no_grad():
        torch.testing.assert_close(result.model(x), model(x), atol=1e-5, rtol=1e-4)
