"""Augmentation specs as text (``name`` or ``name:value``), checked without torch.

The CLI parser and ``TrainConfig`` check specs here, so a bad one (``crop:-4``,
``erase:7``) is refused naming the option before any data is read; ``augment.py`` applies
them. Each entry: name -> (default value, lowest, highest, what the value is).
"""

from __future__ import annotations

import math

AUGMENTATIONS: dict[str, tuple[float, float, float, str]] = {
    "crop": (4.0, 0.0, 64.0, "pixels of zero padding before the random crop"),
    "hflip": (0.5, 0.0, 1.0, "probability of a horizontal flip"),
    "rotate": (10.0, 0.0, 180.0, "largest rotation in degrees"),
    "jitter": (0.2, 0.0, 1.0, "colour jitter strength"),
    "erase": (0.5, 0.0, 1.0, "probability of erasing a rectangle"),
}


def parse_augment(specs: list[str]) -> list[tuple[str, float]]:
    """``["crop:4", "hflip"]`` -> ``[("crop", 4.0), ("hflip", 0.5)]``; a spec with an unknown
    name or a value that is not a number in range raises ValueError saying what is allowed."""
    out = []
    for spec in specs:
        name, _, text = str(spec).strip().lower().partition(":")
        if name not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation '{spec}' "
                             f"(choose from {', '.join(AUGMENTATIONS)})")
        default, low, high, meaning = AUGMENTATIONS[name]
        try:
            value = float(text) if text else default
        except ValueError:
            raise ValueError(f"augmentation '{spec}': '{text}' is not a number") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(f"augmentation '{spec}': the {meaning} must be between "
                             f"{low:g} and {high:g}")
        if name == "crop" and not value.is_integer():
            raise ValueError(f"augmentation '{spec}': the padding must be a whole number")
        out.append((name, value))
    return out
