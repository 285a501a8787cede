"""Predict: a trained model and image files -> the top-k classes of each image.

One entry point for the CLI (``cnnstudio predict``) and the app: ``open_predictor(path)``
takes a run folder (its best checkpoint, else its last), one checkpoint file
``RUN/checkpoints/NAME.safetensors``, or an exported ``.onnx`` file (its preprocessing read
from the metadata that CNN Studio writes, see docs/exports.md); ``predict(predictor, files)``
decodes each image as training did (grey / RGB, resized to the Input node's size, the run's
mean and std) and returns plain dicts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cnnstudio.training.data import Preprocess
from cnnstudio.training.datasets import IMAGE_EXTENSIONS
from cnnstudio.training.errors import DatasetError
from cnnstudio.training.images import decode_image


class PredictError(ValueError):
    """A model or image that cannot be used for prediction; the message says why."""


@dataclass
class Predictor:
    """A model ready to classify: its preprocessing and a function from a normalised
    float32 (N, C, H, W) batch to class probabilities (N, classes)."""

    preprocess: Preprocess
    probabilities: Callable[[np.ndarray], np.ndarray]
    source: str
    notes: list[str] = field(default_factory=list)
    #: the torch model (run folders and checkpoints; None for ONNX files)
    model: torch.nn.Module | None = None

    def normalise(self, images: torch.Tensor) -> np.ndarray:
        """uint8 (N, C, H, W) -> the float32 batch the model takes."""
        shape = (1, len(self.preprocess.mean), 1, 1)
        mean = np.asarray(self.preprocess.mean, dtype=np.float32).reshape(shape)
        std = np.asarray(self.preprocess.std, dtype=np.float32).reshape(shape)
        return ((images.numpy().astype(np.float32) / 255.0 - mean) / std).astype(np.float32)


def _softmax_unless_probabilities(out: np.ndarray) -> np.ndarray:
    out = out.astype(np.float64)
    if (out >= 0).all() and np.allclose(out.sum(axis=1), 1.0, atol=1e-4):
        return out
    shifted = out - out.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def _from_run(run_dir: Path, checkpoint: str | None) -> Predictor:
    from cnnstudio.compiler import build_model
    from cnnstudio.core.project_io import load
    from cnnstudio.training.checkpoints import checkpoint_exists, load_checkpoint
    from cnnstudio.training.run_files import read_run_config

    _, prep, _ = read_run_config(run_dir)
    model = build_model(load(run_dir / "project.cnnproj").graph, for_training=True)
    folder = run_dir / "checkpoints"
    name = checkpoint or ("best" if checkpoint_exists(folder, "best") else "last")
    if not checkpoint_exists(folder, name):
        raise PredictError(f"{run_dir}: no checkpoint {name!r} in {folder}; train first")
    load_checkpoint(folder, name, model)
    model.eval()

    def run(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            logits = model(torch.from_numpy(x))
        return _softmax_unless_probabilities(logits.float().numpy())

    return Predictor(prep, run, f"{run_dir} (checkpoint {name})", model=model)


def _from_onnx(path: Path) -> Predictor:
    import onnxruntime as ort

    from cnnstudio.compiler.export_onnx import session_options
    from cnnstudio.compiler.onnx_metadata import PREPROCESS_KEY

    try:
        session = ort.InferenceSession(str(path), session_options(),
                                       providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types
        raise PredictError(f"{path}: onnxruntime cannot load it ({exc})") from exc
    meta = session.get_modelmeta().custom_metadata_map
    first = session.get_inputs()[0]
    notes: list[str] = []
    if PREPROCESS_KEY in meta:
        try:
            prep = Preprocess.from_dict(json.loads(meta[PREPROCESS_KEY]))
        except (ValueError, TypeError, KeyError) as exc:
            raise PredictError(f"{path}: unreadable {PREPROCESS_KEY} metadata "
                               f"({exc})") from exc
    else:
        dims = first.shape[1:]
        if len(dims) != 3 or not all(isinstance(d, int) for d in dims):
            raise PredictError(f"{path}: input {first.name} is {first.shape}, not a batch of "
                               "images (N, C, H, W) of fixed size")
        outputs = session.get_outputs()[0].shape[-1]
        count = outputs if isinstance(outputs, int) else 0
        prep = Preprocess((dims[0], dims[1], dims[2]), [0.0] * dims[0], [1.0] * dims[0],
                          [str(i) for i in range(count)])
        notes.append("no CNN Studio metadata in the file: pixels scaled to 0..1, classes "
                     "numbered")

    def run(x: np.ndarray) -> np.ndarray:
        return _softmax_unless_probabilities(np.asarray(session.run(None, {first.name: x})[0]))

    return Predictor(prep, run, str(path), notes)


def open_predictor(path: str | Path) -> Predictor:
    """A predictor for a run folder, a checkpoint file in one, or an .onnx file."""
    path = Path(path)
    if path.is_dir():
        if not (path / "project.cnnproj").is_file():
            raise PredictError(f"{path} is not a run folder (no project.cnnproj)")
        return _from_run(path, None)
    if not path.is_file():
        raise PredictError(f"{path}: no such file or folder")
    if path.suffix == ".onnx":
        return _from_onnx(path)
    if path.suffix == ".safetensors" and (path.parent.parent / "project.cnnproj").is_file():
        return _from_run(path.parent.parent, path.stem)
    raise PredictError(f"{path}: expected a run folder, RUN/checkpoints/NAME.safetensors or an "
                       ".onnx file")


def image_files(paths: Iterable[str | Path]) -> list[Path]:
    """Image files among ``paths``; folders are searched (sorted, links out not followed)."""
    from cnnstudio.core.limits import is_inside

    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file()
                          and f.suffix.lower() in IMAGE_EXTENSIONS and is_inside(f, p))
        elif p.is_file():
            out.append(p)
        else:
            raise PredictError(f"{p}: no such image file or folder")
    if not out:
        raise PredictError(f"no images found in {', '.join(map(str, paths))} "
                           f"({', '.join(IMAGE_EXTENSIONS)})")
    return out


def predict(predictor: Predictor, files: list[Path], top_k: int = 5,
            batch_size: int = 64) -> list[dict[str, Any]]:
    """For each file: ``{"file", "top": [{"class", "index", "probability"}...]}``."""
    prep = predictor.preprocess
    k = max(1, min(top_k, max(1, len(prep.classes))))
    results: list[dict[str, Any]] = []
    for start in range(0, len(files), batch_size):
        chunk = files[start:start + batch_size]
        try:
            images = torch.stack([decode_image(f, prep.input_shape, prep.grey) for f in chunk])
        except DatasetError as exc:
            raise PredictError(str(exc)) from exc
        probs = predictor.probabilities(predictor.normalise(images))
        if not np.isfinite(probs).all():
            raise PredictError(f"{predictor.source}: the model's outputs are not finite "
                               "(NaN or Inf): its weights are broken")
        for f, row in zip(chunk, probs, strict=True):
            order = np.argsort(-row, kind="stable")[:k]
            results.append({"file": str(f), "top": [
                {"class": prep.classes[i] if i < len(prep.classes) else str(i),
                 "index": int(i), "probability": float(row[i])} for i in order]})
    return results


def format_table(results: list[dict[str, Any]]) -> str:
    """A plain table: one block per image, a line per class with its probability."""
    lines: list[str] = []
    for r in results:
        lines.append(r["file"])
        for t in r["top"]:
            bar = "#" * int(math.floor(t["probability"] * 20 + 0.5))
            lines.append(f"  {t['probability']:7.2%}  {t['class']:<20} {bar}")
    return "\n".join(lines)
