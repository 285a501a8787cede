"""One entry point for every export format (the CLI and the GUI call it).

``export(model, fmt, out, project=None, opset=None)`` dispatches to the format's module and
returns its ``ExportReport``; every format verifies what it wrote and raises
``ExportVerificationError`` when it does not reproduce ``model``.

An export never destroys work: ``planned_files`` says what it will write; a file among them
that is one of the export's inputs (``protect``: the project, the checkpoint) is refused
always, one that exists already unless ``overwrite``. The files are written and verified in
a staging folder beside their destination and moved into place only once verified, so a
failed export leaves nothing half-written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from torch import nn

from cnnstudio.compiler.errors import ExportError
from cnnstudio.compiler.verify import ExportReport
from cnnstudio.core.files import named
from cnnstudio.core.project_io import Project

#: format -> what ``out`` names
FORMATS = {
    "onnx": "an .onnx file (one file, dynamic batch axis)",
    "torchscript": "a TorchScript archive (.pt)",
    "safetensors": "a .safetensors file or a folder (the project file is written beside)",
    "python": "a folder for model.py, model.safetensors and train.py",
}


def planned_files(fmt: str, out: str | Path) -> list[Path]:
    """The files that exporting as ``fmt`` to ``out`` writes."""
    out = Path(out)
    if fmt == "safetensors":
        weights = out if out.suffix == ".safetensors" else out / "model.safetensors"
        return [weights, weights.with_suffix(".cnnproj")]
    if fmt == "python":
        return [out / "model.py", out / "model.safetensors", out / "train.py"]
    if fmt in FORMATS:
        return [out]
    raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")


def check_destination(fmt: str, out: str | Path, protect: Iterable[str | Path] = (),
                      overwrite: bool = False) -> list[Path]:
    """``planned_files``, refusing any that is an input (``protect``) or, unless
    ``overwrite``, that exists already. Raises ExportError naming the file."""
    files = planned_files(fmt, out)
    inputs = {Path(p).resolve() for p in protect}
    for f in files:
        if f.resolve() in inputs:
            raise ExportError(f"{f} is an input of this export; the export would overwrite it. "
                              "Choose another --out.")
        if f.is_dir():
            raise ExportError(f"{f} is a folder; choose another --out.")
        if f.exists() and not overwrite:
            raise ExportError(f"{f} exists; choose another --out, or pass --overwrite to "
                              "replace it.")
    return files


def export(model: nn.Module, fmt: str, out: str | Path, project: Project | None = None,
           opset: int | None = None, *, protect: Iterable[str | Path] = (),
           overwrite: bool = False, metadata: dict[str, str] | None = None) -> ExportReport:
    """Export ``model`` (made by ``build_model``) as ``fmt`` to ``out``, verify it in a
    staging folder, then move the files into place (see the module docstring)."""
    files = check_destination(fmt, out, protect, overwrite)
    folder = files[0].parent
    created = next((p for p in reversed([folder, *folder.parents]) if not p.exists()), None)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".cnnstudio-export-", dir=folder))
    try:
        staged_out = staging / files[0].name if fmt != "python" else staging
        report = _export(model, fmt, staged_out, project, opset, metadata)
        for f in files:
            os.replace(staging / f.name, f)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise named(exc, files[0]) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created is not None:  # the first folder this export made
            shutil.rmtree(created, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return _moved(report, staging, folder)


def export_project(project: Project, fmt: str, out: str | Path, *,
                   checkpoint: str | Path | None = None, seed: int = 0, opset: int | None = None,
                   protect: Iterable[str | Path] = (), overwrite: bool = False
                   ) -> tuple[ExportReport, str]:
    """Compile ``project``, load ``checkpoint`` (or seed fresh weights), export and verify.

    The CLI and the app both call this. Returns the report and a line saying which weights
    were exported. The destination is checked before anything is compiled.
    """
    import torch

    from cnnstudio.compiler.to_torch import build_model
    from cnnstudio.compiler.weights import load_weights

    protect = [*protect, *([checkpoint, Path(checkpoint) / "model.safetensors"]
                           if checkpoint is not None else [])]
    check_destination(fmt, out, protect, overwrite)
    torch.manual_seed(seed)
    model = build_model(project.graph)
    if checkpoint is not None:
        try:
            weights = f"weights: {load_weights(model, checkpoint)}"
        except (OSError, ValueError) as exc:
            raise ExportError(f"cannot load the checkpoint {checkpoint}: {exc}") from exc
    else:
        weights = f"weights: freshly initialised (seed {seed})"
    report = export(model, fmt, out, project, opset, protect=protect, overwrite=overwrite,
                    metadata=_metadata(model, project, checkpoint))
    return report, weights


def _metadata(model: nn.Module, project: Project, checkpoint: str | Path | None
              ) -> dict[str, str]:
    """The ONNX metadata of this export (onnx_metadata.py): input, output, the run's
    preprocessing when the checkpoint belongs to a run."""
    from cnnstudio.compiler.onnx_metadata import metadata_for, run_preprocess
    from cnnstudio.compiler.to_torch import INPUT_NAME, compile_info

    info = compile_info(model)
    last = info.steps[-1]
    probabilities = not info.for_training and (last.activation == "softmax"
                                               or last.kind == "Softmax")
    return metadata_for(INPUT_NAME, tuple(info.input_shape), probabilities, project.name,
                        run_preprocess(checkpoint))


def _moved(report: ExportReport, staging: Path, folder: Path) -> ExportReport:
    """The report with the staging folder's paths replaced by the destination's."""
    def fix(text: str) -> str:
        return text.replace(str(staging), str(folder))

    report.path = fix(report.path)
    report.files = [fix(f) for f in report.files]
    report.checks = [fix(c) for c in report.checks]
    report.notes = [fix(n) for n in report.notes]
    return report


def _export(model: nn.Module, fmt: str, out: Path, project: Project | None,
            opset: int | None, metadata: dict[str, str] | None) -> ExportReport:
    if fmt == "onnx":
        from cnnstudio.compiler.export_onnx import export_onnx

        return export_onnx(model, out, opset=opset, metadata=metadata)
    if fmt == "torchscript":
        from cnnstudio.compiler.export_torchscript import export_torchscript

        return export_torchscript(model, out)
    if fmt == "safetensors":
        from cnnstudio.compiler.export_safetensors import export_safetensors

        if project is None:
            raise ValueError("the safetensors export writes the project beside: pass project")
        return export_safetensors(model, project, out)
    from cnnstudio.compiler.export_python import export_python

    return export_python(model, out, project)
