"""Loading torch's shared libraries with the GIL released (for a GUI process).

``import torch`` in a worker thread holds the GIL while libtorch's shared libraries load and
run their static initialisers (250-350 ms on 2 cores): the GUI thread cannot run a Python slot
meanwhile. ``preload_torch`` loads them first through ``dlopen`` called via ctypes, which
releases the GIL around foreign calls; ``import torch`` then finds them loaded. Measured with
bench/gui_training.py: the longest stall at the start of a run went from 250-350 ms to about
120 ms.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import sys

log = logging.getLogger(__name__)

_PRELOADED: list[str] = []
# libtorch's libraries in load order (each needs the ones before it)
_TORCH_LIBS = ("libtorch_global_deps.so", "libtorch_cpu.so", "libtorch.so")


def preload_torch() -> list[str]:
    """Load torch's big shared libraries with the GIL released, before ``import torch``.

    Linux only, once per process, and only while torch is not imported. Skipped for a CUDA
    build when LD_LIBRARY_PATH is set (torch then picks which CUDA libraries win itself).
    Returns the libraries loaded; a failure is logged and ``import torch`` does the rest.
    """
    if _PRELOADED or not sys.platform.startswith("linux") or "torch" in sys.modules:
        return list(_PRELOADED)
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return []
    folder = os.path.join(os.path.dirname(spec.origin), "lib")
    if os.environ.get("LD_LIBRARY_PATH") and os.path.exists(
            os.path.join(folder, "libtorch_cuda.so")):
        return []
    libc = ctypes.CDLL(None)  # a CDLL's functions run with the GIL released
    libc.dlopen.restype, libc.dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
    for name in _TORCH_LIBS:
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            continue
        if not libc.dlopen(path.encode(), os.RTLD_NOW | os.RTLD_GLOBAL):
            log.info("preloading %s failed; import torch loads it", path)
            break
        _PRELOADED.append(name)
    return list(_PRELOADED)
