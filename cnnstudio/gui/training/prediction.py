"""What the Predict tab shows, computed with torch in a worker thread (no Qt here).

``explain_files(run_dir, paths, node, top_k, cache, cancel)`` classifies the images among
``paths`` (files or folders) with the run's ``Predictor`` (``cnnstudio.training.predict``,
the CLI's function, for the top-k) and, for each image, returns the image as the network sees
it (decoded as in training, normalised, de-normalised for display), the first feature maps of
the convolution node ``node`` and the Grad-CAM heatmap of the top class
(``cnnstudio.training.gradcam``), alone and laid over the image. A file that cannot be decoded
(corrupt, colour for a grey model) gets an ``error`` naming it instead. Everything returned is
plain: dicts of numbers, strings and NumPy arrays.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import get_layer
from cnnstudio.core.shapes import analyse

MAX_FILES = 32  # images explained per request
MAX_MAPS = 16  # feature maps shown per image


def conv_nodes(graph: Graph) -> list[str]:
    """Names of the convolution nodes, in network order."""
    return [graph.nodes[n].name for n in analyse(graph).order
            if get_layer(graph.nodes[n].kind).conv]


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """A uint8 (H, W, 3) image: ``image`` (grey or RGB uint8) with ``heat`` in [0, 1] as a
    blue-to-red colour map laid over it."""
    rgb = np.repeat(image[:, :, None], 3, axis=2) if image.ndim == 2 else image
    t = np.clip(heat, 0.0, 1.0)[:, :, None]
    colours = np.clip(1.5 - np.abs(4.0 * t - np.array([3.0, 2.0, 1.0])), 0.0, 1.0) * 255.0
    out = (1.0 - alpha) * rgb.astype(np.float32) + alpha * colours
    return np.ascontiguousarray(np.round(out).astype(np.uint8))


class PredictorCache:
    """The last ``Predictor``, reloaded when its run or checkpoints change (worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._predictor: Any = None

    def get(self, run_dir: Path) -> Any:
        from cnnstudio.training.predict import open_predictor

        stamps = tuple(sorted((p.name, p.stat().st_mtime_ns)
                              for p in (run_dir / "checkpoints").glob("*.safetensors")))
        key = (str(run_dir), stamps)
        with self._lock:
            if self._key != key:
                self._predictor, self._key = open_predictor(run_dir), key
            return self._predictor


def explain_files(run_dir: Path, paths: list[str], node: str, top_k: int,
                  cache: PredictorCache, cancel: threading.Event) -> dict[str, Any]:
    """Worker thread: classify the images among ``paths`` and explain each at ``node``."""
    import torch

    from cnnstudio.gui.training.inspection import display_image, to_uint8
    from cnnstudio.training.errors import DatasetError
    from cnnstudio.training.gradcam import grad_cam_details
    from cnnstudio.training.images import decode_image
    from cnnstudio.training.predict import image_files, predict

    predictor = cache.get(run_dir)
    files = image_files(paths)
    prep = predictor.preprocess
    decoded: dict[Path, Any] = {}
    items: list[dict[str, Any]] = []
    for f in files[:MAX_FILES]:
        try:
            decoded[f] = decode_image(f, prep.input_shape, prep.grey)
            items.append({"file": str(f)})
        except DatasetError as exc:
            items.append({"file": str(f), "error": str(exc)})
    tops = iter(predict(predictor, list(decoded), top_k) if decoded else [])
    mean = np.asarray(prep.mean, np.float32).reshape(-1, 1, 1)
    std = np.asarray(prep.std, np.float32).reshape(-1, 1, 1)
    for item in items:
        if cancel.is_set():
            return {"status": "cancelled"}
        if "error" in item:
            continue
        item["top"] = next(tops)["top"]
        x = predictor.normalise(decoded[Path(item["file"])][None])
        seen = np.clip(x[0] * std + mean, 0.0, 1.0)  # de-normalised, as the network sees it
        image = display_image(np.round(seen * 255.0).astype(np.uint8))
        detail = grad_cam_details(predictor.model, torch.from_numpy(x), node,
                                  item["top"][0]["index"])
        item.update(image=image, heatmap=detail.heatmap, overlay=overlay(image, detail.heatmap),
                    maps=to_uint8(detail.activations[:MAX_MAPS], axes=(1, 2)),
                    channels=int(detail.activations.shape[0]))
    return {"status": "done", "run_dir": str(run_dir), "node": node, "found": len(files),
            "items": items}
