"""TorchScript export, verified: the saved file is loaded back and compared with eager PyTorch.

``torch.jit.script`` is used (the compiled fx code and the modules in ``ops`` are scriptable);
``torch.jit.trace`` only as a reported fallback. TorchScript is deprecated upstream in favour
of ``torch.export``, but it is still what LibTorch (C++) loads; its warnings about that are
silenced here, narrowly. The file is a TorchScript archive (``torch.jit.load``), loaded by
TorchScript's own reader, not by Python's pickle.
"""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from cnnstudio.compiler.to_torch import compile_info
from cnnstudio.compiler.verify import ExportReport, compare, file_size, on_cpu


@contextmanager
def _quiet_jit() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.\w+` is deprecated",
                                category=FutureWarning)
        warnings.filterwarnings("ignore", message="The TorchScript type system doesn't support",
                                category=UserWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        yield


def export_torchscript(model: nn.Module, path: str | Path, *,
                       verify: bool = True) -> ExportReport:
    """Write ``model`` (made by ``build_model``) to ``path`` as TorchScript and verify it."""
    start = time.perf_counter()
    model = on_cpu(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    report = ExportReport("torchscript", str(path), files=[str(path)])
    was_training = model.training
    model.eval()
    try:
        with _quiet_jit():
            try:
                scripted = torch.jit.script(model)
                report.exporter = "torch.jit.script"
            except Exception as exc:  # scripting raises many types; tracing is the fallback
                report.fallback_reason = (f"torch.jit.script failed ({type(exc).__name__}: "
                                          f"{str(exc).strip().splitlines()[0][:300]})")
                x = torch.randn(2, *compile_info(model).input_shape)
                scripted = torch.jit.trace(model, (x,))
                report.exporter = "torch.jit.trace"
            # saved to memory, written by Python: torch.jit.save aborts the process on a
            # write error (a full disk), an OSError here names the file
            buffer = io.BytesIO()
            torch.jit.save(scripted, buffer)
            path.write_bytes(buffer.getvalue())
        report.file_size = file_size(path)
        if verify:
            with _quiet_jit():
                loaded = torch.jit.load(str(path), map_location="cpu")
            loaded.eval()
            compare(report, model, loaded, "TorchScript (torch.jit.load)")
    finally:
        model.train(was_training)
    report.seconds = time.perf_counter() - start
    return report
