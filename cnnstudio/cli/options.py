"""Argument types that refuse impossible values while parsing, naming the option.

``number(int, 1, 10_000)`` or ``number(float, 0, 1, high_open=True)`` make argparse types:
the value must parse, be finite (``1e400`` is infinity), and lie in the range; argparse then
reports ``argument --val-split: must be in [0, 1), got 1.5``. ``augmentation`` checks one
``--augment`` spec (cnnstudio.training.augment_spec) without importing torch.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from cnnstudio.training.augment_spec import parse_augment


def number(kind: type[int] | type[float], low: float, high: float, *, low_open: bool = False,
           high_open: bool = False) -> Callable[[str], float]:
    """An argparse type for ``kind`` values in [low, high] (ends open when told)."""
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    span = f"{left}{low:g}, {high:g}{right}"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            name = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {name} in {span}, got {text!r}") from None
        inside = (low < value if low_open else low <= value) and (
            value < high if high_open else value <= high)
        if not (math.isfinite(value) and inside):
            raise argparse.ArgumentTypeError(f"must be in {span}, got {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in some messages
    return parse


def augmentation(text: str) -> str:
    """One ``--augment`` spec, checked (name, number, range)."""
    try:
        parse_augment([text])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text
