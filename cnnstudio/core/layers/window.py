"""Sliding-window arithmetic shared by convolutions and pools, with its explanation.

``valid`` and explicit padding follow PyTorch: out = floor((in + 2p - d(k-1) - 1) / s) + 1
(``ceil`` in ceil mode, dropping a last window that would start in the right padding).
``same`` follows Keras: out = ceil(in / s), with the odd pad going to the bottom/right.
"""

from __future__ import annotations

import math
from typing import Any

from cnnstudio.core.layers.spec import ShapeProblem


def same_pads(n: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """Keras ``same`` padding along one axis: (before, after), the extra one after."""
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def window(
    axis: str,
    n: int,
    k: int,
    s: int,
    padding: Any,
    index: int,
    d: int = 1,
    ceil_mode: bool = False,
    pool: bool = False,
) -> tuple[int, str]:
    """Output size along one axis and its explanation; ``index`` 0 is height, 1 width."""
    name = f"{axis}_out"
    if padding == "same":
        out = -(-n // s)
        before, after = same_pads(n, k, s, d)
        return out, f"{name} = ceil({n} / {s}) = {out}  (same: pad {before} before, {after} after)"
    p = 0 if padding == "valid" else padding[index]
    eff = d * (k - 1) + 1
    if pool and p > k // 2:
        raise ShapeProblem(
            f"Padding {p} is more than half the {k}-wide pooling window along {axis}.",
            formula=f"padding {p} > kernel {k} // 2 = {k // 2}",
            fix=f"Use padding at most {k // 2}, or padding 'same'.",
        )
    span = n + 2 * p - eff
    rounding = "ceil" if ceil_mode else "floor"
    if d == 1:
        expr = f"({n} - {k} + 2*{p}) / {s}"
    else:
        expr = f"({n} + 2*{p} - {d}*({k}-1) - 1) / {s}"
    # torch lets a ceil-mode window overhang the input by up to stride - 1 pixels
    if span < 0 and not (ceil_mode and -(-span // s) >= 0):
        raise ShapeProblem(
            f"The kernel ({eff} along {axis}) is larger than its input ({n}"
            + (f" + 2*{p} padding" if p else "")
            + ").",
            formula=f"{name} = {rounding}({expr}) + 1 = {math.floor(span / s) + 1}",
            fix="Use a smaller kernel, padding 'same', or fewer downsampling layers "
            "upstream so the feature map stays larger.",
        )
    out = (-(-span // s) if ceil_mode else span // s) + 1
    text = f"{name} = {rounding}({expr}) + 1 = {out}"
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
        text += f" - 1 = {out}  (the last window would start in the padding)"
    return out, text
