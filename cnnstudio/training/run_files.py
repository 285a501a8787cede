"""The run folder: config.json, history.json, checkpoints/, metrics.json/.csv, tensorboard/.

Also the model probe done before training: one forward pass on zeros to check that the model
takes the data's shape and returns (batch, classes) logits.
"""

from __future__ import annotations

import logging
import platform
import shutil
from pathlib import Path
from typing import Any

import torch

from cnnstudio.training.config import TrainConfig
from cnnstudio.training.data import PreparedData, Preprocess
from cnnstudio.training.device import SpeedSettings
from cnnstudio.training.errors import DatasetError
from cnnstudio.training.files import read_json, write_json_atomic

log = logging.getLogger("cnnstudio.training")


#: what a run writes in its folder; ``clear_run`` removes these and nothing else
RUN_FILES = ("project.cnnproj", "config.json", "history.json", "metrics.json", "metrics.csv",
             "checkpoints", "tensorboard")


def history_path(run_dir: Path) -> Path:
    return run_dir / "history.json"


def clear_run(run_dir: Path) -> list[str]:
    """Delete an earlier run's files (``RUN_FILES``) from ``run_dir``; other files stay."""
    removed = []
    for name in RUN_FILES:
        path = run_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(name)
    return removed


def data_fingerprint(data: PreparedData) -> dict[str, Any]:
    """What identifies the data of a run: class names, samples per split, input shape."""
    return {"classes": list(data.preprocess.classes), "train": len(data.train),
            "val": len(data.val) if data.val is not None else 0,
            "test": len(data.test) if data.test is not None else 0,
            "input_shape": list(data.preprocess.input_shape)}


def recorded_fingerprint(info: dict[str, Any]) -> dict[str, Any]:
    """The fingerprint in a run's config.json (rebuilt from its counts in older runs)."""
    if "fingerprint" in info:
        return dict(info["fingerprint"])
    d, prep = info["data"], info["preprocess"]
    return {"classes": list(prep["classes"]), "train": d["train"], "val": d["val"],
            "test": d["test"], "input_shape": list(prep["input_shape"])}


def fingerprint_changes(recorded: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One phrase per difference, e.g. 'train samples: 900 in the run, 8000 now'."""
    changes = []
    for key, label in (("classes", "classes"), ("train", "train samples"),
                       ("val", "validation samples"), ("test", "test samples"),
                       ("input_shape", "input shape")):
        old, now = recorded.get(key), new.get(key)
        if old != now:
            changes.append(f"{label}: {old} in the run, {now} now")
    return changes


def probe_outputs(model: torch.nn.Module, input_shape: tuple[int, int, int],
                  num_classes: int | None = None) -> int:
    """Number of model outputs, checked against the data's class count."""
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(torch.zeros((2, *input_shape), device=device))
    except Exception as e:
        raise DatasetError(f"the model does not accept the data's shape {tuple(input_shape)} "
                           f"(C, H, W): {e}; check the Input node") from e
    finally:
        model.train(was_training)
    if not isinstance(out, torch.Tensor) or out.ndim != 2:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise DatasetError(f"the model outputs {shape}; training needs (batch, classes) logits: "
                           "end the network with Flatten + Dense")
    outputs = int(out.shape[1])
    if num_classes is not None and num_classes > outputs:
        raise DatasetError(f"the data has {num_classes} classes but the model has {outputs} "
                           f"outputs: set the last Dense node to {num_classes} units")
    if bool((out >= 0).all()) and torch.allclose(out.sum(1), torch.ones(2, device=device)):
        log.warning("the model output looks like probabilities (rows sum to 1); training "
                    "expects logits: drop the final Softmax")
    return outputs


def write_run_config(run_dir: Path, config: TrainConfig, data: PreparedData,
                     speed: SpeedSettings, num_outputs: int) -> None:
    import torchvision

    info: dict[str, Any] = {
        "format": 1,
        "train": config.to_dict(),
        "preprocess": data.preprocess.to_dict(),
        "data": {"source": data.source or data.train.source, "root": data.root,
                 "train": len(data.train),
                 "val": len(data.val) if data.val is not None else 0,
                 "test": len(data.test) if data.test is not None else 0,
                 "streamed": data.streamed},
        "fingerprint": data_fingerprint(data),
        "model_outputs": num_outputs,
        "runtime": {"device": str(speed.device), "settings": speed.describe(),
                    "torch": torch.__version__, "torchvision": torchvision.__version__,
                    "python": platform.python_version(), "threads": torch.get_num_threads()},
    }
    write_json_atomic(run_dir / "config.json", info)


def read_run_config(run_dir: str | Path) -> tuple[TrainConfig, Preprocess, dict[str, Any]]:
    """TrainConfig, Preprocess and the whole config.json of a run folder."""
    info = read_json(Path(run_dir) / "config.json")
    return TrainConfig.from_dict(info["train"]), Preprocess.from_dict(info["preprocess"]), info
