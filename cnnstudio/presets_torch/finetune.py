"""Pretrained weights and frozen nodes, applied when a run starts (the CLI and the app).

    model, report = prepare_fine_tuning(project, weights="resnet18.pth", freeze="backbone")
    print("\\n".join(report.lines()))
    write_report(run_dir, report)            # RUN/pretrained.json

``freeze`` (``none``, ``backbone`` or node names separated by commas) sets the graph's
trainable flags before the model is compiled, so the run folder's project file records them
and the canvas shows them. ``weights`` is a ``.pth`` / ``.safetensors`` file or
``torchvision`` (the file torchvision would have downloaded, when it is in the torch hub
cache; never a download). A file with torchvision's tensor names is mapped onto a project
made from a torchvision preset (``presets_torch.mapping``); a file with the network's own
names (a CNN Studio checkpoint) loads as it is. A head whose shape differs (another number
of classes) keeps its fresh weights, and the report says so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cnnstudio.compiler import build_model
from cnnstudio.core.files import write_bytes_atomic
from cnnstudio.core.graph import Graph
from cnnstudio.core.presets.origin import TORCHVISION_PRESETS, preset_of
from cnnstudio.core.project_io import Project
from cnnstudio.core.retarget import classifier_node
from cnnstudio.presets_torch.mapping import MappingError
from cnnstudio.presets_torch.transfer import (
    find_cached_weights,
    load_state_file,
    load_torchvision_state,
    torchvision_file_names,
    weighted_nodes,
)
from cnnstudio.training.options import parse_freeze

REPORT_FILE = "pretrained.json"
TORCHVISION = "torchvision"  # the --weights value naming the torch hub cache
WEIGHT_SUFFIXES = (".pth", ".pt", ".safetensors")


class WeightsNotFoundError(FileNotFoundError):
    """No weights file where ``--weights`` points (or none in the torch hub cache)."""


@dataclass
class FineTuneReport:
    """What a run starts from: the weights loaded, the nodes left fresh and the frozen ones."""

    source: str  # the weights file ("" when no weights were loaded)
    preset: str | None  # the torchvision preset the names were mapped from (None: own names)
    tensors_loaded: int = 0
    fresh: list[str] = field(default_factory=list)  # weighted nodes keeping fresh weights
    frozen: list[str] = field(default_factory=list)  # nodes frozen when the run starts
    head: str | None = None  # the classifier node
    skipped: list[str] = field(default_factory=list)  # file tensors with no node

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The report as a few lines for a terminal or a status bar."""
        out = []
        if self.source:
            fresh = ", ".join(self.fresh) if self.fresh else "none"
            out.append(f"pretrained weights: {self.tensors_loaded} tensors from {self.source}; "
                       f"fresh weights: {fresh}")
        if self.skipped:
            out.append(f"not used from the file: {len(self.skipped)} tensors "
                       f"({', '.join(self.skipped[:3])}...)")
        frozen = ", ".join(self.frozen[:6]) + (
            f" and {len(self.frozen) - 6} more" if len(self.frozen) > 6 else "")
        out.append(f"frozen: {len(self.frozen)} node(s)" + (f" ({frozen})" if frozen else ""))
        return out


def apply_freeze(graph: Graph, spec: str) -> None:
    """Freeze the nodes ``spec`` names (see the module docstring); ValueError names a node
    that does not exist or has no weights."""
    choice = parse_freeze(spec)
    if choice == "none":
        return
    weighted = set(weighted_nodes(graph))
    if choice == "backbone":
        head = classifier_node(graph)
        if head is None:
            raise ValueError("--freeze backbone needs a head: a Dense or 1x1 Conv2d classifier "
                             "before the output")
        for nid in weighted:
            graph.set_trainable(nid, nid == head.id)
        return
    ids = {node.name: nid for nid, node in graph.nodes.items()}
    unknown = [name for name in choice if name not in ids]
    if unknown:
        raise ValueError(f"--freeze: no node named {', '.join(unknown)}")
    plain = [name for name in choice if ids[name] not in weighted]
    if plain:
        raise ValueError(f"--freeze: {', '.join(plain)} has no weights to freeze")
    for name in choice:
        graph.set_trainable(ids[name], False)


