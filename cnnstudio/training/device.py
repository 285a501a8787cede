"""Device choice and the speed settings that pay on it.

Auto choice: CUDA, then MPS, then CPU. On CUDA: autocast (bf16 where supported, else fp16 with
a gradient scaler) and channels-last. On the CPU: channels-last always (about 1.3x for conv nets
here) and bf16 autocast where the processor has native bf16 (avx512_bf16 or AMX; about 1.2x, both
together about 1.8x); plain fp32 elsewhere.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

log = logging.getLogger("cnnstudio.training")


@dataclass
class SpeedSettings:
    device: torch.device
    amp_dtype: torch.dtype | None  # autocast dtype, None for fp32
    channels_last: bool
    use_scaler: bool  # fp16 on CUDA needs a GradScaler

    def describe(self) -> str:
        amp = str(self.amp_dtype).replace("torch.", "") if self.amp_dtype else "fp32"
        return f"{self.device}, {amp}, channels_last={'on' if self.channels_last else 'off'}"


def select_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA, then MPS, then CPU; a named device that is missing raises ValueError
    listing the devices there are."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    there = f" (this machine has: {', '.join(d for d, _ in available_devices())})"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device '{name}' asked for but no CUDA GPU is available{there}")
    if name.startswith("cuda:") and int(name[5:]) >= torch.cuda.device_count():
        raise ValueError(f"device '{name}' asked for but there is no such GPU{there}")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device 'mps' asked for but MPS is not available{there}")
    return torch.device(name)


def cpu_cores() -> int:
    """Cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def available_devices() -> list[tuple[str, str]]:
    """``(device, label)`` for each device here: every CUDA GPU with its name and memory,
    Apple MPS, then the CPU, e.g. ``("cuda:0", "cuda:0 NVIDIA H200 (140 GiB)")``."""
    devices = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            memory = props.total_memory / 2**30
            devices.append((f"cuda:{index}", f"cuda:{index} {props.name} ({memory:.0f} GiB)"))
    if torch.backends.mps.is_available():
        devices.append(("mps", "mps (Apple GPU)"))
    devices.append(("cpu", f"cpu ({cpu_cores()} cores)"))
    return devices


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_has_bf16() -> bool:
    """Native bf16 compute on this CPU (avx512_bf16 or AMX)."""
    flags = cpu_flags()
    if flags & {"avx512_bf16", "amx_bf16"}:
        return True
    if not flags:  # not Linux: ask torch what the kernels were built for
        return torch.backends.cpu.get_cpu_capability() in ("AVX512_BF16", "AMX")
    return False


def speed_settings(device: torch.device, precision: str = "auto",
                   channels_last: str = "auto") -> SpeedSettings:
    amp: torch.dtype | None = None
    if precision == "bf16":
        amp = torch.bfloat16
    elif precision == "fp16":
        amp = torch.float16
    elif precision == "auto":
        if device.type == "cuda":
            amp = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        elif device.type == "cpu" and cpu_has_bf16():
            amp = torch.bfloat16
    if device.type == "cpu" and amp == torch.float16:
        log.info("fp16 autocast is slow on the CPU; using bf16")
        amp = torch.bfloat16
    if device.type == "mps" and amp == torch.bfloat16:
        amp = torch.float16
    cl = channels_last == "on" or (channels_last == "auto" and device.type in ("cuda", "cpu"))
    scaler = device.type == "cuda" and amp == torch.float16
    return SpeedSettings(device, amp, cl, scaler)


def set_threads(num_threads: int = 0, leave_core_for_gui: bool = False) -> int:
    """Set torch's intra-op threads (0: all cores, shared among torchrun's local processes,
    less one for a GUI when asked)."""
    per_process = max(1, cpu_cores() // int(os.environ.get("LOCAL_WORLD_SIZE", "1")))  # torchrun
    n = num_threads or per_process
    if leave_core_for_gui and not num_threads:
        n = max(1, per_process - 1)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def is_out_of_memory(error: BaseException) -> bool:
    if isinstance(error, torch.OutOfMemoryError):
        return True
    text = str(error)
    return isinstance(error, RuntimeError) and (
        "out of memory" in text or "MPS backend out of memory" in text)


class ThreadTuner:
    """Picks the faster of N threads and 1 thread while training on the CPU, again and again.

    OpenMP threads wait for each other at every op: when other processes keep the cores busy,
    two threads measured 3-4x slower than one on a shared 2-core machine, and twice as fast when
    it was idle. Every ``period`` batches both are timed for ``window`` batches each and the
    faster one is kept. ``tick()`` is called once per batch.
    """

    def __init__(self, threads: int, window: int = 5, period: int = 200) -> None:
        self.options = [threads, 1] if threads > 1 else []
        self.window, self.period = window, period
        self.count, self.last = 0, 0.0
        self.times: dict[int, list[float]] = {}
        self.chosen = threads
        self.skip = True

    def pause(self) -> None:
        """The time until the next tick is not a batch (validation, checkpoints)."""
        self.skip = True

    def tick(self) -> None:
        if not self.options:
            return
        now = time.perf_counter()
        probe = len(self.options) * self.window
        phase = self.count % (probe + self.period)
        if 0 < phase <= probe and (phase - 1) % self.window and not self.skip:
            self.times.setdefault(torch.get_num_threads(), []).append(now - self.last)
        if phase < probe:
            n = self.options[phase // self.window]
        else:
            if phase == probe and self.times:
                self.chosen = min(self.times, key=lambda k: sum(self.times[k]) / len(
                    self.times[k]))
                self.times = {}
            n = self.chosen
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)
        self.count += 1
        self.skip = False
        self.last = time.perf_counter()


def device_memory(name: str = "auto") -> tuple[str, int]:
    """(where, bytes): the memory a training run on device ``name`` has: a CUDA GPU's total
    memory (``this GPU (NVIDIA H200)``), Apple MPS's recommended working set, or this
    machine's physical memory for the CPU. A missing device raises ValueError (as
    ``select_device``)."""
    from cnnstudio.core.memory import physical_memory

    device = select_device(name)
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(
            device.index if device.index is not None else torch.cuda.current_device())
        return f"this GPU ({props.name})", int(props.total_memory)
    if device.type == "mps":
        return "this GPU (Apple MPS)", int(torch.mps.recommended_max_memory())
    return "this machine", physical_memory()


def device_report(name: str) -> dict[str, Any]:
    """What the app's memory line needs of device ``name``: ``where``, ``memory`` (bytes) and
    ``auto`` (what precision ``auto`` runs in there), with this machine's ``devices``
    (``available_devices``, for the form's device list). Plain data: the app asks a child
    process for it, so that its own process never imports torch."""
    where, memory = device_memory(name)
    return {"device": name, "where": where, "memory": memory,
            "auto": precision_on(name, "auto"),
            "devices": [list(pair) for pair in available_devices()]}


def precision_on(name: str, precision: str = "auto") -> str:
    """``fp32``, ``bf16`` or ``fp16``: what training with ``precision`` on device ``name``
    runs in (``auto`` decided as ``speed_settings`` decides it)."""
    amp = speed_settings(select_device(name), precision).amp_dtype
    return {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(amp, "fp32") if amp else "fp32"
