"""Receptive-field arithmetic along one axis: the rules each layer kind declares.

Definition (one axis, in input-image pixels, on an image without borders):

- ``size``: the span of the input pixels one output pixel depends on, first to last (a
  dilated kernel leaves holes inside the span; they are counted).
- ``jump``: how far apart, in input pixels, the fields of two neighbouring output pixels are
  (0: every output pixel has the same field, as after global pooling).
- ``start``: the input coordinate of the first pixel of output pixel 0's field; negative when
  the field reaches into padding. Output pixel ``i`` sees ``start + i*jump`` to
  ``start + i*jump + size - 1``; its centre is ``start + i*jump + (size - 1) / 2``.

A window (kernel ``k``, stride ``s``, dilation ``d``, ``p`` padding pixels before) maps
``(size, jump, start)`` to ``(size + d*(k-1)*jump, jump*s, start - p*jump)``. A rule gets the
fields of its inputs along one axis, their lengths along it (None for a flat vector), the
node's parameters and the axis (0 height, 1 width), and returns the node's field.
``exact`` is False where one (size, jump, start) can only bound the truth (an adaptive pool
whose bins differ in size, a merge of inputs whose fields step differently).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Field:
    """A receptive field along one axis (see the module docstring)."""

    size: int
    jump: int
    start: int
    exact: bool = True

    @property
    def end(self) -> int:
        """The last input pixel of output pixel 0's field."""
        return self.start + self.size - 1


#: the Input node's pixels: each sees itself
PIXEL = Field(1, 1, 0)

FieldRule = Callable[[list[Field], list[int | None], Mapping[str, Any], int], Field]


def identity(fields: list[Field], sizes: list[int | None], p: Mapping[str, Any],
             axis: int) -> Field:
    """Element-wise kinds (activations, normalisation, dropout): the input's field."""
    return fields[0]


def slide(f: Field, k: int, s: int, before: int, d: int = 1) -> Field:
    """A window of ``k`` taps ``d`` apart, stepping ``s``, with ``before`` padding pixels."""
    return Field(f.size + d * (k - 1) * f.jump, f.jump * s, f.start - before * f.jump, f.exact)


def windowed(dilated: bool) -> FieldRule:
    """Convolutions (``dilated``) and window pools: kernel, stride, padding (and dilation)."""
    def rule(fields: list[Field], sizes: list[int | None], p: Mapping[str, Any],
             axis: int) -> Field:
        k, s = p["kernel"][axis], p["stride"][axis]
        d = p["dilation"][axis] if dilated else 1
        pad = p["padding"]
        if pad == "valid":
            before = 0
        elif pad == "same":
            from cnnstudio.core.layers.window import same_pads  # window imports spec

            before = same_pads(sizes[0] or 1, k, s, d)[0]
        else:
            before = pad[axis]
        return slide(fields[0], k, s, before, d)

    return rule


def border(sign: int, key: str) -> FieldRule:
    """ZeroPad2d (``sign`` 1) and Cropping2d (-1): top / left pixels move the start."""
    def rule(fields: list[Field], sizes: list[int | None], p: Mapping[str, Any],
             axis: int) -> Field:
        f = fields[0]
        before = p[key][0 if axis == 0 else 2]
        return replace(f, start=f.start - sign * before * f.jump)

    return rule


def whole(fields: list[Field], sizes: list[int | None], p: Mapping[str, Any],
          axis: int) -> Field:
    """Global pooling, Flatten, Dense: every value sees the whole input map (a vector input
    already does)."""
    f, n = fields[0], sizes[0]
    if n is None:
        return f
    return Field(f.size + (n - 1) * f.jump, 0, f.start, f.exact)


def adaptive(fields: list[Field], sizes: list[int | None], p: Mapping[str, Any],
             axis: int) -> Field:
    """Adaptive pools: PyTorch's bins ``floor(i*n/out)`` to ``ceil((i+1)*n/out)``; equal bins
    are a window (kernel = stride = n / out), unequal ones are bounded by the largest."""
    n, out = sizes[0] or 1, p["output_size"][axis]
    if n % out == 0:
        return slide(fields[0], n // out, n // out, 0)
    largest = max(-(-(i + 1) * n // out) - i * n // out for i in range(out))
    f = slide(fields[0], largest, max(n // out, 1), 0)
    return replace(f, exact=False)


def merge(fields: list[Field], sizes: list[int | None], p: Mapping[str, Any],
          axis: int) -> Field:
    """Add, Concat, Multiply: each output pixel sees the union of its inputs' fields, so the
    largest field wins. Inputs of length 1 broadcast (squeeze-excitation's C x 1 x 1): their
    field is the same for every output pixel."""
    n_out = max((n for n in sizes if n is not None), default=None)
    along = [n_out is not None and n_out > 1 and n == n_out for n in sizes]
    moving = [f for f, m in zip(fields, along, strict=True) if m]
    fixed = [f for f, m in zip(fields, along, strict=True) if not m]
    start = min(f.start for f in fields)
    end = max(f.end for f in fields)
    exact = all(f.exact for f in fields)
    if not moving:
        return Field(end - start + 1, max(f.jump for f in fields), start, exact)
    jumps = {f.jump for f in moving}
    jump = max(jumps)
    exact = exact and len(jumps) == 1
    if fixed:
        assert n_out is not None
        last = max(f.end for f in moving) + (n_out - 1) * jump
        if min(f.start for f in fixed) <= start and max(f.end for f in fixed) >= last:
            return Field(end - start + 1, 0, start, exact)  # the broadcast field holds all
        exact = False
    return Field(end - start + 1, jump, start, exact)
