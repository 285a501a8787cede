"""Transfer learning, offline: pretrained torchvision weights into a preset, then fine-tune.

    graph, model, report = pretrained_model("resnet50", num_classes=5)   # from the hub cache
    graph, model, report = pretrained_model("resnet50", "resnet50.pth", num_classes=5)
    fine_tune_head(graph)             # freeze every weighted node but the classifier
    sync_trainable(graph, model)      # apply the graph's trainable flags to the module

Weights come from a local file only: a torchvision ``.pth`` (read with
``torch.load(weights_only=True)``, so no pickled code runs) or a ``.safetensors`` file, or
the file torchvision would have downloaded, when it is already in the torch hub cache
(``torch.hub.get_dir()/checkpoints/<torchvision file name>``). Nothing is ever downloaded.
Keys are translated by ``cnnstudio.presets_torch.mapping``. A classifier whose number of
classes differs from the file's keeps its fresh initialisation (reported as such); every
other tensor must match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

from cnnstudio.compiler import attribute_names, build_model, compile_info
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape, get_layer
from cnnstudio.core.limits import (
    MAX_ARRAY_BYTES,
    InputLimitError,
    regular_file_size,
    safetensors_header,
)
from cnnstudio.core.presets import build_preset
from cnnstudio.core.retarget import classifier_node, set_num_classes
from cnnstudio.presets_torch.mapping import TORCHVISION_PRESETS, MappingError, mapped_tensors

#: torchvision modules that the presets leave out (auxiliary classifiers, used in training only)
SKIPPED_PREFIXES = ("AuxLogits.", "aux1.", "aux2.")


@dataclass
class LoadReport:
    """What a weight load did: tensors copied, and nodes left with their fresh weights."""

    source: str
    copied: int = 0
    reinitialised: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # torchvision keys with no preset node


def torchvision_file_names(preset_id: str) -> list[str]:
    """The checkpoint file names torchvision uses for ``preset_id`` (no network needed)."""
    from torchvision.models import get_model_weights

    if preset_id not in TORCHVISION_PRESETS:
        return []
    return [w.url.rsplit("/", 1)[-1] for w in get_model_weights(preset_id)]


def find_cached_weights(preset_id: str, hub_dir: str | Path | None = None) -> Path | None:
    """A torchvision checkpoint for ``preset_id`` already in the torch hub cache, or None."""
    folder = Path(hub_dir if hub_dir is not None else torch.hub.get_dir()) / "checkpoints"
    for name in torchvision_file_names(preset_id):
        path = folder / name
        if path.is_file():
            return path
    return None


def load_state_file(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a ``.safetensors`` or ``.pth`` file (``weights_only=True``: no pickled code).

    A checkpoint that wraps its tensors in ``{"state_dict": ...}`` or ``{"model": ...}`` is
    unwrapped."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}")
    if path.suffix == ".safetensors":
        try:
            safetensors_header(path)  # checked before a tensor is allocated
        except InputLimitError as exc:
            raise ValueError(f"{path}: {exc}") from None
        return load_file(str(path))
    try:
        size = regular_file_size(path)
    except InputLimitError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if size > MAX_ARRAY_BYTES:
        raise ValueError(f"{path}: {size:,} bytes, over the {MAX_ARRAY_BYTES:,}-byte limit for "
                         "a weights file")
    data = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise ValueError(f"{path} does not hold a state dict (a mapping of names to tensors)")
    return dict(data)


def load_torchvision_state(
    model: nn.Module, graph: Graph, preset_id: str, state: dict[str, torch.Tensor],
    source: str = "<state dict>",
) -> LoadReport:
    """Copy a torchvision ``state`` into ``model`` (compiled from ``graph``, a ``preset_id``).

    The classifier node is re-initialised when its shape differs (another number of
    classes); any other mismatch raises ``MappingError``."""
    report = LoadReport(source)
    attrs = attribute_names(graph)
    head = classifier_node(graph)
    target = model.state_dict()
    keys = [k for k in state if not k.startswith(SKIPPED_PREFIXES)]
    report.skipped = [k for k in state if k.startswith(SKIPPED_PREFIXES)]
    new: dict[str, torch.Tensor] = {}
    for tv_key, node, key, value in mapped_tensors(preset_id, state, target, attrs, keys):
        want = target[key]
        if value.shape != want.shape:
            if head is not None and node == head.name:
                if node not in report.reinitialised:
                    report.reinitialised.append(node)
                continue
            raise MappingError(f"{preset_id}: {tv_key!r} has shape {tuple(value.shape)} but "
                               f"{key!r} needs {tuple(want.shape)}")
        new[key] = value
    missing = [k for k in target if k not in new and not k.startswith(
        tuple(f"{attrs.get(n, n)}." for n in report.reinitialised))]
    if missing:
        raise MappingError(f"{preset_id}: the file has nothing for {', '.join(missing[:5])}"
                           + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    model.load_state_dict(new, strict=False)
    report.copied = len(new)
    return report


def load_pretrained(model: nn.Module, graph: Graph, preset_id: str,
                    path: str | Path | None = None) -> LoadReport:
    """Load weights from ``path``, or from the torch hub cache when ``path`` is None."""
    if path is None:
        path = find_cached_weights(preset_id)
        if path is None:
            names = ", ".join(torchvision_file_names(preset_id)) or "(no torchvision weights)"
            raise FileNotFoundError(
                f"no pretrained weights for {preset_id!r} in {torch.hub.get_dir()}/checkpoints "
                f"(looked for {names}); pass the path of a .pth or .safetensors file. "
                "CNN Studio never downloads weights.")
    return load_torchvision_state(model, graph, preset_id, load_state_file(path), str(path))


def pretrained_model(
    preset_id: str, path: str | Path | None = None, *, num_classes: int | None = None,
    input_shape: Shape | None = None, for_training: bool = False,
) -> tuple[Graph, nn.Module, LoadReport]:
    """Build ``preset_id`` (optionally for another number of classes / input size), compile
    it and load pretrained weights into everything but a resized classifier."""
    graph = build_preset(preset_id, input_shape)
    if num_classes is not None:
        set_num_classes(graph, num_classes)
    model = build_model(graph, for_training=for_training)
    return graph, model, load_pretrained(model, graph, preset_id, path)


# --- Freezing and fine-tuning -------------------------------------------------------------

def weighted_nodes(graph: Graph) -> list[str]:
    """Ids of the nodes with learnable weights, in insertion order."""
    return [nid for nid, n in graph.nodes.items() if get_layer(n.kind).has_weights]


def set_trainable(graph: Graph, node_ids: Iterable[str], trainable: bool) -> None:
    """Freeze (``trainable`` False) or unfreeze the given nodes."""
    for nid in node_ids:
        graph.set_trainable(nid, trainable)


def freeze_all(graph: Graph, trainable: bool = False) -> None:
    set_trainable(graph, weighted_nodes(graph), trainable)


def fine_tune_head(graph: Graph, num_classes: int | None = None) -> str:
    """Freeze every weighted node but the classifier (optionally resized to ``num_classes``);
    return the classifier's node id."""
    if num_classes is not None:
        set_num_classes(graph, num_classes)
    head = classifier_node(graph)
    if head is None:
        raise ValueError("cannot find the classifier (a Dense or Conv2d node before the output)")
    freeze_all(graph)
    graph.set_trainable(head.id, True)
    return head.id


def sync_trainable(graph: Graph, model: nn.Module) -> None:
    """Set ``requires_grad`` on a compiled model from its graph's trainable flags (no
    recompile; a frozen BatchNorm still updates its running statistics in train mode)."""
    attrs = compile_info(model).attrs
    for node in graph.nodes.values():
        attr = attrs.get(node.name)
        module = getattr(model, attr, None) if attr else None
        if isinstance(module, nn.Module):
            for param in module.parameters():
                param.requires_grad_(node.trainable)
