"""Measuring the memory of a training step, to hold ``cnnstudio.core.memory`` against.

``saved_bytes(graph, batch_size)`` runs one forward pass and the loss of the compiled
model in train mode (fp32, on the CPU) and adds up the bytes of the distinct storages that
autograd keeps for the backward pass (``torch.autograd.graph.saved_tensors_hooks``; a view
counts as the storage it views). Parameters and buffers are left out: their memory is counted
apart (a convolution keeps its weight for the backward pass, but the weight is a parameter,
not an activation). ``peak_cuda_bytes`` runs whole training steps on a GPU and returns
``torch.cuda.max_memory_allocated``. The tests and ``bench/memory.py`` call them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnstudio.compiler import build_model
from cnnstudio.core.graph import Graph
from cnnstudio.core.shapes import analyse


def _batch(graph: Graph, batch_size: int, device: str = "cpu") -> tuple[torch.Tensor,
                                                                         torch.Tensor]:
    a = analyse(graph)
    shape = a.input_shape
    classes = (a.output_shape or (1,))[0]
    assert shape is not None
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch_size, *shape, generator=generator).to(device)
    y = torch.randint(0, classes, (batch_size,), generator=generator).to(device)
    return x, y


def saved_bytes(graph: Graph, batch_size: int = 2, precision: str = "fp32") -> int:
    """Bytes of the distinct tensors one training step keeps for backward (CPU; bf16:
    under autocast)."""
    torch.manual_seed(0)
    model = build_model(graph, for_training=True).train()
    skip = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    x, y = _batch(graph, batch_size)
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in skip:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    amp = torch.autocast("cpu", torch.bfloat16, enabled=precision == "bf16")
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), amp:
        logits = model(x)
        loss = F.cross_entropy(logits.flatten(1), y)
    loss.backward()
    return sum(seen.values())


def peak_cuda_bytes(graph: Graph, batch_size: int, precision: str = "fp32",
                    optimizer: str = "adam", steps: int = 2) -> int:
    """``torch.cuda.max_memory_allocated`` over ``steps`` training steps on the GPU."""
    from cnnstudio.training.config import TrainConfig
    from cnnstudio.training.optim import build_optimizer

    device = torch.device("cuda")
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    model = build_model(graph, for_training=True).to(device).train()
    opt = build_optimizer(model.parameters(), TrainConfig(optimizer=optimizer), device)
    x, y = _batch(graph, batch_size, "cuda")
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=dtype or torch.float32, enabled=dtype is not None):
            loss = F.cross_entropy(model(x).flatten(1).float(), y)
        loss.backward()
        opt.step()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() - base
    del model, opt, x, y, loss
    torch.cuda.empty_cache()
    return int(peak)
