"""The neutral form every reader produces: ``Op``, and the errors of an import.

An ``Op`` is one future node: a catalogue kind (``Conv2d``), its parameters, the names of the
ops that feed it (in port order) and its tensors as numpy arrays, keyed as the compiler keys
them inside a node (``weight``, ``bias``, ``running_mean``, ...). A few internal kinds exist
only until ``passes.simplify`` has run: ``Passthrough`` (the value of its input: Identity,
eval-mode stochastic depth, a concat of one tensor), ``Permute`` (``dims`` in params),
``Neg`` and ``Pad`` (``pads`` top, bottom, left, right and ``value``). ``where`` says where
the op came from (a module path, an ONNX node), for messages. The model's input is an op
of kind ``Input``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: kinds that exist only inside the importer
INTERNAL = frozenset({"Passthrough", "Permute", "Neg", "Pad"})


@dataclass
class Op:
    name: str
    kind: str
    inputs: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    group: str | None = None
    where: str = ""
    #: the output's shape with the batch axis, where the reader knows it
    shape: tuple[int, ...] | None = None
    #: reader hints for the passes (``axis``: "last" for a LayerNorm / Linear over the last axis)
    extra: dict[str, Any] = field(default_factory=dict)


class ModelImportError(ValueError):
    """A model that cannot be imported; the message names the file, op or node."""


@dataclass(frozen=True)
class Unsupported:
    """One op with no layer kind: what it is and where it sits."""

    op: str
    where: str
    why: str = ""

    def text(self) -> str:
        return f"{self.op} at {self.where}" + (f" ({self.why})" if self.why else "")


class UnsupportedOpsError(ModelImportError):
    """Every op of a model that has no layer kind, in one message."""

    def __init__(self, source: str, items: list[Unsupported]) -> None:
        self.source = source
        self.items = items
        listed = "; ".join(i.text() for i in items[:12])
        more = f"; and {len(items) - 12} more" if len(items) > 12 else ""
        n = len(items)
        super().__init__(f"{source}: {n} operation{'s' if n != 1 else ''} with no layer kind "
                         f"in CNN Studio: {listed}{more}. Nothing was imported.")


def padding(pair: tuple[int, int]) -> Any:
    """A symmetric padding as the catalogue writes it: ``valid`` for none."""
    return "valid" if tuple(pair) == (0, 0) else (int(pair[0]), int(pair[1]))
