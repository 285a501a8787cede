"""The memory estimate (cnnstudio.core.memory) beside measured figures, as the Markdown
table of docs/memory.md. Run by hand: python bench/memory.py [ids ...]

For each preset at its input size: the activations the estimate gives at batch 2 (fp32) and
the bytes autograd really keeps (cnnstudio.training.memory_probe.saved_bytes, CPU), the
whole estimate of a training step at batch 32 with Adam, and the largest batch that fits
8 GiB. With a CUDA GPU, a last column gives torch.cuda.max_memory_allocated at batch 32.
tests/test_docs_memory.py holds the estimate columns of docs/memory.md against the code.
"""

from __future__ import annotations

import sys

import torch

from cnnstudio.core.memory import estimate, fmt_bytes
from cnnstudio.core.presets import build_preset
from cnnstudio.core.shapes import analyse
from cnnstudio.training.memory_probe import peak_cuda_bytes, saved_bytes

PRESETS = ("lenet5", "resnet18", "resnet50", "mobilenet_v2", "efficientnet_b0",
           "convnext_tiny", "densenet121", "vgg16")
GIB = 1024**3


def main(ids: list[str]) -> None:
    gpu = torch.cuda.is_available()
    head = ["Preset", "Input", "Activations, batch 2 (estimate)", "Measured (saved tensors)",
            "Ratio", "Batch 32, Adam, fp32 (estimate)", "Largest batch in 8 GiB"]
    if gpu:
        head.append("Batch 32 (CUDA peak)")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for pid in ids or PRESETS:
        graph = build_preset(pid, layout=False)
        a = analyse(graph)
        two, big = estimate(a, 2), estimate(a, 32)
        measured = saved_bytes(graph, 2)
        shape = "x".join(str(d) for d in a.input_shape or ())
        row = [pid, shape, f"{two.activations:,} B", f"{measured:,} B",
               f"{two.activations / measured:.3f}", fmt_bytes(big.total),
               f"{big.max_batch(8 * GIB):,}"]
        if gpu:
            row.append(fmt_bytes(peak_cuda_bytes(graph, 32)))
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
