"""What every exporter shares: the report it returns and the numeric comparison.

An export is verified by running the exported artefact and the PyTorch model (in eval mode)
on the same seeded random batches of sizes ``BATCH_SIZES`` and comparing with
``np.testing.assert_allclose(rtol=RTOL, atol=ATOL)``. A mismatch raises
``ExportVerificationError`` carrying the report, and so do non-finite values: a weight or
buffer holding NaN or Inf (the message names its node), or an output of either side holding
them (NaN equals NaN in that comparison, so such an export would otherwise pass).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cnnstudio.compiler.errors import ExportVerificationError
from cnnstudio.compiler.to_torch import compile_info

BATCH_SIZES = (1, 3)
RTOL = 1e-3
ATOL = 1e-5


@dataclass
class ExportReport:
    """What was written and how it was checked."""

    format: str
    path: str
    exporter: str = ""
    opset: int | None = None
    files: list[str] = field(default_factory=list)
    file_size: int = 0
    checks: list[str] = field(default_factory=list)
    max_abs_diff: dict[int, float] = field(default_factory=dict)
    fallback_reason: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: seconds per phase (exporters that measure them: "export", "verify")
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """A short human-readable account (the CLI prints it)."""
        size = f"{self.file_size:,} bytes" + (f" in {len(self.files)} files"
                                             if len(self.files) > 1 else "")
        out = [f"wrote {self.path} ({size})"]
        if self.exporter:
            out.append(f"exporter: {self.exporter}"
                       + (f", opset {self.opset}" if self.opset is not None else ""))
        if self.fallback_reason:
            out.append(f"fallback: {self.fallback_reason}")
        for extra in self.files:
            if extra != self.path:
                out.append(f"also wrote {extra}")
        out += [f"verified: {c}" for c in self.checks]
        out += [f"note: {n}" for n in self.notes]
        for batch, diff in self.max_abs_diff.items():
            out.append(f"batch {batch}: max abs difference {diff:.3g} "
                       f"(rtol {RTOL:g}, atol {ATOL:g})")
        out.append(f"took {self.seconds:.2f} s")
        return out


def on_cpu(model: nn.Module) -> nn.Module:
    """``model`` itself when it lives on the CPU, else a copy moved there (exports and their
    checks run on the CPU; a model trained on a GPU stays where it is)."""
    tensors = [*model.parameters(), *model.buffers()]
    if all(t.device.type == "cpu" for t in tensors):
        return model
    return copy.deepcopy(model).cpu()


def sample_inputs(model: nn.Module, seed: int = 0) -> dict[int, torch.Tensor]:
    """Seeded random input batches of each of ``BATCH_SIZES`` for ``model``."""
    shape = compile_info(model).input_shape
    gen = torch.Generator().manual_seed(seed)
    return {b: torch.randn((b, *shape), generator=gen) for b in BATCH_SIZES}


def check_finite_weights(model: nn.Module, report: ExportReport) -> None:
    """``ExportVerificationError`` naming the nodes whose weights or buffers hold NaN/Inf."""
    names = compile_info(model).names
    bad: dict[str, list[str]] = {}
    for key, tensor in model.state_dict().items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            attr, _, rest = key.partition(".")
            bad.setdefault(names.get(attr, attr), []).append(rest or key)
    if bad:
        where = "; ".join(f"node {node!r} ({', '.join(keys)})" for node, keys in bad.items())
        raise ExportVerificationError(
            f"the weights hold NaN or Inf values: {where}. Such a model computes nothing "
            "useful; retrain it or reload good weights before exporting.", report)


def _check_finite_output(report: ExportReport, out: np.ndarray, who: str, batch: int) -> None:
    if out.size and not np.isfinite(out).all():
        kinds = [w for w, has in (("NaN", np.isnan(out).any()), ("Inf", np.isinf(out).any()))
                 if has]
        raise ExportVerificationError(
            f"{who} gives {' and '.join(kinds)} at batch {batch} on the verification input, "
            "so the export cannot be checked against it", report)


def compare(report: ExportReport, model: nn.Module,
            run: Callable[[torch.Tensor], np.ndarray | torch.Tensor], what: str) -> None:
    """Run ``model`` (eval, no grad) and ``run`` on each sample batch; record the largest
    absolute difference per batch size; raise ``ExportVerificationError`` on a mismatch or
    on NaN/Inf in the weights or either side's outputs."""
    model.eval()
    check_finite_weights(model, report)
    for batch, x in sample_inputs(model).items():
        with torch.no_grad():
            expected = model(x).detach().cpu().numpy()
        _check_finite_output(report, expected, "the PyTorch model", batch)
        got = run(x)
        if isinstance(got, torch.Tensor):
            got = got.detach().cpu().numpy()
        got = np.asarray(got)
        if got.shape != expected.shape:
            raise ExportVerificationError(
                f"{what} gives shape {got.shape} at batch {batch}, PyTorch {expected.shape}",
                report)
        _check_finite_output(report, got, what, batch)
        diff = float(np.max(np.abs(got - expected))) if expected.size else 0.0
        report.max_abs_diff[batch] = diff
        try:
            np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
        except AssertionError as exc:
            raise ExportVerificationError(
                f"{what} differs from PyTorch at batch {batch} (max abs difference "
                f"{diff:.3g}):\n{exc}", report) from None
    report.checks.append(f"{what} matches PyTorch at batch sizes "
                         f"{', '.join(map(str, BATCH_SIZES))}")


def file_size(*paths: str | Path) -> int:
    return sum(Path(p).stat().st_size for p in paths if Path(p).exists())
