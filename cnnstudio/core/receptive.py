"""Each node's receptive field: which input pixels one of its output pixels depends on.

``receptive_fields(analysis)`` walks the shape engine's order and applies each kind's rule
(``LayerSpec.receptive``, arithmetic in ``layers/fields.py``) along the height and the width,
starting from the Input node (each pixel sees itself: size 1, jump 1, start 0). The
definition of size, jump and start is in ``layers/fields.py``; in short, output pixel ``i``
of a node sees input rows ``start + i*jump`` to ``start + i*jump + size - 1`` (rows outside
the image are padding). A flat vector (after Flatten, Dense or global pooling) sees the whole
input map: jump 0. A node without a shape, or fed by one, has no field (None).
The summary, the inspector and ``cnnstudio summary --json`` show these numbers;
tests/compiler/test_receptive_torch.py checks them against the gradient of real networks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cnnstudio.core.layers.fields import PIXEL, Field
from cnnstudio.core.shapes import Analysis


@dataclass(frozen=True, slots=True)
class ReceptiveField:
    """A node's receptive field along the height (``h``) and the width (``w``)."""

    h: Field
    w: Field

    @property
    def exact(self) -> bool:
        return self.h.exact and self.w.exact

    def text(self) -> str:
        """``7x7, jump 2, start -3`` (``7x5, jump 2x1, start -3,-2`` when the axes differ);
        ``~`` before the size when the numbers are a bound."""
        size = _pair(self.h.size, self.w.size, "x")
        jump = _pair(self.h.jump, self.w.jump, "x")
        start = _pair(self.h.start, self.w.start, ",")
        return f"{'' if self.exact else '~'}{size}, jump {jump}, start {start}"

    def to_dict(self) -> dict[str, Any]:
        return {"size": [self.h.size, self.w.size], "jump": [self.h.jump, self.w.jump],
                "start": [self.h.start, self.w.start], "exact": self.exact}


def field_text(d: Mapping[str, Any] | None) -> str:
    """``ReceptiveField.text`` of a ``to_dict`` form (the summary's rows); ``-`` for None."""
    if d is None:
        return "-"
    h, w = (Field(d["size"][i], d["jump"][i], d["start"][i], d["exact"]) for i in (0, 1))
    return ReceptiveField(h, w).text()


def _pair(a: int, b: int, sep: str) -> str:
    return str(a) if a == b else f"{a}{sep}{b}"


def receptive_fields(a: Analysis) -> dict[str, ReceptiveField | None]:
    """Node id -> its receptive field (None where a shape is missing), in ``a.order``."""
    out: dict[str, ReceptiveField | None] = {}
    for nid in a.order:
        info = a.infos.get(nid)
        ok = info is not None and info.shape is not None
        out[nid] = _field(a, nid, out) if ok else None
    return out


def _field(a: Analysis, nid: str,
           done: dict[str, ReceptiveField | None]) -> ReceptiveField | None:
    node = a.graph.nodes[nid]
    if node.kind == "Input":
        return ReceptiveField(PIXEL, PIXEL)
    fields: list[ReceptiveField] = []
    lengths: list[tuple[int, int] | None] = []
    for edge in a.graph.inputs_of(nid):
        src = done.get(edge.src) if edge is not None else None
        if edge is None or src is None:
            return None
        shape = a.infos[edge.src].shape or ()
        fields.append(src)
        lengths.append((shape[1], shape[2]) if len(shape) == 3 else None)
    rule = node.spec.receptive
    return ReceptiveField(
        rule([f.h for f in fields], [n[0] if n else None for n in lengths], node.params, 0),
        rule([f.w for f in fields], [n[1] if n else None for n in lengths], node.params, 1))
