"""Every kind in the layer catalogue is carried through the whole house: it appears in the
sample graphs the export tests use, lowers to torch, has a Python writer (or needs no
module), exports to ONNX; and the flags on its declaration agree with what it lowers to."""

from __future__ import annotations

from pathlib import Path

import pytest
from torch import nn

from cnnstudio.compiler import build_model, compile_info
from cnnstudio.compiler.codegen import module_code
from cnnstudio.compiler.export_onnx import export_onnx
from cnnstudio.compiler.lowering import lower
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import LAYERS
from cnnstudio.core.retarget import classifier_node, set_num_classes
from cnnstudio.core.shapes import analyse
from tests.compiler.sample_graphs import clashing_names, kitchen_sink

SAMPLES = {"kitchen_sink": kitchen_sink, "clashing_names": clashing_names}


def sample_kinds() -> set[str]:
    return {n.kind for make in SAMPLES.values() for n in make().nodes.values()}


def test_every_kind_appears_in_the_sample_graphs() -> None:
    assert set(LAYERS) - sample_kinds() == set()


@pytest.mark.parametrize("sample", list(SAMPLES))
def test_every_node_lowers_and_every_module_has_a_python_writer(sample: str) -> None:
    graph = SAMPLES[sample]()
    model = build_model(graph)
    info = compile_info(model)
    modules = dict(model.named_children())
    for step in info.steps:
        module = modules.get(step.attr)
        spec = LAYERS[step.kind]
        if module is None:  # module-free: the Input, or a merge of its inputs
            assert step.kind == "Input" or step.merge == spec.merge != "", step.kind
            continue
        assert module_code(module), step.kind
        if spec.has_weights:
            assert any(True for _ in module.parameters()), step.kind


@pytest.mark.parametrize("sample", list(SAMPLES))
def test_every_sample_exports_to_onnx(sample: str, tmp_path: Path) -> None:
    report = export_onnx(build_model(SAMPLES[sample]()), tmp_path / "m.onnx")
    assert report.checks and report.max_abs_diff


def lowered(graph: Graph) -> dict[str, nn.Module | None]:
    """Node kind -> the module of one node of that kind."""
    analysis = analyse(graph)
    out: dict[str, nn.Module | None] = {}
    for nid in analysis.order:
        node = graph.nodes[nid]
        shapes = [analysis.infos[e.src].shape for e in graph.inputs_of(nid) if e is not None]
        step = lower(node, shapes, node.name, [])  # type: ignore[arg-type]
        out[node.kind] = step.module
    return out


def test_layer_flags_agree_with_what_each_kind_lowers_to() -> None:
    modules = lowered(kitchen_sink()) | lowered(clashing_names())
    for kind, spec in LAYERS.items():
        module = modules[kind]
        names = {p.name for p in spec.params}
        if spec.conv:
            convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]  # type: ignore[union-attr]
            assert convs and {"kernel", "stride", "padding", "dilation"} <= names, kind
        else:
            assert not isinstance(module, nn.Conv2d), kind
        if spec.window_pool:
            assert {"kernel", "stride", "padding", "ceil_mode"} <= names, kind
        assert (module is None) == (bool(spec.merge) or kind == "Input"), kind
        if spec.classifier_param:
            assert spec.has_weights and spec.classifier_param in names, kind
        assert not (spec.after_classifier and spec.has_weights), kind


def head(kind: str, flat: bool) -> Graph:
    """Input -> ... -> a classifier (Dense on a vector, else a 1x1 Conv2d) -> ``kind``."""
    b = GraphBuilder()
    x = b.input(3, 8, 8)
    if flat:
        x = b.add("Dense", b.add("Flatten", x), name="classifier", units=5)
    else:
        x = b.add("Conv2d", x, name="classifier", filters=5, kernel=1)
    b.add(kind, x, name="tail")
    return b.graph


@pytest.mark.parametrize("kind", sorted(k for k, s in LAYERS.items()
                                         if s.inputs == 1 and not s.has_weights))
def test_retargeting_walks_back_only_through_after_classifier_kinds(kind: str) -> None:
    graph = head(kind, flat=True)
    if not analyse(graph).ok:  # a kind that needs a feature map
        graph = head(kind, flat=False)
    assert analyse(graph).ok
    found = classifier_node(graph)
    if LAYERS[kind].after_classifier:
        assert found is graph.by_name("classifier")
        set_num_classes(graph, 7)
        assert found.params[found.spec.classifier_param] == 7
    else:
        assert found is None
