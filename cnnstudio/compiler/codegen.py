"""Readable Python for one compiled model: constructor calls and forward lines.

``module_code(module)`` writes the call that builds a module (``nn.Conv2d(1, 32,
kernel_size=3, stride=2)``), leaving out arguments at their defaults; ``forward_lines``
writes one line per node, with the node names as variable names. ``export_python`` puts
them together into model.py. Custom modules (``ops``) are written under their own class
names, whose source model.py carries.

No text from a project file is ever written as code: names reach the generated source only
when ``is_identifier`` accepts them (anything else gets a generated name), text only as a
``repr`` literal (``value``, ``text_literal``), and comments quote text only as its repr
(``comment``), which holds no line break of any kind.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable
from typing import Any

from torch import nn

from cnnstudio.compiler import ops
from cnnstudio.compiler.lowering import Step

#: names the generated forward uses itself; a node with such a name gets a trailing "_"
RESERVED_LOCALS = frozenset({"self", "torch", "nn", "F", "x", "logits"})

ACTIVATION_CODE = {
    "relu": "F.relu({})",
    "relu6": "F.relu6({})",
    "leaky_relu": "F.leaky_relu({})",
    "elu": "F.elu({})",
    "gelu": "F.gelu({})",
    "silu": "F.silu({})",
    "hardswish": "F.hardswish({})",
    "hardsigmoid": "F.hardsigmoid({})",
    "sigmoid": "torch.sigmoid({})",
    "tanh": "torch.tanh({})",
    "softmax": "F.softmax({}, dim=1)",
}


#: the longest line ``text_literal`` writes (the project's ruff line length is 100)
LITERAL_WIDTH = 88


def is_identifier(name: str) -> bool:
    """True for a plain ASCII Python identifier that is not a keyword: safe as a name in code
    (non-ASCII identifiers are refused: Python folds them with NFKC, so two could collide)."""
    return isinstance(name, str) and name.isascii() and name.isidentifier() \
        and not keyword.iskeyword(name)


def comment(text: str) -> str:
    """A ``#`` comment quoting ``text`` by its repr, which never holds a line break."""
    quoted = repr(str(text))
    if not quoted.isprintable():  # repr escapes every non-printable character
        raise ValueError(f"cannot quote {quoted} in a comment")
    return f"# {quoted}"


def text_literal(text: str, indent: str = "    ") -> str:
    """``text`` as a Python string literal: one repr when short, else a parenthesised run of
    reprs, one per line, split after each line break and before ``LITERAL_WIDTH``."""
    whole = repr(text)
    if len(whole) <= LITERAL_WIDTH - 24 and "\n" not in text:
        return whole
    limit = LITERAL_WIDTH - len(indent) - 2
    chunks: list[str] = []
    current: list[str] = []
    width = 0
    for ch in text:
        cost = len(repr(ch)) - 2 + (ch in "'\"")  # escaped length (a quote may be escaped)
        if current and width + cost > limit:
            chunks.append("".join(current))
            current, width = [], 0
        current.append(ch)
        width += cost
        if ch == "\n":
            chunks.append("".join(current))
            current, width = [], 0
    if current or not chunks:
        chunks.append("".join(current))
    return "(\n" + "".join(f"{indent}{c!r}\n" for c in chunks) + ")"


def value(v: Any) -> str:
    """A literal: an equal pair as one int, tuples as tuples, floats as Python writes them."""
    if isinstance(v, tuple | list) and len(v) == 2 and v[0] == v[1] and all(
            isinstance(i, int) for i in v):
        return str(v[0])
    if isinstance(v, tuple):
        return "(" + ", ".join(value(i) for i in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, list):
        return "[" + ", ".join(value(i) for i in v) + "]"
    if isinstance(v, float) and not math.isfinite(v):
        return f'float("{v}")'
    return repr(v)


def call(name: str, *args: Any, **kwargs: tuple[Any, Any]) -> str:
    """``name(args, key=value)`` with each keyword given as (value, default): defaults dropped."""
    parts = [value(a) for a in args]
    for key, (v, default) in kwargs.items():
        if _same(v, default):
            continue
        parts.append(f"{key}={value(v)}")
    return f"{name}({', '.join(parts)})"


def _same(v: Any, default: Any) -> bool:
    if isinstance(default, int) and isinstance(v, tuple | list):
        return all(i == default for i in v)
    return bool(v == default)


def _conv(m: nn.Conv2d) -> str:
    return call("nn.Conv2d", m.in_channels, m.out_channels, kernel_size=(m.kernel_size, None),
                stride=(m.stride, 1), padding=(m.padding, 0), dilation=(m.dilation, 1),
                groups=(m.groups, 1), bias=(m.bias is not None, True))


