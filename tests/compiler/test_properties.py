"""Property tests: random graphs compile, and the shape engine agrees with torch.

- every valid random graph compiles; the engine's shape equals torch's at every node;
  parameter counts (total, per node, trainable) equal the sums of ``numel()``;
- (slow) random valid graphs export to ONNX and pass its verification;
- for possibly invalid graphs: the engine accepts a graph exactly when torch runs it
  (see ``helpers.any_graphs`` for the two rules where the engine is stricter by design).

Example counts: CNNSTUDIO_HYPOTHESIS_EXAMPLES raises them (CI keeps them small).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings

from cnnstudio.compiler import build_model, compile_info, node_outputs
from cnnstudio.core.graph import Graph
from cnnstudio.core.shapes import analyse
from tests.compiler.helpers import any_graphs, examples, reference_run, valid_graphs

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])


@settings(max_examples=examples(120), **SETTINGS)
@given(valid_graphs())
def test_random_graphs_compile_with_engine_shapes(graph: Graph) -> None:
    analysis = analyse(graph)
    assert analysis.ok, [i.describe(graph) for i in analysis.issues]
    model = build_model(graph).eval()
    x = torch.randn(2, *analysis.input_shape)
    with torch.no_grad():
        outs = node_outputs(model, x)
        y = model(x)
    for nid in analysis.order:
        node = graph.nodes[nid]
        assert tuple(outs[node.name].shape[1:]) == analysis.infos[nid].shape, node.name
    torch.testing.assert_close(y, outs[compile_info(model).output])
    info = compile_info(model)
    children = dict(model.named_children())
    for nid in analysis.order:
        node = graph.nodes[nid]
        module = children.get(info.attrs[node.name])
        params = sum(p.numel() for p in module.parameters()) if module is not None else 0
        assert params == analysis.infos[nid].params, node.name
    assert sum(p.numel() for p in model.parameters()) == analysis.total("params")
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == analysis.total("trainable_params")


@settings(max_examples=examples(150), **SETTINGS)
@given(any_graphs())
def test_engine_accepts_exactly_what_torch_runs(graph: Graph) -> None:
    analysis = analyse(graph)
    x = torch.randn(2, *[graph.nodes[analysis.order[0]].params[k]
                         for k in ("channels", "height", "width")])
    with torch.no_grad():
        values = reference_run(graph, x)
    problems = [i.describe(graph) for i in analysis.issues]
    assert analysis.ok == (values is not None), problems or "engine accepted, torch refused"
    if values is not None:
        for nid in analysis.order:
            assert tuple(values[nid].shape[1:]) == analysis.infos[nid].shape


@pytest.mark.slow
@settings(max_examples=examples(25), **SETTINGS)
@given(valid_graphs(max_blocks=4))
def test_random_graphs_export_to_onnx(graph: Graph) -> None:
    from cnnstudio.compiler.export_onnx import export_onnx

    with tempfile.TemporaryDirectory() as tmp:
        report = export_onnx(build_model(graph), Path(tmp) / "m.onnx")
    assert report.exporter == "dynamo", report.fallback_reason
