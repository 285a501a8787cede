"""Argument types that refuse impossible values while parsing, naming the option.

``number(int, 1, 10_000)`` or ``number(float, 0, 1, high_open=True)`` make argparse types:
the value must parse, be finite (``1e400`` is infinity), and lie in the range; argparse then
reports ``argument --val-split: must be in [0, 1), got 1.5``. ``augmentation`` checks one
``--augment`` spec (cnnstudio.training.augment_spec) without importing torch.
``train_argument(option)`` turns a declared training option (cnnstudio.training.options) into
``add_argument``'s keywords, with these types, so ``cnnstudio train`` refuses what the
declaration refuses.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from cnnstudio.training.augment_spec import parse_augment
from cnnstudio.training.options import DEVICES, TrainOption, is_device_name


def number(kind: type[int] | type[float], low: float, high: float, *, low_open: bool = False,
           high_open: bool = False) -> Callable[[str], float]:
    """An argparse type for ``kind`` values in [low, high] (ends open when told)."""
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    ends = (f"{int(low)}", f"{int(high)}") if kind is int else (f"{low:g}", f"{high:g}")
    span = f"{left}{ends[0]}, {ends[1]}{right}"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            name = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {name} in {span}, got {text!r}") from None
        inside = (low < value if low_open else low <= value) and (
            value < high if high_open else value <= high)
        if not ((kind is int or math.isfinite(value)) and inside):
            raise argparse.ArgumentTypeError(f"must be in {span}, got {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in some messages
    parse.range = (low, high, low_open, high_open)  # type: ignore[attr-defined]
    return parse


def augmentation(text: str) -> str:
    """One ``--augment`` spec, checked (name, number, range)."""
    try:
        parse_augment([text])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def device(text: str) -> str:
    """A device name: auto, cpu, cuda, cuda:N or mps (whether it is present is checked when
    training starts, naming the devices there are)."""
    if not is_device_name(text):
        raise argparse.ArgumentTypeError(
            f"expected one of {', '.join(DEVICES)} or cuda:N, got {text!r}")
    return text


def text_type(option: TrainOption) -> Callable[[str], str]:
    """An argparse type for a text option, refusing what the declaration refuses."""
    def parse(text: str) -> str:
        why = option.problem(text)
        if why:
            raise argparse.ArgumentTypeError(why)
        return text

    parse.__name__ = "text"
    return parse


def train_argument(option: TrainOption) -> dict[str, Any]:
    """``add_argument`` keywords for ``option`` (its flag is the first argument; the default
    is left to the caller)."""
    default = option.default
    shown = " ".join(default) if isinstance(default, list) else default
    metavar = option.metavar or option.flag[2:].upper().replace("-", "_")
    words: dict[str, Any] = {"dest": option.name, "metavar": metavar}
    if option.kind in ("int", "float"):
        kind = int if option.kind == "int" else float
        words["type"] = number(kind, option.low, option.high, low_open=option.low_open,
                               high_open=option.high_open)
        extra = f"{option.span()}, default {shown}"
    elif option.kind == "bool":
        words = {"dest": option.name, "action": "store_true"}
        extra = "default off"
    elif option.kind == "choice":
        words |= {"choices": option.choices, "metavar": None}
        extra = f"default {shown}"
    elif option.kind == "device":
        words["type"] = device
        words["metavar"] = "{" + ",".join(DEVICES) + ",cuda:N}"
        extra = f"default {shown}"
    elif option.kind == "text":
        words["type"] = text_type(option)
        extra = f"default {shown or option.placeholder}"
    else:
        words |= {"nargs": "*", "type": augmentation}
        extra = f"default {shown or 'none'}"
    words["help"] = f"{option.help} ({extra})"
    return words
