"""One import, start to end (torch): read, simplify, build, verify, save.

``import_model(source)`` reads an ONNX file or a torch module (``sources.py``), turns it
into a design (``passes.simplify``, ``builder.build``), compiles that design with the
imported weights and checks it against the source on random inputs (onnxruntime for ONNX
files, the module itself for torch): an import is reported only once it reproduces its
source. ``save_import`` writes the project and its weights (safetensors, keyed as the
compiled model's state dict, so Train > Load Pretrained Weights and ``--weights`` take it).
``progress(fraction, text)`` is called between stages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save
from torch import nn

from cnnstudio.compiler import attribute_names, build_model
from cnnstudio.compiler.export_safetensors import weights_metadata
from cnnstudio.compiler.weights import state_tensors
from cnnstudio.core import project_io
from cnnstudio.core.files import write_bytes_atomic
from cnnstudio.core.layout import collapse_large
from cnnstudio.core.project_io import Project
from cnnstudio.core.shapes import analyse
from cnnstudio.importing.builder import Imported, build
from cnnstudio.importing.ops import ModelImportError, Op
from cnnstudio.importing.passes import simplify
from cnnstudio.importing.sources import Source, default_shape, load_module, parse_source

Progress = Callable[[float, str], None]
#: verification: |imported - source| <= ATOL * max(1, largest |source output|)
ATOL = 1e-4
BATCH = 2


@dataclass
class ImportResult:
    """An import that reproduces its source: the design, the compiled model with the weights,
    and the figures shown to the user."""

    source: Source
    imported: Imported
    model: nn.Module
    input_shape: tuple[int, int, int]
    max_abs_diff: float
    source_params: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def params(self) -> int:
        return analyse(self.imported.graph).total("params")

    def lines(self) -> list[str]:
        g = self.imported.graph
        out = [f"imported {self.source.label}: {len(g.nodes)} nodes, {self.params:,} "
               f"parameters, input {'x'.join(map(str, self.input_shape))}",
               f"verified: the design matches the source on random inputs (max abs "
               f"difference {self.max_abs_diff:.3g})"]
        return out + self.notes


def _quiet(fraction: float, text: str) -> None:
    return None


def import_model(text: str | Source, input_shape: tuple[int, int, int] | None = None, *,
                 torch_weights: str | Path | None = None,
                 progress: Progress = _quiet) -> ImportResult:
    """Import ``text`` (see ``sources.parse_source``); ``ModelImportError`` says why not."""
    source = parse_source(text) if isinstance(text, str) else text
    progress(0.05, f"reading {source.label}")
    if source.kind != "onnx":
        module = load_module(source, torch_weights)
        return import_module(module, input_shape or default_shape(source), source, progress)
    from cnnstudio.importing.onnx_reader import read_onnx

    assert source.path is not None
    ops, out = read_onnx(source.path, input_shape)
    shape = ops[0].params["channels"], ops[0].params["height"], ops[0].params["width"]
    return _finish(source, None, *simplify(ops, out, source.label), shape, progress)


def import_module(module: nn.Module, input_shape: tuple[int, int, int],
                  source: Source | None = None, progress: Progress = _quiet) -> ImportResult:
    """Import a torch module already built (``source`` names it in messages)."""
    from cnnstudio.importing.fx_reader import read_module

    source = source or Source("module", name=type(module).__name__)
    progress(0.2, "tracing the module")
    ops, out = read_module(module, input_shape, source.label)
    result = _finish(source, module, *simplify(ops, out, source.label), input_shape, progress)
    result.source_params = sum(p.numel() for p in module.parameters())
    unused = result.source_params - result.params
    if unused:
        result.notes.append(f"{unused:,} of the module's {result.source_params:,} parameters "
                            "are not used by its forward in eval mode (such as auxiliary "
                            "classifiers) and were left out")
    return result


def _finish(source: Source, module: nn.Module | None, ops: list[Op], out: str,
            shape: tuple[int, int, int], progress: Progress) -> ImportResult:
    progress(0.5, "building the design")
    imported = build(ops, out, source.label)
    progress(0.7, "verifying against the source")
    model = compiled(imported)
    diff = verify(source, module, model, shape)
    progress(1.0, "done")
    return ImportResult(source, imported, model, shape, diff)


def compiled(imported: Imported) -> nn.Module:
    """The design compiled (inference form) with the imported weights loaded."""
    model = build_model(imported.graph)
    attrs = attribute_names(imported.graph)
    state = {}
    for key, value in imported.weights.items():
        node, _, tensor = key.partition(".")
        state[f"{attrs[node]}.{tensor}"] = torch.from_numpy(np.array(value))
    own = model.state_dict()
    wrong = [k for k in state if k not in own or own[k].shape != state[k].shape]
    missing = [k for k in own if k not in state]
    if wrong or missing:
        raise ModelImportError(f"{imported.source}: the weights do not fit the design "
                               f"(unexpected or misshapen: {wrong[:5]}; missing: {missing[:5]})")
    model.load_state_dict(state)
    return model.eval()


def _reference(source: Source, module: nn.Module | None) -> Callable[[torch.Tensor], np.ndarray]:
    if module is not None:
        def run_module(x: torch.Tensor) -> np.ndarray:
            with torch.no_grad():
                return module(x).detach().cpu().numpy()  # type: ignore[no-any-return]
        return run_module
    import onnxruntime as ort

    from cnnstudio.compiler.export_onnx import session_options

    session = ort.InferenceSession(str(source.path), session_options(),
                                   providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run_onnx(x: torch.Tensor) -> np.ndarray:
        return np.asarray(session.run(None, {name: x.numpy()})[0])
    return run_onnx


def verify(source: Source, module: nn.Module | None, model: nn.Module,
           shape: tuple[int, int, int]) -> float:
    """The largest difference between ``model`` and the source on a random batch;
    ``ModelImportError`` when it is beyond ``ATOL``."""
    x = torch.randn(BATCH, *shape, generator=torch.Generator().manual_seed(0))
    try:
        expected = _reference(source, module)(x)
    except Exception as exc:  # onnxruntime and user modules raise their own types
        raise ModelImportError(f"{source.label}: running the source failed: "
                               f"{type(exc).__name__}: {str(exc)[:300]}") from None
    with torch.no_grad():
        got = model(x).numpy()
    if got.shape != expected.shape:
        raise ModelImportError(f"{source.label}: the imported design gives outputs of shape "
                               f"{got.shape}, the source {expected.shape}")
    diff = float(np.max(np.abs(got - expected))) if got.size else 0.0
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    if not np.isfinite(diff) or diff > ATOL * max(1.0, scale):
        raise ModelImportError(f"{source.label}: the imported design differs from the source "
                               f"(max abs difference {diff:.3g}); please report this model")
    return diff


def save_import(result: ImportResult, project_path: str | Path,
                weights_path: str | Path | None = None, *, overwrite: bool = False,
                metadata: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """Write the project and its weights (default: beside it, ``.safetensors``). A large
    design is saved with its groups collapsed and laid out compactly (``collapse_large``), so
    it opens readably, as presets do; ``metadata`` is added to the project's."""
    project_path = Path(project_path)
    weights = Path(weights_path) if weights_path is not None \
        else project_path.with_suffix(".safetensors")
    if project_path.resolve() == weights.resolve():
        raise ModelImportError(f"{project_path}: the project and the weights need two files")
    for path in (project_path, weights):
        if path.exists() and not overwrite:
            raise ModelImportError(f"{path} exists; choose another name, or replace it")
    label = result.source.label
    collapsed = collapse_large(result.imported.graph)
    project = Project(result.imported.graph, name=Path(project_path).stem,
                      description=f"Imported from {label}",
                      metadata={"imported_from": label, "weights": weights.name,
                                **({"collapsed_groups": collapsed} if collapsed else {}),
                                **(metadata or {})})
    weights.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(weights, save(state_tensors(result.model),
                                     metadata=weights_metadata(result.model)))
    project_io.save(project, project_path)
    return project_path, weights
