"""Memory of a training step, estimated from the shape analysis before anything is built.

``estimate(analysis, batch_size, precision, optimizer, momentum)`` returns a
``MemoryEstimate``: the bytes of

- the parameters (float32, BatchNorm's running statistics included),
- under bf16 / fp16 autocast, the 2-byte copies of the convolution and Dense weights that
  autocast makes and the backward pass keeps,
- their gradients (float32, one per trainable parameter),
- the optimiser's state (float32 per trainable parameter: ``OPTIMIZER_STATE``),
- the activations kept for the backward pass (each kind's ``LayerSpec.saves`` says which tensors
  it keeps, in ``cnnstudio.core.saved``'s words; a tensor kept by several nodes counts once; the
  loss keeps its log-probabilities, the targets and a float32 scalar). Under autocast, tensors
  after a convolution or Dense node are 2 bytes a value, statistics stay float32, indices are
  int64, and a LayerScale (a float32 parameter times its input) gives float32 again, as autocast
  on the CPU does (on a GPU autocast also runs LayerNorm in float32).

Activations grow with the batch and the rest does not, so ``max_batch(memory)`` is the
largest batch whose total stays within ``USABLE_SHARE`` of ``memory`` (the rest is left for
the framework's workspaces, temporary gradients and fragmentation). ``fits_line`` is the one
sentence the training form and ``cnnstudio summary`` show. Pure Python: the summary, the
form and the CLI show the same numbers; ``physical_memory()`` is this machine's memory (the
compiler's weight check uses it too) and the GPU's is found in ``cnnstudio.training.device``
(torch).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

from cnnstudio.core.layers.window import same_pads
from cnnstudio.core.saved import fused_rule, rule
from cnnstudio.core.shapes import Analysis

PRECISIONS = ("fp32", "bf16", "fp16")
#: float32 values of optimiser state per trainable parameter: (without, with) momentum
OPTIMIZER_STATE = {"sgd": (0, 1), "adam": (2, 2), "adamw": (2, 2), "rmsprop": (1, 2)}
#: the share of a device's memory a training step may plan to use
USABLE_SHARE = 0.9
FLOAT32 = 4
HALF = 2
INT64 = 8
#: ``fits_line``'s name for a memory given by the user rather than found on a device
LIMIT = "the memory limit"
#: assumed where the operating system does not say (os.sysconf is missing on Windows)
UNKNOWN_MEMORY = 16 * 1024**3


def physical_memory() -> int:
    """This machine's physical memory in bytes (``UNKNOWN_MEMORY`` where it cannot be read)."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return UNKNOWN_MEMORY
    return pages * size if pages > 0 and size > 0 else UNKNOWN_MEMORY


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes of one training step at ``batch_size``; see the module docstring."""

    batch_size: int
    precision: str
    optimizer: str
    parameters: int
    weight_copies: int
    gradients: int
    optimizer_state: int
    activations_per_sample: int
    activations_fixed: int

    @property
    def activations(self) -> int:
        return self.activations_fixed + self.activations_per_sample * self.batch_size

    @property
    def fixed(self) -> int:
        """Bytes that do not grow with the batch."""
        return (self.parameters + self.weight_copies + self.gradients + self.optimizer_state
                + self.activations_fixed)

    @property
    def total(self) -> int:
        return self.at_batch(self.batch_size)

    def at_batch(self, batch_size: int) -> int:
        return self.fixed + self.activations_per_sample * batch_size

    def max_batch(self, memory: int) -> int:
        """The largest batch whose total fits in ``USABLE_SHARE`` of ``memory`` (0: none)."""
        room = USABLE_SHARE * memory - self.fixed
        return max(0, int(room // max(1, self.activations_per_sample)))

    def to_dict(self, memory: int | None = None, where: str = LIMIT) -> dict[str, Any]:
        out: dict[str, Any] = {
            "batch_size": self.batch_size, "precision": self.precision,
            "optimizer": self.optimizer, "parameters_bytes": self.parameters,
            "weight_copies_bytes": self.weight_copies,
            "gradients_bytes": self.gradients, "optimizer_state_bytes": self.optimizer_state,
            "activations_bytes": self.activations,
            "activations_bytes_per_sample": self.activations_per_sample,
            "total_bytes": self.total,
        }
        if memory is not None:
            out.update(memory_bytes=memory, memory_of=where, fits=self.total <= memory *
                       USABLE_SHARE, max_batch_size=self.max_batch(memory))
        return out


@dataclass
class _Tensor:
    key: tuple[str, str]
    per_sample: int  # values per sample
    size: int  # bytes per value


def _values(shape: tuple[int, ...] | None) -> int:
    return math.prod(shape) if shape is not None else 0


def _padded(kind: str, params: dict[str, Any], shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """The shape of the padded copy a 'same' convolution or pool makes, or None."""
    if params.get("padding") != "same" or len(shape) != 3 or "kernel" not in params:
        return None
    c, h, w = shape
    (kh, kw), (sh, sw) = params["kernel"], params["stride"]
    dh, dw = params.get("dilation", (1, 1))
    (bh, ah), (bw, aw) = same_pads(h, kh, sh, dh), same_pads(w, kw, sw, dw)
    if ah == bh and aw == bw:
        return None  # symmetric: the module pads without a copy
    if kind == "AvgPool2d":  # AvgPool2dSame pads all of it itself
        return (c, h + bh + ah, w + bw + aw)
    return (c, h + ah - bh, w + aw - bw)


def activation_bytes(a: Analysis, precision: str = "fp32") -> tuple[int, int]:
    """(bytes per sample, bytes whatever the batch) the backward pass keeps."""
    low = precision != "fp32"
    graph = a.graph
    out: dict[str, _Tensor] = {}
    grad: dict[str, bool] = {}
    kept: dict[tuple[str, str], tuple[int, int]] = {}
    fixed = 0

    def keep(t: _Tensor) -> None:
        kept[t.key] = (t.per_sample, t.size)

    for nid in a.order:
        node, info = graph.nodes[nid], a.infos[nid]
        srcs = [e.src for e in graph.inputs_of(nid) if e is not None and e.src in out]
        ins = [out[src] for src in srcs]
        needs = [grad[src] for src in srcs]
        n = _values(info.shape)
        size = max((t.size for t in ins), default=FLOAT32)
        if low and (node.spec.conv or node.kind == "Dense"):
            size = HALF
        elif node.kind == "LayerScale":
            size = FLOAT32  # a float32 parameter times the input: float32
        words = rule(node.kind, node.params)
        act = node.params.get("activation", "none")
        if nid == a.output_id and (node.kind == "Softmax" or act == "softmax"):
            act = "none"  # training leaves a final softmax to the loss
            words = ("view",) if node.kind == "Softmax" else words
        pre = _Tensor((nid, "pre"), n, size)
        result = _Tensor((nid, "out"), n, size) if act != "none" else pre
        if "view" in words and ins:
            result = ins[0]
        out[nid] = result
        grad[nid] = any(needs) or (node.trainable and info.trainable_params > 0)
        if not grad[nid] or not ins:
            continue
        first = ins[0]
        shape_in = a.infos[srcs[0]].shape
        padded = _padded(node.kind, node.params, shape_in or ())
        source = first
        if padded is not None:
            source = _Tensor((nid, "padded"), _values(padded), first.size)
        elif low and (node.spec.conv or node.kind == "Dense") and first.size != HALF:
            source = _Tensor((nid, "cast"), first.per_sample, HALF)
        channels = (info.shape or (0,))[0]
        for word in words:
            if word == "input":
                if node.kind == "Multiply":
                    for i, t in enumerate(ins):
                        if any(needs[:i] + needs[i + 1:]):
                            keep(t)
                else:
                    keep(source)
            elif word == "output":
                keep(pre)
            elif word == "copy":
                keep(_Tensor((nid, f"copy{len(kept)}"), source.per_sample, source.size))
            elif word == "indices":
                keep(_Tensor((nid, "indices"), n, INT64))
            elif word == "mid":
                m = node.params.get("depth_multiplier", 1)
                spatial = n // channels if channels else 0
                keep(_Tensor((nid, "mid"), (shape_in or (0,))[0] * m * spatial, size))
            elif word == "channel_stats":
                fixed += 2 * channels * FLOAT32
            elif word == "position_stats":
                keep(_Tensor((nid, "stats"), 2 * (n // channels if channels else 0), FLOAT32))
            elif word == "channel_noise":
                keep(_Tensor((nid, "noise"), channels, size))
        for word in fused_rule(act):
            keep(pre if word == "input" else result)
    if a.output_id is not None:  # the loss: log-probabilities, targets, a float32 scalar
        keep(_Tensor(("loss", "log_probs"), _values(a.infos[a.output_id].shape), FLOAT32))
        keep(_Tensor(("loss", "targets"), 1, INT64))
        fixed += FLOAT32
    return sum(v * s for v, s in kept.values()), fixed


def state_per_param(optimizer: str, momentum: float = 0.9) -> int:
    """float32 values of state the optimiser keeps per trainable parameter."""
    if optimizer not in OPTIMIZER_STATE:
        raise ValueError(f"unknown optimizer {optimizer!r}; one of "
                         f"{', '.join(OPTIMIZER_STATE)}")
    return OPTIMIZER_STATE[optimizer][1 if momentum > 0 else 0]


def estimate(a: Analysis, batch_size: int, precision: str = "fp32", optimizer: str = "adam",
             momentum: float = 0.9) -> MemoryEstimate:
    """The memory of one training step; ValueError for a design with problems or a bad
    setting."""
    if not a.ok or a.output_id is None:
        raise ValueError("the design has problems; fix them before estimating its memory")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1; got {batch_size}")
    params = a.total("params")
    buffers = a.total("keras_params") - params  # BatchNorm's running mean and variance
    trainable = a.total("trainable_params")
    copies = 0
    if precision != "fp32":
        copies = sum(a.infos[nid].trainable_params for nid in a.order
                     if a.graph.nodes[nid].spec.conv or a.graph.nodes[nid].kind == "Dense")
    per_sample, fixed = activation_bytes(a, precision)
    return MemoryEstimate(
        batch_size, precision, optimizer,
        parameters=(params + buffers) * FLOAT32, weight_copies=copies * HALF,
        gradients=trainable * FLOAT32,
        optimizer_state=trainable * FLOAT32 * state_per_param(optimizer, momentum),
        activations_per_sample=per_sample, activations_fixed=fixed)


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2,
          "mib": 1024**2, "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "t": 1000**4,
          "tb": 1000**4, "tib": 1024**4}


def parse_size(text: str) -> int:
    """``8GiB``, ``512 MiB``, ``16GB`` or bytes -> bytes; ValueError says what is accepted."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS or float(match.group(1)) <= 0:
        raise ValueError(f"expected a size such as 8GiB, 512MiB or 16GB; got {text!r}")
    return int(float(match.group(1)) * _UNITS[unit])


