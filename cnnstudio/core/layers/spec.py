"""How a layer kind is declared: its parameters as data, and its shape rule.

A ``LayerSpec`` is declared once per kind (see the sibling modules) and is the single source
for the inspector form, the project-file validator, the JSON Schema and the shape engine.
A shape rule takes the input shapes (channels-first, without the batch) and the node's
parameters and returns a ``Result``, or raises ``ShapeProblem`` with a message a student
understands, the arithmetic with the numbers filled in, and a suggested fix.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cnnstudio.core.layers import fields

Shape = tuple[int, ...]

#: Upper bound for any size-like parameter; larger values are refused as absurd.
MAX_SIZE = 65536

ACTIVATIONS = (
    "none",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "hardswish",
    "hardsigmoid",
    "sigmoid",
    "tanh",
    "softmax",
)


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a layer kind.

    ``type`` is one of: ``int``, ``float``, ``bool``, ``choice`` (one of ``choices``),
    ``pair`` (an int or two ints, height then width), ``padding`` (``valid``, ``same``, an int
    or a pair), ``pad4`` (an int, a pair (vertical, horizontal) or four ints top, bottom,
    left, right). Values are normalised by ``coerce``: pairs become tuples.
    """

    name: str
    type: str
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()

    def coerce(self, value: Any) -> Any:
        """Return the normalised value, or raise ``ValueError`` saying what is accepted."""
        t = self.type
        if t == "int":
            return self._int(value)
        if t == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{self.name} must be a number, got {value!r}")
            v = float(value)
            if not math.isfinite(v):
                raise ValueError(f"{self.name} must be finite, got {value!r}")
            self._check_range(v)
            return v
        if t == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{self.name} must be true or false, got {value!r}")
            return value
        if t == "choice":
            if value not in self.choices:
                raise ValueError(
                    f"{self.name} must be one of {', '.join(self.choices)}; got {value!r}"
                )
            return value
        if t == "pair":
            return self._pair(value)
        if t == "padding":
            if value in ("valid", "same"):
                return value
            if isinstance(value, str):
                raise ValueError(
                    f"{self.name} must be 'valid', 'same', an int or two ints; got {value!r}"
                )
            return self._pair(value)
        if t == "pad4":
            if isinstance(value, list | tuple) and len(value) == 4:
                return tuple(self._int(v) for v in value)
            h, w = self._pair(value)
            return (h, h, w, w)
        raise AssertionError(f"unknown parameter type {t}")

    def _int(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ValueError(f"{self.name} must be a whole number, got {value!r}")
        self._check_range(value)
        return int(value)

    def _pair(self, value: Any) -> tuple[int, int]:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"{self.name} must be an int or two ints, got {value!r}")
            return (self._int(value[0]), self._int(value[1]))
        v = self._int(value)
        return (v, v)

    def _check_range(self, v: float) -> None:
        if self.min is not None and v < self.min:
            raise ValueError(f"{self.name} must be at least {_num(self.min)}, got {_num(v)}")
        if self.max is not None and v > self.max:
            raise ValueError(f"{self.name} must be at most {_num(self.max)}, got {_num(v)}")

    def to_json(self, value: Any) -> Any:
        """The JSON form of a normalised value (tuples become lists)."""
        return list(value) if isinstance(value, tuple) else value


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


class ShapeProblem(Exception):
    """Raised by a shape rule: what is wrong, the arithmetic, and what to do."""

    def __init__(
        self, message: str, formula: str = "", fix: str = "", port: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.formula = formula
        self.fix = fix
        self.port = port


@dataclass(slots=True)
class Result:
    """What a shape rule returns for one node."""

    shape: Shape
    params: int = 0
    keras_params: int | None = None  # None: same as params
    mult_adds: int = 0
    explanation: list[str] = field(default_factory=list)
    #: parameters that are not trained even when the node is trainable (none so far in
    #: PyTorch's convention; Keras' BatchNorm moving statistics are counted apart)
    keras_non_trainable: int = 0


Rule = Callable[[list[Shape], Mapping[str, Any]], Result]


#: what a kind keeps for backward: words of ``core.saved.WORDS``, or a function of the params
SavedRule = tuple[str, ...] | Callable[[Mapping[str, Any]], tuple[str, ...]]


@dataclass(frozen=True)
class LayerSpec:
    """A layer kind: parameters, input count, category, and its shape rule.

    ``inputs`` is the number of input ports; ``-1`` means the node's ``inputs`` parameter
    sets it (merge nodes: Add, Concat, Multiply). The flags below say what the back ends and
    tools need to know about a kind, so that no list of kind names is kept anywhere else:

    - ``conv``: a convolution; its weights are spatial kernels (lowered with the convolution
      padding rules; the inspection shows the first one's kernels as filters).
    - ``window_pool``: a pool over kernel / stride / padding windows.
    - ``merge``: how a merge node joins its inputs (``add``, ``concat``, ``multiply``).
    - ``classifier_param``: the parameter that sets the number of classes when the node is
      a network's classifier (``units`` of Dense, ``filters`` of a 1x1 Conv2d).
    - ``after_classifier``: may follow the classifier at the end of a network, keeping the
      number of classes (retargeting walks back through it to find the classifier).
    - ``receptive``: its receptive-field rule along one axis (``fields.py``).
    - ``saves``: what it keeps for the backward pass, in ``core.saved``'s words (or a function
      of the parameters giving them); the memory estimate counts them.
    - ``keras``: the Keras class that prints for it in a Keras summary (empty: the kind).
    """

    kind: str
    category: str
    help: str
    rule: Rule
    params: tuple[ParamSpec, ...] = ()
    inputs: int = 1
    prefix: str = ""
    has_weights: bool = False
    conv: bool = False
    window_pool: bool = False
    merge: str = ""
    classifier_param: str = ""
    after_classifier: bool = False
    receptive: fields.FieldRule = fields.identity
    keras: str = ""
    saves: SavedRule | None = None  # None: not declared (a test requires it of every kind)

    def param(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.coerce(p.default) for p in self.params}

    def input_count(self, params: Mapping[str, Any]) -> int:
        return int(params["inputs"]) if self.inputs < 0 else self.inputs


def fmt_shape(shape: Shape) -> str:
    """``(64, 28, 28)`` as ``64x28x28``; a flat ``(120,)`` as ``120``."""
    return "x".join(str(d) for d in shape)


def need_map(shapes: list[Shape], kind: str, fix: str = "") -> tuple[int, int, int]:
    """The single input as (C, H, W), or a ShapeProblem for a flat input."""
    s = shapes[0]
    if len(s) != 3:
        raise ShapeProblem(
            f"{kind} needs a feature map (channels x height x width) but gets a flat vector "
            f"of {fmt_shape(s)} values.",
            fix=fix or f"Move {kind} before the Flatten / Dense layers.",
        )
    return s[0], s[1], s[2]
