"""Checkpoints without pickle: safetensors for tensors, JSON for everything else.

A checkpoint ``<name>`` in a folder is three files, each written atomically:

- ``<name>.safetensors``        model weights (``safetensors.torch.save_file``)
- ``<name>.optim.safetensors``  optimiser state tensors (keys ``state/<param>/<field>``)
- ``<name>.json``               epoch, metrics, optimiser param groups and scalars, scheduler state

All three carry the same ``tag`` so a set torn by a crash between writes is detected on load.
"""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from cnnstudio.core.files import write_bytes_atomic
from cnnstudio.core.limits import (
    MAX_JSON_BYTES,
    InputLimitError,
    read_capped,
    safetensors_header,
)
from cnnstudio.training.errors import CheckpointError
from cnnstudio.training.files import write_atomic, write_json_atomic

_REDO = "the checkpoint is damaged: train again, or restore it from a copy"


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The plain module inside DistributedDataParallel / torch.compile wrappers."""
    while True:
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None)
        if not isinstance(inner, torch.nn.Module):
            return model
        model = inner


def _cpu_copy(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in tensors.items()}


def save_weights(path: str | Path, model: torch.nn.Module,
                 metadata: dict[str, str] | None = None) -> None:
    tensors = _cpu_copy(unwrap(model).state_dict())
    # serialised in memory, written by Python: a full disk is an OSError naming the file
    write_bytes_atomic(Path(path), save(tensors, metadata=metadata))


def check_safetensors(path: str | Path) -> dict[str, Any]:
    """The JSON header of a safetensors file, checked against the file's size.

    Raises one ``CheckpointError`` naming the file when it is not a regular file, is truncated,
    or its header is too large, not JSON or points past the end of the file
    (``core.limits.safetensors_header``).
    """
    try:
        return safetensors_header(path)
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read the checkpoint: {e}") from None
    except InputLimitError as e:
        if str(e).startswith("it is "):  # not a regular file
            raise CheckpointError(f"{path}: cannot read the checkpoint: {e}") from None
        raise CheckpointError(f"{path}: {e}; {_REDO}") from None


def read_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """All tensors of a safetensors file, or one ``CheckpointError`` naming it."""
    check_safetensors(path)
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{path}: corrupt safetensors file ({e}); {_REDO}") from None


def read_info(path: str | Path) -> dict[str, Any]:
    """A checkpoint's JSON side file (size capped), or one ``CheckpointError`` naming it."""
    path = Path(path)
    try:
        info = json.loads(read_capped(path, MAX_JSON_BYTES, "checkpoint info file"))
    except (InputLimitError, OSError) as e:
        raise CheckpointError(f"{path}: cannot read the checkpoint info: {e}") from None
    except (ValueError, RecursionError) as e:
        raise CheckpointError(f"{path}: truncated or corrupt JSON ({e}); {_REDO}") from None
    if not isinstance(info, dict):
        raise CheckpointError(f"{path}: not a checkpoint info file (not a JSON object)")
    return info


def load_weights(path: str | Path, model: torch.nn.Module, strict: bool = True) -> None:
    """Load safetensors weights into ``model`` (names and shapes must match)."""
    unwrap(model).load_state_dict(read_tensors(path), strict=strict)


def _jsonable(value: Any) -> Any:
    """Plain JSON values; tuples become lists; callables and objects are dropped (None)."""
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    return None


def _from_json(value: Any) -> Any:
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _from_json(v) for k, v in value.items()}
    return value


def optimizer_state(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, fields in sd["state"].items():
        for key, value in fields.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state/{pid}/{key}"] = value
            else:
                scalars.setdefault(str(pid), {})[key] = _jsonable(value)
    return _cpu_copy(tensors), {"param_groups": _jsonable(sd["param_groups"]),
                                "scalars": scalars}


def restore_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                      info: dict) -> None:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        _, pid, name = key.split("/", 2)
        state.setdefault(int(pid), {})[name] = value
    for pid, fields in info.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(_from_json(fields))
    optimizer.load_state_dict({"state": state,
                               "param_groups": _from_json(info["param_groups"])})


def save_checkpoint(folder: str | Path, name: str, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer | None = None,
                    scheduler: Any = None, info: dict[str, Any] | None = None) -> Path:
    """Write ``<name>.safetensors``, ``<name>.optim.safetensors`` and ``<name>.json``."""
    folder = Path(folder)
    tag = uuid.uuid4().hex
    meta: dict[str, Any] = {"tag": tag, **_jsonable(info or {})}
    if optimizer is not None:
        tensors, opt_info = optimizer_state(optimizer)
        write_atomic(folder / f"{name}.optim.safetensors",
                     lambda tmp: tmp.write_bytes(save(tensors, metadata={"tag": tag})))
        meta["optimizer"] = opt_info
    if scheduler is not None:
        meta["scheduler"] = _jsonable(scheduler.state_dict())
    save_weights(folder / f"{name}.safetensors", model, metadata={"tag": tag})
    write_json_atomic(folder / f"{name}.json", meta)
    return folder / f"{name}.safetensors"


def checkpoint_exists(folder: str | Path, name: str) -> bool:
    folder = Path(folder)
    return (folder / f"{name}.json").is_file() and (folder / f"{name}.safetensors").is_file()


def load_checkpoint(folder: str | Path, name: str, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer | None = None,
                    scheduler: Any = None) -> dict[str, Any]:
    """Restore what was saved; returns the JSON info (epoch, metrics, ...)."""
    folder = Path(folder)
    info = read_info(folder / f"{name}.json")
    weights = folder / f"{name}.safetensors"
    tag = (check_safetensors(weights).get("__metadata__") or {}).get("tag")
    if tag != info.get("tag"):
        raise CheckpointError(f"{weights}: does not belong with {name}.json (torn checkpoint)")
    load_weights(weights, model)
    if optimizer is not None and "optimizer" in info:
        tensors = read_tensors(folder / f"{name}.optim.safetensors")
        restore_optimizer(optimizer, tensors, info["optimizer"])
    if scheduler is not None and info.get("scheduler"):
        scheduler.load_state_dict(_from_json(info["scheduler"]))
    return info
