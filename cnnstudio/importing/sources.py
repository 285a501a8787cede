"""What can be imported, named as the CLI and the app name it (torch imported lazily).

- ``MODEL.onnx``: read, never run.
- ``torchvision.NAME`` (or ``torchvision.models.NAME``): torchvision's classification
  model ``NAME`` built with random weights (nothing is downloaded); ``torch_weights`` loads a
  state dict into it first (``.safetensors``, or ``.pth`` read with ``weights_only=True``).
- ``FILE.py:CLASS``: **runs FILE as Python code** (as ``python FILE.py`` would) and builds
  ``CLASS()`` with no arguments. Only ever on the user's explicit request; ONNX files and
  torchvision names never execute anything from a file.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cnnstudio.importing.ops import ModelImportError

if TYPE_CHECKING:
    from torch import nn

TORCHVISION = "torchvision."
#: the input shape used when none is given for a torch module
DEFAULT_SHAPE = (3, 224, 224)
#: what the user reads before a Python file is run (CLI and app)
RUNS_CODE = "importing {file} runs it as Python code, with your permissions: only import " \
    "files you trust"


@dataclass(frozen=True)
class Source:
    """A parsed source: ``kind`` is ``onnx``, ``torchvision`` or ``python``."""

    kind: str
    path: Path | None = None
    name: str = ""

    @property
    def label(self) -> str:
        if self.kind == "torchvision":
            return f"torchvision.models.{self.name}"
        if self.kind == "python":
            return f"{self.path}:{self.name}"
        return str(self.path) if self.path is not None else self.name

    @property
    def runs_code(self) -> bool:
        return self.kind == "python"


def parse_source(text: str) -> Source:
    """``ModelImportError`` when ``text`` names none of the accepted sources."""
    text = text.strip()
    if text.startswith(TORCHVISION):
        name = text.removeprefix(TORCHVISION).removeprefix("models.")
        if not name.isidentifier():
            raise ModelImportError(f"{text!r}: expected torchvision.NAME, such as "
                                   "torchvision.resnet18")
        return Source("torchvision", name=name)
    file, colon, cls = text.rpartition(":")
    if colon and file.endswith(".py"):
        if not cls.isidentifier():
            raise ModelImportError(f"{text!r}: expected FILE.py:CLASS with a class name")
        return Source("python", Path(file), cls)
    if text.endswith(".py"):
        raise ModelImportError(f"{text}: name the model class too, as {text}:CLASS")
    if text.lower().endswith(".onnx"):
        return Source("onnx", Path(text))
    raise ModelImportError(f"{text!r}: give an .onnx file, torchvision.NAME (such as "
                           "torchvision.resnet18) or FILE.py:CLASS")


def torchvision_names() -> list[str]:
    """torchvision's classification models."""
    import torchvision

    return sorted(torchvision.models.list_models(module=torchvision.models))


def default_shape(source: Source) -> tuple[int, int, int]:
    """The input shape used when none is given: a preset's of the same name, else 3x224x224."""
    from cnnstudio.core.presets import PRESETS

    preset = PRESETS.get(source.name) if source.kind == "torchvision" else None
    shape = preset.input_shape if preset is not None else DEFAULT_SHAPE
    return (int(shape[0]), int(shape[1]), int(shape[2]))


def load_module(source: Source, torch_weights: str | Path | None = None) -> nn.Module:
    """The torch module named by ``source`` (torchvision or a Python file), in eval mode."""
    from torch import nn

    if source.kind == "torchvision":
        import torchvision

        if source.name not in torchvision_names():
            raise ModelImportError(f"torchvision has no classification model {source.name!r} "
                                   f"(it has {', '.join(torchvision_names()[:8])}, ...)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # googlenet / inception_v3 warn about their init
            module = torchvision.models.get_model(source.name, weights=None)
    elif source.kind == "python":
        module = _from_file(source)
    else:
        raise ModelImportError(f"{source.label} is not a torch module")
    if not isinstance(module, nn.Module):
        raise ModelImportError(f"{source.label} did not make a torch.nn.Module")
    if torch_weights is not None:
        _load_state(module, Path(torch_weights), source)
    return module.eval()


def _from_file(source: Source) -> nn.Module:
    from torch import nn

    assert source.path is not None
    path = source.path
    if not path.is_file():
        raise ModelImportError(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location(f"cnnstudio_import_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ModelImportError(f"{path}: cannot be read as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look classes up here
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's code may raise anything
        raise ModelImportError(f"{path}: running it failed: {type(exc).__name__}: "
                               f"{str(exc)[:300]}") from None
    cls = getattr(module, source.name, None)
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        raise ModelImportError(f"{path} has no torch.nn.Module class {source.name!r}")
    try:
        return cls()
    except Exception as exc:  # the user's constructor may raise anything
        raise ModelImportError(f"{source.label}(): {type(exc).__name__}: {str(exc)[:300]} "
                               "(the class must be built with no arguments)") from None


def _load_state(module: nn.Module, path: Path, source: Source) -> None:
    from cnnstudio.presets_torch.transfer import load_state_file

    try:
        state = load_state_file(path)
        module.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError, OSError) as exc:
        text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        raise ModelImportError(f"{path} does not load into {source.label}: "
                               f"{text[:400]}") from None
