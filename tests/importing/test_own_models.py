"""A model compiled by CNN Studio imports as the design it came from: every preset (node by
node, with its node names, on the meta device) and every layer kind (with weights and
outputs). This holds the importer's mapping against the whole catalogue."""

from __future__ import annotations

import pytest
import torch

from cnnstudio.compiler import build_model
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import LAYERS
from cnnstudio.core.presets import PRESETS, build_preset
from cnnstudio.importing.builder import build
from cnnstudio.importing.fx_reader import read_module
from cnnstudio.importing.importer import import_module
from cnnstudio.importing.passes import simplify
from tests.compiler.sample_graphs import kitchen_sink
from tests.importing.graph_match import match
from tests.importing.onnx_helpers import randomise


@pytest.mark.parametrize("preset_id", list(PRESETS))
def test_compiled_preset_imports_as_itself(preset_id: str) -> None:
    graph = build_preset(preset_id, layout=False)
    with torch.device("meta"):
        model = build_model(graph)
    shape = PRESETS[preset_id].input_shape
    ops, out = read_module(model, tuple(shape), preset_id)  # type: ignore[arg-type]
    imported = build(*simplify(ops, out, preset_id), preset_id).graph
    pairs = match(imported, graph, drop_final_softmax=False)
    assert len(imported.nodes) == len(graph.nodes)
    assert all(a == b for a, b in pairs.items() if a != "x")  # the names come back too


def rest_of_the_kinds() -> GraphBuilder:
    """The kinds the kitchen sink leaves out."""
    b = GraphBuilder()
    x = b.input(3, 15, 13)
    x = b.add("Conv2d", x, name="conv", filters=4)
    x = b.add("GlobalMaxPool", x, name="gmax")
    b.add("Softmax", x, name="probabilities")
    return b


@pytest.mark.parametrize("graph", [kitchen_sink(), rest_of_the_kinds().graph],
                         ids=["kitchen_sink", "rest"])
def test_every_kind_comes_back_with_its_weights(graph: Graph) -> None:
    kinds = set(kitchen_sink().nodes[n].kind for n in kitchen_sink().nodes)
    assert kinds | {n.kind for n in rest_of_the_kinds().graph.nodes.values()} == set(LAYERS)
    torch.manual_seed(0)
    model = randomise(build_model(graph))
    result = import_module(model, (3, 15, 13))
    assert result.params == sum(p.numel() for p in model.parameters())
    pairs = match(result.imported.graph, graph, drop_final_softmax=False)
    identity = sum(n.kind == "Identity" for n in graph.nodes.values())  # passed through
    assert len(result.imported.graph.nodes) == len(pairs) == len(graph.nodes) - identity
    x = torch.randn(2, 3, 15, 13)
    with torch.no_grad():
        torch.testing.assert_close(result.model(x), model(x), atol=1e-6, rtol=1e-5)
    assert result.model.state_dict().keys() == model.state_dict().keys()
