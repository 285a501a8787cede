"""Importing torchvision's models gives the presets that mirror them, node by node.

Structure (kinds, parameters, connections; names aside) of ``torchvision.models.X()`` is
checked for every torchvision preset X on the meta device (no weights, no init time).
Weights and outputs are checked for one preset per family in CI (``CI``) at a small input
(torchvision's models take any size), and for all of them at their own input size with
--runslow: torchvision's random weights (with randomised BatchNorm statistics) are imported;
the imported model must give torchvision's outputs, and each imported node must hold the
same tensors as the matching preset node loaded through ``presets_torch.mapping``. Every
other torchvision classification model either imports or stops with one message naming its
ops without a kind (a few in CI, all with --runslow).
"""

from __future__ import annotations

import warnings

import pytest
import torch
import torchvision

from cnnstudio.compiler import attribute_names, build_model
from cnnstudio.core.presets import PRESETS, build_preset
from cnnstudio.core.shapes import analyse
from cnnstudio.importing.builder import build
from cnnstudio.importing.fx_reader import read_module
from cnnstudio.importing.importer import import_module
from cnnstudio.importing.ops import UnsupportedOpsError
from cnnstudio.importing.passes import simplify
from cnnstudio.importing.sources import Source, default_shape
from cnnstudio.presets_torch.mapping import TORCHVISION_PRESETS, convert_state_dict
from tests.importing.graph_match import match
from tests.presets.torch_helpers import randomise_, torchvision_model

#: weights and outputs in CI: one preset per family, leaving out the slowest to build
#: (DenseNet, Inception v3, VGG: their structure is checked above in CI, the rest --runslow)
CI = ("alexnet", "resnet18", "googlenet", "mobilenet_v2", "mobilenet_v3_small",
      "efficientnet_b0", "convnext_tiny")
#: input sizes for the CI runs (the smallest each family's pooling allows, about)
SMALL = {"inception_v3": (3, 96, 96)}
ALL = [pytest.param(p, marks=() if p in CI else pytest.mark.slow) for p in TORCHVISION_PRESETS]


@pytest.mark.parametrize("preset_id", TORCHVISION_PRESETS)
def test_import_gives_the_preset_node_by_node(preset_id: str) -> None:
    shape = PRESETS[preset_id].input_shape
    with torch.device("meta"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # googlenet / inception_v3's init
        module = getattr(torchvision.models, preset_id)()  # as it comes: aux heads and all
    ops, out = read_module(module, shape, preset_id)
    graph = build(*simplify(ops, out, preset_id), preset_id).graph
    preset = build_preset(preset_id, layout=False)
    pairs = match(graph, preset)
    assert len(graph.nodes) == len(preset.nodes)
    assert len(pairs) >= 0.8 * len(graph.nodes)  # most nodes have a unique signature
    assert analyse(graph).total("params") == analyse(preset).total("params")
    grouped = [n for n in graph.nodes.values() if n.group]  # by module path, two levels
    assert len(grouped) >= 0.8 * len(graph.nodes)
    assert all(n.group.count(".") <= 1 for n in grouped)


@pytest.mark.parametrize("preset_id", ALL)
def test_imported_weights_and_outputs(preset_id: str, request: pytest.FixtureRequest) -> None:
    slow = request.config.getoption("--runslow")
    shape = PRESETS[preset_id].input_shape if slow else SMALL.get(preset_id, (3, 64, 64))
    torch.manual_seed(0)
    ref = randomise_(torchvision_model(preset_id))
    result = import_module(ref, shape)
    assert result.max_abs_diff < 1e-4
    x = torch.randn(2, *shape)
    with torch.no_grad():
        expected, got = ref(x), result.model(x)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    preset = build_preset(preset_id, input_shape=shape, layout=False)
    ours = build_model(preset)
    ours.load_state_dict(convert_state_dict(preset_id, ref.state_dict(), ours.state_dict(),
                                            attribute_names(preset)))
    preset_state, imported = ours.state_dict(), result.model.state_dict()
    attrs_a = attribute_names(result.imported.graph)
    attrs_b = attribute_names(preset)
    pairs = match(result.imported.graph, preset)
    compared = 0
    for a, b in pairs.items():
        for key, tensor in imported.items():
            if key.startswith(f"{attrs_a[a]}."):
                other = preset_state[f"{attrs_b[b]}.{key.partition('.')[2]}"]
                torch.testing.assert_close(tensor, other.reshape(tensor.shape), atol=0, rtol=0)
                compared += 1
    assert compared >= 0.8 * len(imported)


#: models without a preset: in CI a few that import and a few that stop with one message
OTHERS_CI = {"squeezenet1_1": True, "resnext50_32x4d": True, "mnasnet0_5": True,
             "efficientnet_v2_s": True, "wide_resnet50_2": True,
             "shufflenet_v2_x0_5": False, "vit_b_32": False, "swin_t": False}


def _import_or_error(name: str) -> tuple[int, str]:
    """(nodes, "") when torchvision's ``name`` imports (structure only, on the meta device
    where torchvision can build it there), (0, message) when it has ops without a kind."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # googlenet / inception_v3's init
        try:
            with torch.device("meta"):
                module = torchvision.models.get_model(name, weights=None)
        except (RuntimeError, NotImplementedError):  # a builder that reads tensor values
            module = torchvision.models.get_model(name, weights=None)
    shape = default_shape(Source("torchvision", name=name))
    try:
        ops, out = read_module(module, shape, name)
        return len(build(*simplify(ops, out, name), name).graph.nodes), ""
    except UnsupportedOpsError as exc:
        return 0, str(exc)


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=() if n in OTHERS_CI else pytest.mark.slow)
    for n in sorted(torchvision.models.list_models(module=torchvision.models))])
def test_every_classification_model_imports_or_names_its_ops(name: str) -> None:
    nodes, message = _import_or_error(name)
    if name in OTHERS_CI:
        assert bool(nodes) == OTHERS_CI[name], message
    if not nodes:  # one message, naming each op and where it is
        assert message.startswith(f"{name}: ") and " at " in message
        assert message.endswith("Nothing was imported.")
