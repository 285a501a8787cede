"""What an exported ONNX file says about itself, so it can be run elsewhere.

The ONNX export writes these ``metadata_props`` (all strings; JSON where noted), documented in
docs/exports.md:

- ``cnnstudio.input``: JSON ``{"name": "x", "layout": "NCHW", "dtype": "float32",
  "shape": ["batch", C, H, W]}``
- ``cnnstudio.output``: ``probabilities`` (the network ends in Softmax) or ``logits``
- ``cnnstudio.preprocess``: JSON, for a trained run's checkpoint: ``input_shape``, ``mean``,
  ``std`` (per channel, on the 0..1 scale), ``classes``, ``grey``; a pixel value p (0..255)
  becomes ``(p / 255 - mean[c]) / std[c]``
- ``cnnstudio.classes``: JSON list of the class names (a trained run's)
- ``cnnstudio.project``, ``cnnstudio.version``: the project's name, CNN Studio's version

``cnnstudio predict MODEL.onnx`` reads them back (cnnstudio.training.predict).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import onnx

from cnnstudio import __version__
from cnnstudio.core.limits import MAX_JSON_BYTES, InputLimitError, read_capped

INPUT_KEY = "cnnstudio.input"
OUTPUT_KEY = "cnnstudio.output"
PREPROCESS_KEY = "cnnstudio.preprocess"
CLASSES_KEY = "cnnstudio.classes"
PROJECT_KEY = "cnnstudio.project"
VERSION_KEY = "cnnstudio.version"


def metadata_for(input_name: str, input_shape: tuple[int, ...], probabilities: bool,
                 project_name: str = "", preprocess: dict[str, Any] | None = None
                 ) -> dict[str, str]:
    """The metadata of one export (``preprocess`` from the run, when there is one)."""
    meta = {
        INPUT_KEY: json.dumps({"name": input_name, "layout": "NCHW", "dtype": "float32",
                               "shape": ["batch", *input_shape]}),
        OUTPUT_KEY: "probabilities" if probabilities else "logits",
        PROJECT_KEY: project_name,
        VERSION_KEY: __version__,
    }
    if preprocess is not None:
        meta[PREPROCESS_KEY] = json.dumps(preprocess)
        meta[CLASSES_KEY] = json.dumps(list(preprocess.get("classes", [])))
    return meta


def run_preprocess(checkpoint: str | Path | None) -> dict[str, Any] | None:
    """The preprocessing recorded by the run that ``checkpoint`` belongs to
    (``RUN/checkpoints/NAME.safetensors`` -> ``RUN/config.json``), or None."""
    if checkpoint is None:
        return None
    path = Path(checkpoint)
    config = path.parent.parent / "config.json"
    if path.parent.name != "checkpoints" or not config.is_file():
        return None
    try:
        data = json.loads(read_capped(config, MAX_JSON_BYTES, "run config"))
    except (OSError, ValueError, InputLimitError):
        return None  # the export still works; it just cannot describe the preprocessing
    prep = data.get("preprocess") if isinstance(data, dict) else None
    return prep if isinstance(prep, dict) else None


def add_metadata(path: str | Path, metadata: dict[str, str]) -> None:
    """Write ``metadata`` into the ONNX file's metadata_props (replacing same keys)."""
    model = onnx.load(str(path))
    kept = [p for p in model.metadata_props if p.key not in metadata]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
