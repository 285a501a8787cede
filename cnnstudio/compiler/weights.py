"""Weights across recompiles and on disk (safetensors only, never pickles).

``transfer_weights(old, new)`` copies every tensor of ``old`` into ``new`` whose node and
shape still match, so editing a graph and recompiling keeps what was learned. Nodes match by
node id first (a renamed node keeps its weights) and then by node name; within a node,
tensors match by their key after the node's attribute (``weight``, ``running_mean``, ...).
``rebuild(graph, old)`` compiles ``graph`` and transfers in one call.
``load_weights(model, path)`` reads a .safetensors file (or a checkpoint folder) into a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

from cnnstudio.compiler.to_torch import build_model, compile_info
from cnnstudio.core.graph import Graph
from cnnstudio.core.limits import InputLimitError, safetensors_header

#: the file names a checkpoint folder may hold, in order of preference
CHECKPOINT_FILES = ("model.safetensors", "best.safetensors", "last.safetensors")


@dataclass
class TransferReport:
    """Which nodes (by name in the new model) kept their weights and which start afresh."""

    copied: list[str] = field(default_factory=list)
    reinitialised: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[str]]:
        return {"copied": self.copied, "reinitialised": self.reinitialised}


def _by_node(model: nn.Module) -> dict[str, dict[str, torch.Tensor]]:
    """Node name -> {key within the node: tensor}, from the state dict."""
    info = compile_info(model)
    names = info.names
    out: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in model.state_dict().items():
        attr, _, rest = key.partition(".")
        out.setdefault(names[attr], {})[rest] = value
    return out


def transfer_weights(old: nn.Module, new: nn.Module) -> TransferReport:
    """Copy matching tensors from ``old`` into ``new`` (in place); report per node."""
    old_info, new_info = compile_info(old), compile_info(new)
    old_tensors, new_tensors = _by_node(old), _by_node(new)
    old_by_id = {nid: name for name, nid in old_info.node_ids.items()}
    report = TransferReport()
    with torch.no_grad():
        for name, tensors in new_tensors.items():
            source = old_by_id.get(new_info.node_ids[name])
            if source is None or old_info.kinds.get(source) != new_info.kinds[name]:
                source = name if old_info.kinds.get(name) == new_info.kinds[name] else None
            found = old_tensors.get(source, {}) if source else {}
            complete = True
            for key, tensor in tensors.items():
                src = found.get(key)
                if src is not None and src.shape == tensor.shape:
                    tensor.copy_(src.to(tensor.device, tensor.dtype))
                else:
                    complete = False
            (report.copied if complete else report.reinitialised).append(name)
    return report


def rebuild(graph: Graph, old: nn.Module, *,
            for_training: bool = False) -> tuple[nn.Module, TransferReport]:
    """Compile ``graph`` and carry over ``old``'s weights where node and shape still match."""
    new = build_model(graph, for_training=for_training)
    return new, transfer_weights(old, new)


def weights_file(path: str | Path) -> Path:
    """The .safetensors file meant by ``path``: the file itself, or the first of
    ``CHECKPOINT_FILES`` in the folder (or in its ``checkpoints`` subfolder)."""
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        for folder in (path, path / "checkpoints"):
            for name in CHECKPOINT_FILES:
                if (folder / name).is_file():
                    return folder / name
        raise FileNotFoundError(f"{path}: no {' / '.join(CHECKPOINT_FILES)} in this folder")
    if path.exists():  # a device, a pipe, a socket: safetensors_header says which
        return path
    raise FileNotFoundError(f"{path}: no such file or folder")


def load_weights(model: nn.Module, path: str | Path) -> Path:
    """Load safetensors weights into ``model`` (keys and shapes must all match);
    returns the file read. ``ValueError`` names missing, unexpected or misshapen keys."""
    file = weights_file(path)
    try:
        safetensors_header(file)  # checked before a tensor is allocated
    except InputLimitError as exc:
        raise ValueError(f"{file}: {exc}") from None
    tensors = load_file(str(file))
    own = model.state_dict()
    missing = sorted(set(own) - set(tensors))
    extra = sorted(set(tensors) - set(own))
    wrong = sorted(k for k in set(own) & set(tensors) if own[k].shape != tensors[k].shape)
    if missing or extra or wrong:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:8])}")
        if extra:
            parts.append(f"unexpected {', '.join(extra[:8])}")
        if wrong:
            parts.append("wrong shape " + ", ".join(
                f"{k} {tuple(tensors[k].shape)} (model {tuple(own[k].shape)})" for k in wrong[:8]))
        raise ValueError(f"{file}: the weights do not fit this graph: {'; '.join(parts)}")
    model.load_state_dict(tensors)
    return file


def state_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict as contiguous CPU tensors ready for ``safetensors.torch.save_file``."""
    return {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
