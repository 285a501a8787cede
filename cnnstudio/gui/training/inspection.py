"""What the inspection tab shows, computed with torch in a worker thread (no Qt here).

``RunInspector(run_dir)`` loads a run folder once: the project saved in it
(``project.cnnproj``), the ``best`` checkpoint (``last`` when there is none), the run's
preprocessing and its test images (the same split the engine used, by seed). It then answers:

- ``feature_maps(node_name, index)``: one test image's activations at a node, one tile per
  channel (first ``MAX_TILES``);
- ``filters()``: the first convolution node's kernels, one tile per filter (RGB when the
  kernels see three input channels, else averaged over the input channels);
- ``misclassified(limit)``: test images the model gets wrong, with true and predicted class.

Everything returned is plain: dicts of numbers, strings and uint8 NumPy arrays scaled to
0..255 for display. ``maps_nodes(graph)`` lists the nodes whose output is a feature map.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import LAYERS
from cnnstudio.core.shapes import analyse

MAX_TILES = 64
MAX_IMAGES = 2000  # test images decoded for inspection when the data is streamed


def maps_nodes(graph: Graph) -> list[str]:
    """Names of the nodes (in network order) whose output is a (C, H, W) feature map."""
    analysis = analyse(graph)
    names = []
    for node_id in analysis.order:
        info = analysis.infos.get(node_id)
        if info is not None and info.shape is not None and len(info.shape) == 3:
            names.append(graph.nodes[node_id].name)
    return names


def to_uint8(a: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
    """Scale to 0..255 by the min and max over ``axes`` (all when None); flat arrays -> 128."""
    a = np.asarray(a, dtype=np.float32)
    lo = a.min(axis=axes, keepdims=True)
    hi = a.max(axis=axes, keepdims=True)
    span = hi - lo
    scaled = np.where(span > 1e-12, (a - lo) / np.where(span > 1e-12, span, 1.0), 0.5)
    return np.ascontiguousarray(np.round(scaled * 255.0).astype(np.uint8))


def display_image(chw: np.ndarray) -> np.ndarray:
    """uint8 (C, H, W) -> (H, W) grey or (H, W, 3) RGB."""
    return np.ascontiguousarray(chw[0] if chw.shape[0] == 1 else chw[:3].transpose(1, 2, 0))


class RunInspector:
    """A trained run loaded for inspection (build it and call it in worker threads)."""

    def __init__(self, run_dir: str | Path, root: str | None = None) -> None:
        import torch

        from cnnstudio.compiler import build_model
        from cnnstudio.core.project_io import load
        from cnnstudio.gui.training.worker import prepared_data
        from cnnstudio.training.checkpoints import checkpoint_exists, load_checkpoint
        from cnnstudio.training.datasets import ArrayData
        from cnnstudio.training.images import decode_files
        from cnnstudio.training.run_files import read_run_config

        self.run_dir = Path(run_dir)
        self.graph = load(self.run_dir / "project.cnnproj").graph
        config, self.prep, info = read_run_config(self.run_dir)
        self.model = build_model(self.graph, for_training=True).eval()
        ckpt = self.run_dir / "checkpoints"
        self.checkpoint = "best" if checkpoint_exists(ckpt, "best") else "last"
        load_checkpoint(ckpt, self.checkpoint, self.model)
        data = prepared_data(info["data"]["source"], self.prep.input_shape, config, root)
        part = data.test if data.test is not None else data.val or data.train
        if isinstance(part, ArrayData):
            self.images = part.images
            self.labels = part.labels
        else:
            files = part.files[:MAX_IMAGES]
            self.images = decode_files(files, self.prep.input_shape, self.prep.grey)
            self.labels = torch.tensor(part.labels[:MAX_IMAGES], dtype=torch.int64)
        self.classes = list(self.prep.classes)
        shape = (1, len(self.prep.mean), 1, 1)
        self.mean = torch.tensor(self.prep.mean, dtype=torch.float32).view(shape)
        self.std = torch.tensor(self.prep.std, dtype=torch.float32).view(shape)
        self._predictions: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def class_name(self, k: int) -> str:
        return self.classes[k] if 0 <= k < len(self.classes) else str(k)

    def _inputs(self, images: Any) -> Any:
        return (images.float() / 255.0 - self.mean) / self.std

    def predictions(self) -> np.ndarray:
        """Predicted class of every test image (computed once)."""
        import torch

        if self._predictions is None:
            out = []
            with torch.inference_mode():
                for chunk in torch.split(self.images, 256):
                    out.append(self.model(self._inputs(chunk)).argmax(1))
            self._predictions = torch.cat(out).numpy() if out else np.zeros(0, np.int64)
        return self._predictions

    def feature_maps(self, node_name: str, index: int) -> dict[str, Any]:
        import torch

        from cnnstudio.compiler import node_outputs

        if not 0 <= index < len(self):
            raise ValueError(f"test image {index} does not exist (0 to {len(self) - 1})")
        x = self._inputs(self.images[index:index + 1])
        with torch.inference_mode():
            outputs = node_outputs(self.model, x)
        if node_name not in outputs:
            raise ValueError(f"the run's network has no node named {node_name!r}")
        act = outputs[node_name][0].float().numpy()
        if act.ndim != 3:
            raise ValueError(f"{node_name} outputs a vector of {act.size} values, not "
                             "feature maps: choose a convolution or pooling node")
        logits = outputs[self.model_output()][0]
        label, pred = int(self.labels[index]), int(logits.argmax())
        return {"node": node_name, "index": index, "channels": act.shape[0],
                "maps": to_uint8(act[:MAX_TILES], axes=(1, 2)),
                "image": display_image(self.images[index].numpy()),
                "label": self.class_name(label), "predicted": self.class_name(pred)}

    def model_output(self) -> str:
        from cnnstudio.compiler import compile_info

        return compile_info(self.model).output

    def filters(self) -> dict[str, Any]:
        from cnnstudio.compiler import compile_info

        info = compile_info(self.model)
        modules = dict(self.model.named_children())
        for name, kind in info.kinds.items():
            if LAYERS[kind].conv:
                module = modules[info.attrs[name]]
                conv = module.get_submodule("depthwise") if kind == "SeparableConv2d" \
                    else module
                weight = conv.get_parameter("weight")
                w = weight.detach().float().cpu().numpy()  # (F, C_in, kh, kw)
                break
        else:
            raise ValueError("the network has no convolution node")
        if w.shape[1] == 3:
            tiles = to_uint8(w[:MAX_TILES].transpose(0, 2, 3, 1), axes=(1, 2, 3))
        else:
            tiles = to_uint8(w[:MAX_TILES].mean(axis=1), axes=(1, 2))
        return {"node": name, "kind": kind, "count": int(w.shape[0]),
                "weight_shape": tuple(int(v) for v in w.shape), "filters": tiles}

    def misclassified(self, limit: int = MAX_TILES) -> dict[str, Any]:
        preds = self.predictions()
        labels = self.labels.numpy()
        wrong = np.flatnonzero(preds != labels)
        shown = wrong[:limit]
        return {"total": int(len(labels)), "wrong": int(len(wrong)),
                "indices": [int(i) for i in shown],
                "images": [display_image(self.images[int(i)].numpy()) for i in shown],
                "true": [self.class_name(int(labels[i])) for i in shown],
                "predicted": [self.class_name(int(preds[i])) for i in shown]}