def weights_path(spec: str, preset: str | None) -> Path:
    """The file ``--weights`` names; for ``torchvision``, the one in the torch hub cache."""
    if spec != TORCHVISION:
        path = Path(spec).expanduser()
        if path.suffix not in WEIGHT_SUFFIXES:
            raise ValueError(f"--weights {spec}: give a .pth or .safetensors file, or "
                             "torchvision")
        if not path.is_file():
            raise WeightsNotFoundError(f"--weights: no file at {path}")
        return path
    if preset not in TORCHVISION_PRESETS:
        raise ValueError("--weights torchvision needs a network made from a torchvision preset "
                         f"({', '.join(TORCHVISION_PRESETS[:4])}, ...): pass a .pth or "
                         ".safetensors file instead")
    found = find_cached_weights(preset)
    if found is None:
        names = torchvision_file_names(preset)
        folder = Path(torch.hub.get_dir()) / "checkpoints"
        raise WeightsNotFoundError(
            f"no torchvision weights for {preset} in the torch hub cache: put {names[0]} into "
            f"{folder}/ (CNN Studio never downloads weights)")
    return found


def load_weights(model: nn.Module, project: Project, spec: str) -> FineTuneReport:
    """Load ``spec`` into ``model`` (compiled from ``project.graph``): the report of it."""
    graph = project.graph
    preset = preset_of(project.name, project.metadata)
    path = weights_path(spec, preset)
    state = load_state_file(path)
    target = model.state_dict()
    head = classifier_node(graph)
    if all(key in target for key in state):  # the network's own names
        return _load_own(model, graph, state, str(path))
    if preset not in TORCHVISION_PRESETS:
        raise ValueError(f"{path}: its tensor names are not this network's, and "
                         f"{project.name!r} was not made from a torchvision preset, so they "
                         "cannot be mapped onto its nodes")
    try:
        loaded = load_torchvision_state(model, graph, preset, state, str(path))
    except MappingError as exc:
        raise ValueError(f"{path} does not fit {project.name!r} (made from {preset}): "
                         f"{exc}") from None
    return FineTuneReport(str(path), preset, loaded.copied, list(loaded.reinitialised),
                          head=head.name if head else None, skipped=loaded.skipped)


def _load_own(model: nn.Module, graph: Graph, state: dict[str, torch.Tensor],
              source: str) -> FineTuneReport:
    """A file with the model's own keys: every tensor of the same shape is copied; a head of
    another shape stays fresh; any other mismatch raises ValueError."""
    target = model.state_dict()
    head = classifier_node(graph)
    fresh: list[str] = []
    new: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        node = key.split(".", 1)[0]
        if value.shape == target[key].shape:
            new[key] = value
        elif head is not None and node == head.name:
            fresh += [] if node in fresh else [node]
        else:
            raise ValueError(f"{source}: {key} has shape {tuple(value.shape)}, the network "
                             f"needs {tuple(target[key].shape)}")
    model.load_state_dict(new, strict=False)
    loaded_nodes = {key.split(".", 1)[0] for key in new}
    for nid in weighted_nodes(graph):
        name = graph.nodes[nid].name
        if name not in loaded_nodes and name not in fresh:
            fresh.append(name)
    return FineTuneReport(source, None, len(new), fresh, head=head.name if head else None)


def prepare_fine_tuning(project: Project, weights: str = "",
                        freeze: str = "none") -> tuple[nn.Module, FineTuneReport | None]:
    """Freeze, compile (for training) and load the weights; the report is None when neither
    ``weights`` nor ``freeze`` asks for anything."""
    apply_freeze(project.graph, freeze)
    model = build_model(project.graph, for_training=True)
    if not weights and parse_freeze(freeze) == "none":
        return model, None
    report = load_weights(model, project, weights) if weights else FineTuneReport("", None)
    graph = project.graph
    head = classifier_node(graph)
    report.head = head.name if head else None
    report.frozen = [graph.nodes[nid].name for nid in weighted_nodes(graph)
                     if not graph.nodes[nid].trainable]
    return model, report


def write_report(run_dir: str | Path, report: FineTuneReport) -> Path:
    """``RUN/pretrained.json`` (atomic)."""
    path = Path(run_dir) / REPORT_FILE
    write_bytes_atomic(path, json.dumps(report.to_dict(), indent=2).encode("utf-8"))
    return path


def check_weights(project: Project, weights: str) -> FineTuneReport:
    """Load ``weights`` into a model compiled from ``project`` to check that they fit (the
    app's Load Pretrained Weights...); the project is left as it is."""
    model = build_model(project.graph, for_training=True)
    return load_weights(model, project, weights)