def fmt_bytes(n: float) -> str:
    """``3.1 GiB``, ``240 MiB``, ``12 KiB``."""
    for unit, scale in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{int(n)} B"


def fits_line(e: MemoryEstimate, memory: int | None = None, where: str = "") -> str:
    """``batch 256 needs 3.1 GiB; this GPU (...) has 8.0 GiB`` and the largest batch that
    fits; ``where`` names the memory (``LIMIT``: one the user gave)."""
    text = f"batch {e.batch_size} needs {fmt_bytes(e.total)}"
    if memory is None:
        return text
    where = where or LIMIT
    text += f"; {where} {'is' if where == LIMIT else 'has'} {fmt_bytes(memory)}"
    largest = e.max_batch(memory)
    if largest == 0:
        return text + "; not even batch 1 fits"
    return text + f" (largest batch that fits: {largest:,})"


def memory_lines(e: MemoryEstimate, memory: int | None = None, where: str = "") -> list[str]:
    """The memory block under the summary table."""
    lines = [f"Training memory (batch {e.batch_size}, {e.precision}, {e.optimizer}):",
             f"  parameters:        {fmt_bytes(e.parameters)}",
             *([f"  weight copies:     {fmt_bytes(e.weight_copies)} ({e.precision})"]
               if e.weight_copies else []),
             f"  gradients:         {fmt_bytes(e.gradients)}",
             f"  optimiser state:   {fmt_bytes(e.optimizer_state)}",
             f"  activations:       {fmt_bytes(e.activations)} "
             f"({fmt_bytes(e.activations_per_sample)} per sample)",
             f"  total:             {fmt_bytes(e.total)}",
             fits_line(e, memory, where)]
    return lines
