"""What each layer kind keeps for the backward pass: the rules of the memory estimate.

Training keeps, from the forward pass until the backward pass has used them, the tensors
each operation needs to compute its gradients (what ``torch.autograd.graph.
saved_tensors_hooks`` sees). Each kind's declaration says which (``LayerSpec.saves``, in
``cnnstudio.core.layers``), in a small vocabulary;
``cnnstudio.core.memory`` turns them into bytes, counting a tensor kept by two nodes once
(a ReLU keeps its output, and the convolution after it keeps the same tensor as its input).

Words of the vocabulary:

- ``input``: every input, as the operation receives it (after the node's own extra 'same'
  padding, which makes a padded copy);
- ``output``: the node's output;
- ``view``: the output is a view of the input (no new memory, nothing kept);
- ``copy``: a new tensor the size of the input (MinPool's negated input, LocalResponseNorm's
  intermediates, Dropout's mask on the CPU);
- ``indices``: int64 positions, one per output value (max pools);
- ``mid``: SeparableConv2d's depthwise result (input channels x depth multiplier, output size);
- ``channel_stats``: two float32 per channel, whatever the batch (BatchNorm's mean, inverse std);
- ``position_stats``: two float32 per position of each sample (LayerNorm's mean, inverse std);
- ``channel_noise``: one value per channel of each sample (Dropout2d).

A fused activation (the ``activation`` parameter of Conv2d, Dense, ...) keeps what the
activation kind of that name keeps (``fused_rule``). The rules were read off PyTorch 2.14
(``tests/training/test_memory_measured.py`` holds them against it for every preset).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnnstudio.core.layers import LAYERS

WORDS = ("input", "output", "view", "copy", "indices", "mid", "channel_stats",
         "position_stats", "channel_noise")


def rule(kind: str, params: Mapping[str, Any]) -> tuple[str, ...]:
    """The words of ``kind`` with these parameters (KeyError for an unknown kind or one
    that does not declare them)."""
    r = LAYERS[kind].saves
    if r is None:
        raise KeyError(f"{kind} does not declare what it saves for backward")
    return r(params) if callable(r) else r


def fused_rule(activation: str) -> tuple[str, ...]:
    """What a fused activation (``relu``, ``leaky_relu``, ...) keeps: its kind's rule."""
    if activation == "none":
        return ()
    key = activation.replace("_", "")
    for kind in LAYERS:
        if kind.lower() == key:
            return rule(kind, {})
    raise KeyError(activation)