def _separable(m: ops.SeparableConv2d) -> str:
    d, p = m.depthwise, m.pointwise
    return call("SeparableConv2d", d.in_channels, p.out_channels, d.kernel_size,
                stride=(d.stride, 1), padding=(d.padding, 0), dilation=(d.dilation, 1),
                depth_multiplier=(d.out_channels // d.in_channels, 1),
                bias=(p.bias is not None, True))


def _pool(m: nn.MaxPool2d | nn.AvgPool2d) -> str:
    kwargs: dict[str, tuple[Any, Any]] = {
        "stride": (m.stride, None), "padding": (m.padding, 0), "ceil_mode": (m.ceil_mode, False)}
    if isinstance(m, nn.AvgPool2d):
        kwargs["count_include_pad"] = (m.count_include_pad, True)
    return call(f"nn.{type(m).__name__}", m.kernel_size, **kwargs)


def _norm(m: nn.BatchNorm1d | nn.BatchNorm2d) -> str:
    return call(f"nn.{type(m).__name__}", m.num_features, eps=(m.eps, 1e-5),
                momentum=(m.momentum, 0.1))


WRITERS: dict[type, Callable[[Any], str]] = {
    nn.Conv2d: _conv,
    ops.SeparableConv2d: _separable,
    nn.MaxPool2d: _pool,
    nn.AvgPool2d: _pool,
    ops.MinPool2d: lambda m: call("MinPool2d", m.kernel_size, m.stride, padding=(m.padding, 0),
                                  ceil_mode=(m.ceil_mode, False)),
    ops.AvgPool2dSame: lambda m: (f"AvgPool2dSame({value(m.kernel_size)}, {value(m.stride)}, "
                                  f"{value(m.pads)}, {tuple(m.input_size)})"),
    nn.AdaptiveAvgPool2d: lambda m: call("nn.AdaptiveAvgPool2d", m.output_size),
    ops.AdaptiveMaxPool2d: lambda m: f"AdaptiveMaxPool2d({tuple(m.output_size)})",
    ops.GlobalAvgPool: lambda m: call("GlobalAvgPool", keepdims=(m.keepdims, False)),
    ops.GlobalMaxPool: lambda m: call("GlobalMaxPool", keepdims=(m.keepdims, False)),
    nn.Linear: lambda m: call("nn.Linear", m.in_features, m.out_features,
                              bias=(m.bias is not None, True)),
    nn.Dropout: lambda m: call("nn.Dropout", m.p),
    nn.Dropout2d: lambda m: call("nn.Dropout2d", m.p),
    nn.BatchNorm1d: _norm,
    nn.BatchNorm2d: _norm,
    ops.BatchNormShift: lambda m: call("BatchNormShift", m.bias.shape[0], eps=(m.eps, 1e-5),
                                       momentum=(m.momentum, 0.1)),
    ops.LayerNorm2d: lambda m: call("LayerNorm2d", m.weight.shape[0], eps=(m.eps, 1e-6)),
    nn.LayerNorm: lambda m: call("nn.LayerNorm", m.normalized_shape[0], eps=(m.eps, 1e-5)),
    ops.LayerScale: lambda m: call("LayerScale", tuple(m.scale.shape),
                                   init_value=(m.init_value, 1e-6)),
    nn.LocalResponseNorm: lambda m: call("nn.LocalResponseNorm", m.size, alpha=(m.alpha, 1e-4),
                                         beta=(m.beta, 0.75), k=(m.k, 1.0)),
    nn.ZeroPad2d: lambda m: call("nn.ZeroPad2d", tuple(m.padding)),
    ops.Cropping2d: lambda m: call("Cropping2d", tuple(m.cropping)),
    nn.LeakyReLU: lambda m: call("nn.LeakyReLU", negative_slope=(m.negative_slope, 0.01)),
    nn.ELU: lambda m: call("nn.ELU", alpha=(m.alpha, 1.0)),
    nn.GELU: lambda m: call("nn.GELU", approximate=(m.approximate, "none")),
    nn.Softmax: lambda m: call("nn.Softmax", dim=(m.dim, None)),
}

PLAIN = (nn.Identity, nn.Flatten, nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish, nn.Hardsigmoid,
         nn.Sigmoid, nn.Tanh)


def module_code(module: nn.Module) -> str:
    """Python that builds an equivalent, freshly initialised ``module``."""
    writer = WRITERS.get(type(module))
    if writer is not None:
        return writer(module)
    if isinstance(module, PLAIN):
        return f"nn.{type(module).__name__}()"
    raise TypeError(f"no code writer for {type(module).__name__}")


def custom_classes(modules: list[nn.Module]) -> list[type]:
    """The ``ops`` classes these modules use, in the order ``ops`` defines them."""
    used = {type(m) for m in modules}
    return [cls for cls in vars(ops).values()
            if isinstance(cls, type) and cls.__module__ == ops.__name__ and cls in used]


def local_names(steps: list[Step]) -> dict[str, str]:
    """Node id -> variable name in forward (the Input node is ``x``): the node's name, or
    ``node_<i>`` when that name is not a plain identifier (``is_identifier``)."""
    taken = {s.name for s in steps}
    out: dict[str, str] = {}
    for i, s in enumerate(steps):
        if s.kind == "Input":
            out[s.node_id] = "x"
            continue
        base = s.name if is_identifier(s.name) else f"node_{i}"
        name = base
        while name in RESERVED_LOCALS or (name != s.name and name in taken):
            name += "_"
        taken.add(name)
        out[s.node_id] = name
    return out


def expression(step: Step, args: list[str], has_module: bool, activation: bool = True) -> str:
    """The right-hand side computing ``step`` from its input variables."""
    if step.merge == "concat":
        return f"torch.cat([{', '.join(args)}], dim=1)"
    if step.merge is not None:
        return (" + " if step.merge == "add" else " * ").join(args)
    expr = args[0]
    if step.pad is not None:
        extra = f", value={value(step.pad_value)}" if step.pad_value else ""
        expr = f"F.pad({expr}, {value(tuple(step.pad))}{extra})"
    if has_module:
        expr = f"self.{step.attr}({expr})"
    if activation and step.activation is not None:
        expr = ACTIVATION_CODE[step.activation].format(expr)
    return expr
