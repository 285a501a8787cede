"""Weights as safetensors with the project file beside them (no pickles anywhere).

``export_safetensors(model, project, path)`` writes ``path`` (``model.safetensors``: the
state dict, keys per the compiler's contract) and ``<stem>.cnnproj`` beside it (the graph,
via ``cnnstudio.core.project_io.save``). Verification reloads the file into a freshly
compiled model of the saved project and compares outputs with the original model.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import save
from torch import nn

from cnnstudio.compiler.errors import ExportVerificationError
from cnnstudio.compiler.to_torch import build_model, compile_info
from cnnstudio.compiler.verify import ExportReport, compare, file_size, on_cpu
from cnnstudio.compiler.weights import load_weights, state_tensors
from cnnstudio.core import project_io
from cnnstudio.core.project_io import Project


def weights_metadata(model: nn.Module) -> dict[str, str]:
    """String metadata stored in the safetensors header."""
    info = compile_info(model)
    return {
        "format": "cnnstudio-weights",
        "input_shape": json.dumps(list(info.input_shape)),
        "output": info.output,
        "attrs": json.dumps({n: a for n, a in info.attrs.items() if n != a}),
    }


def save_weights(model: nn.Module, path: str | Path) -> Path:
    """Write ``model``'s state dict to ``path`` (safetensors, CPU, contiguous)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # serialised in memory, written by Python: a full disk is an OSError naming the file
    path.write_bytes(save(state_tensors(model), metadata=weights_metadata(model)))
    return path


def export_safetensors(model: nn.Module, project: Project, path: str | Path, *,
                       verify: bool = True) -> ExportReport:
    """Write the weights to ``path`` (a file, or a folder that gets ``model.safetensors``)
    and the project beside; verify by reloading both."""
    start = time.perf_counter()
    model = on_cpu(model)
    path = Path(path)
    if path.suffix != ".safetensors":
        path = path / "model.safetensors"
    project_path = path.with_suffix(".cnnproj")
    save_weights(model, path)
    project_io.save(project, project_path)
    report = ExportReport("safetensors", str(path), exporter="safetensors.torch.save",
                          files=[str(path), str(project_path)])
    report.file_size = file_size(path)
    if verify:
        with safe_open(str(path), framework="pt") as f:
            keys = set(f.keys())
        expected = set(model.state_dict())
        if keys != expected:
            raise ExportVerificationError(
                f"{path}: keys differ from the model's state dict "
                f"({sorted(keys ^ expected)[:8]})", report)
        report.checks.append(f"{len(keys)} tensors with the model's state-dict keys")
        fresh = build_model(project_io.load(project_path).graph,
                            for_training=compile_info(model).for_training)
        load_weights(fresh, path)
        report.checks.append(f"{project_path.name} reloads and compiles")
        compare(report, model, fresh.eval(), "reloaded project + weights")
    report.seconds = time.perf_counter() - start
    return report
