"""A convolution node's filters for the playground, computed with torch in a worker thread.

``node_filters(project, node_name, run_dir)`` compiles the design with the compiler (untrained:
the initial weights, seeded) or loads a run folder's design and its ``best`` checkpoint
(``last`` when there is none) and returns the node's weight (F, C / groups, kh, kw) and bias
(F,) as float64 NumPy arrays. A SeparableConv2d gives its depthwise filters (no bias there).
torch is imported only when the function runs; nothing here touches Qt.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

SEED = 0  # the untrained filters are the compiler's initial weights with this seed


def node_filters(project: dict[str, Any], node_name: str, run_dir: Path | None,
                 cancel: threading.Event | None = None) -> dict[str, Any]:
    """{"weight", "bias" (or None), "source", "node", "kind"}; ``ValueError`` naming the node
    or run when they do not fit."""
    import torch

    from cnnstudio.compiler import build_model, compile_info
    from cnnstudio.core.project_io import from_dict, load

    if run_dir is None:
        graph = from_dict(project).graph
        torch.manual_seed(SEED)
        model = build_model(graph)
        source = f"untrained (initial weights, seed {SEED})"
    else:
        from cnnstudio.training.checkpoints import checkpoint_exists, load_checkpoint

        folder = run_dir / "checkpoints"
        name = "best" if checkpoint_exists(folder, "best") else "last"
        if not (run_dir / "project.cnnproj").is_file() or not checkpoint_exists(folder, name):
            raise ValueError(f"{run_dir}: not a run folder with a checkpoint (it needs "
                             "project.cnnproj and checkpoints/)")
        model = build_model(load(run_dir / "project.cnnproj").graph, for_training=True)
        load_checkpoint(folder, name, model)
        source = f"trained: run {run_dir.name}, {name} checkpoint"
    info = compile_info(model)
    if node_name not in info.attrs:
        where = f"the run {run_dir}" if run_dir is not None else "the design"
        raise ValueError(f"{where} has no node named {node_name!r}")
    kind = info.kinds[node_name]
    module = model.get_submodule(info.attrs[node_name])
    if kind == "SeparableConv2d":
        module = module.get_submodule("depthwise")
    weight = getattr(module, "weight", None)
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4:
        raise ValueError(f"{node_name} ({kind}) has no convolution filters")
    bias = getattr(module, "bias", None)
    return {"weight": weight.detach().double().cpu().numpy(),
            "bias": None if bias is None else bias.detach().double().cpu().numpy(),
            "source": source, "node": node_name, "kind": kind}
