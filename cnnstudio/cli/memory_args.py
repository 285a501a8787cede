"""The training-memory options of ``cnnstudio summary`` and the block they print.

The options are the ones ``cnnstudio train`` declares (cnnstudio.training.options: batch
size, precision, optimizer, momentum, device), plus ``--memory-limit``. Giving any of them
adds the estimate of ``cnnstudio.core.memory`` under the table (and a ``memory`` object to
the JSON). The memory compared against is ``--memory-limit`` when given; otherwise the
device's (``training.device.device_memory``: the GPU's, or this machine's for the CPU), which
imports torch. Precision ``auto`` is decided for that device; against a ``--memory-limit`` it
counts as fp32, the largest.
"""

from __future__ import annotations

import argparse
from typing import Any

from cnnstudio.cli.options import train_argument
from cnnstudio.core.memory import LIMIT, estimate, memory_lines, parse_size
from cnnstudio.core.shapes import Analysis
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.options import BY_NAME

OPTIONS = ("batch_size", "precision", "optimizer", "momentum", "device")


def memory_size(text: str) -> int:
    """An argparse type: ``8GiB``, ``512MiB``, ``16GB`` or bytes."""
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_memory_args(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group(
        "training memory", "any of these adds the memory a training step needs (parameters, "
        "gradients, optimiser state, activations) and the largest batch that fits "
        "(docs/memory.md); precision auto is decided for the device, and counts as fp32 "
        "against --memory-limit alone")
    for name in OPTIONS:
        option = BY_NAME[name]
        group.add_argument(option.flag, **train_argument(option), default=None)
    group.add_argument("--memory-limit", type=memory_size, metavar="SIZE", default=None,
                       help="compare with this much memory, e.g. 8GiB (default: the "
                       "device's: the GPU's, or this machine's for the CPU)")


def memory_report(args: argparse.Namespace, a: Analysis) -> tuple[dict[str, Any], list[str]]:
    """(the JSON object, the lines) of the estimate; ({}, []) when no memory option is given.
    ValueError for a design with problems or a missing device."""
    if all(getattr(args, name) is None for name in OPTIONS) and args.memory_limit is None:
        return {}, []
    config = TrainConfig()
    given = {name: getattr(args, name) for name in OPTIONS}
    values = {name: config.__dict__[name] if v is None else v for name, v in given.items()}
    precision = values["precision"]
    if args.memory_limit is not None:
        where, memory = LIMIT, args.memory_limit
        if precision == "auto":
            precision = "fp32"
    else:
        from cnnstudio.training.device import device_memory, precision_on

        where, memory = device_memory(values["device"])
        precision = precision_on(values["device"], precision)
    e = estimate(a, values["batch_size"], precision, values["optimizer"], values["momentum"])
    return e.to_dict(memory, where), memory_lines(e, memory, where)
