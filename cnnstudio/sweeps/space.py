"""A sweep's search space, checked against the declared training options (torch-free).

``parse_param("lr=1e-4:1e-2:log")`` reads one ``--param``: ``NAME`` is a declared training
option (cnnstudio.training.options, e.g. ``lr`` or ``batch_size``; ``batch-size`` works too)
whose kind is int, float, choice or bool; the values are a range ``lo:hi`` or ``lo:hi:log``
(int and float options; whole numbers for an int option) or a list ``a,b,c``. Every value
must lie in the option's declared range or choices; ``ParamError`` says why not in one line
naming the ``--param``. ``check_space`` checks a whole space against a strategy: the names
differ, something varies, and ``grid`` takes lists (and int ranges, which it enumerates).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from cnnstudio.training.options import BY_NAME, TrainOption

STRATEGIES = ("grid", "random", "tpe")
#: the per-epoch metric a sweep optimises -> the Optuna direction
METRICS = {"val_accuracy": "maximize", "val_loss": "minimize"}
#: the option kinds a sweep can vary
SWEEPABLE = ("int", "float", "choice", "bool")
#: the most combinations a grid may have (and values an int range may give a grid)
MAX_GRID = 10_000
BOOLS = {"true": True, "on": True, "yes": True, "1": True,
         "false": False, "off": False, "no": False, "0": False}


class ParamError(ValueError):
    """A ``--param`` (or a space) that cannot be swept; the message names it."""


@dataclass(frozen=True)
class SweepParam:
    """One swept setting: a list of values, or a range (``low``..``high``, maybe log)."""

    name: str  # the TrainConfig field
    values: tuple[Any, ...] = ()  # a list
    low: float | None = None  # a range
    high: float | None = None
    log: bool = False
    text: str = field(default="", compare=False)  # as given, for messages

    @property
    def option(self) -> TrainOption:
        return BY_NAME[self.name]

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def grid_values(self) -> list[Any]:
        """The values a grid takes: the list, or every whole number of an int range."""
        if not self.is_range:
            return list(self.values)
        assert self.low is not None and self.high is not None
        return list(range(int(self.low), int(self.high) + 1))

    def describe(self) -> str:
        if self.is_range:
            return f"{self.name}={self.low:g}:{self.high:g}{':log' if self.log else ''}"
        return f"{self.name}={','.join(format_value(v) for v in self.values)}"

    def to_dict(self) -> dict[str, Any]:
        if self.is_range:
            return {"name": self.name, "type": self.option.kind, "low": self.low,
                    "high": self.high, "log": self.log}
        return {"name": self.name, "type": self.option.kind, "values": list(self.values)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepParam:
        """The inverse of ``to_dict``, checked as ``parse_param`` checks (ParamError)."""
        name = data.get("name")
        if "values" in data and isinstance(data["values"], list):
            text = ",".join(format_value(v) for v in data["values"])
        else:
            text = f"{data.get('low')}:{data.get('high')}{':log' if data.get('log') else ''}"
        return parse_param(f"{name}={text}")


def format_value(value: Any) -> str:
    """A value as a table or a command line shows it (``0.001``, ``64``, ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def sweepable_options() -> list[TrainOption]:
    """The declared options a sweep can vary, in declaration order."""
    return [option for option in BY_NAME.values() if option.kind in SWEEPABLE]


def _number(option: TrainOption, text: str, given: str, checked: bool = True) -> float:
    """``text`` as the option's kind of number; in its range when ``checked``."""
    kind = "a whole number" if option.kind == "int" else "a number"
    try:
        value: float = int(text) if option.kind == "int" else float(text)
    except ValueError:
        raise ParamError(f"--param {given}: {text!r} is not {kind} ({option.name} takes "
                         f"{kind} in {option.span()})") from None
    if checked and not option.inside(value):
        raise ParamError(f"--param {given}: {text} is out of the range of {option.name} "
                         f"{option.span()}")
    return value


def _value(option: TrainOption, text: str, given: str) -> Any:
    if option.ranged:
        return _number(option, text, given)
    if option.kind == "bool":
        if text.lower() not in BOOLS:
            raise ParamError(f"--param {given}: {text!r} is not true or false")
        return BOOLS[text.lower()]
    if text not in option.choices:
        raise ParamError(f"--param {given}: {text!r} is not one of {option.name}'s choices "
                         f"({', '.join(option.choices)})")
    return text


def parse_param(text: str) -> SweepParam:
    """One ``NAME=lo:hi[:log]`` or ``NAME=a,b,c``, checked against the option's declaration."""
    given = text.strip()
    name, sep, values = given.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not name:
        raise ParamError(f"--param {given}: expected NAME=lo:hi[:log] or NAME=a,b,c "
                         "(e.g. lr=1e-4:1e-2:log or batch_size=64,128)")
    option = BY_NAME.get(name)
    names = ", ".join(o.name for o in sweepable_options())
    if option is None:
        raise ParamError(f"--param {given}: {name} is not a training option; a sweep can vary "
                         f"{names}")
    if option.kind not in SWEEPABLE:
        raise ParamError(f"--param {given}: {name} ({option.kind}) cannot be swept; a sweep "
                         f"can vary {names}")
    values = values.strip()
    if ":" in values:
        return _range(option, values, given)
    items = [item.strip() for item in values.split(",")]
    if not values or any(not item for item in items):
        raise ParamError(f"--param {given}: an empty value; give a,b,c or lo:hi")
    parsed: list[Any] = []
    for item in items:
        value = _value(option, item, given)
        if value not in parsed:
            parsed.append(value)
    return SweepParam(option.name, tuple(parsed), text=given)


def _range(option: TrainOption, values: str, given: str) -> SweepParam:
    parts = [part.strip() for part in values.split(":")]
    log = len(parts) == 3 and parts[2].lower() == "log"
    if len(parts) not in (2, 3) or (len(parts) == 3 and not log):
        raise ParamError(f"--param {given}: a range is lo:hi or lo:hi:log")
    if not option.ranged:
        raise ParamError(f"--param {given}: {option.name} takes a list of values "
                         f"({', '.join(option.choices) or 'true,false'}), not a range")
    low, high = (_number(option, part, given, checked=False) for part in parts[:2])
    if not low < high:
        raise ParamError(f"--param {given}: empty range ({parts[0]} is not below {parts[1]})")
    low, high = (_number(option, part, given) for part in parts[:2])
    if log and low <= 0:
        raise ParamError(f"--param {given}: a log range needs lo above 0")
    return SweepParam(option.name, low=low, high=high, log=log, text=given)


def check_space(space: list[SweepParam], strategy: str) -> None:
    """Refuse a space ``strategy`` cannot sweep (ParamError naming the ``--param``)."""
    if strategy not in STRATEGIES:
        raise ParamError(f"--strategy {strategy}: choose {', '.join(STRATEGIES)}")
    if not space:
        raise ParamError("give at least one --param NAME=... to sweep")
    seen: set[str] = set()
    for param in space:
        if param.name in seen:
            raise ParamError(f"--param {param.text or param.describe()}: {param.name} is given "
                             "twice")
        seen.add(param.name)
        if strategy == "grid" and param.is_range and (
                param.option.kind != "int" or param.log):
            raise ParamError(f"--param {param.text or param.describe()}: a grid takes lists "
                             "(a,b,c) or whole-number ranges; use --strategy random or tpe "
                             "for this range")
        if strategy == "grid" and len(param.grid_values()) > MAX_GRID:
            raise ParamError(f"--param {param.text or param.describe()}: more than {MAX_GRID} "
                             "values for a grid")
    if not any(p.is_range or len(p.values) > 1 for p in space):
        raise ParamError("nothing varies: give a range or at least two values to a --param")
    if strategy == "grid" and grid_size(space) > MAX_GRID:
        raise ParamError(f"the grid has {grid_size(space)} combinations (at most {MAX_GRID}): "
                         "give fewer values, or use --strategy random or tpe with --trials")


def grid_size(space: list[SweepParam]) -> int:
    size = 1
    for param in space:
        size *= len(param.grid_values())
    return size


def grid(space: list[SweepParam]) -> list[dict[str, Any]]:
    """Every combination, the first parameter varying slowest (the order of the trials)."""
    names = [p.name for p in space]
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(p.grid_values() for p in space))]


def candidate_values(param: SweepParam) -> list[Any]:
    """The values whose settings are checked before a sweep starts: a list's values, a
    range's ends."""
    return list(param.values) if not param.is_range else [param.low, param.high]
