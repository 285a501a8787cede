"""A help page for every layer kind, generated from its catalogue declaration.

``help_page(kind)`` gathers what the kind computes (its declared ``help`` and a sentence for
its family), its shape formula (the sliding-window arithmetic for convolutions and pools),
its parameter-count formula where it learns weights, a worked example (the kind with its
default parameters after a sample input, run through the shape engine, so every number is
the engine's own) and one table row per ``ParamSpec``. ``to_markdown`` and ``to_html`` render
it; the HTML escapes every piece of text. Torch-free and Qt-free.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.layers import LayerSpec, ParamSpec, Shape, fmt_shape, get_layer
from cnnstudio.core.shapes import analyse

#: the feature map the worked examples start from (channels, height, width)
SAMPLE_INPUT: Shape = (3, 32, 32)
#: a small map for the kinds that need a flat vector (flattened first): 16 features
FLAT_SAMPLE: Shape = (1, 4, 4)

_WINDOW = (
    "H_out = floor((H - F + 2P) / S) + 1",
    "with dilation D: H_out = floor((H + 2P - D*(F - 1) - 1) / S) + 1",
    "padding 'same' (Keras): H_out = ceil(H / S), the odd pad going to the bottom / right",
    "W_out is the same along the width",
)
_POOL = (
    "H_out = floor((H - F + 2P) / S) + 1   (ceil instead of floor in ceil_mode)",
    "padding 'same' (Keras): H_out = ceil(H / S)",
    "W_out is the same along the width; the channels C stay as they are",
)
_UNCHANGED = ("output shape = input shape",)

SHAPE_FORMULAS: dict[str, tuple[str, ...]] = {
    "Input": ("output = channels x height x width",),
    "Conv2d": ("C_out = filters", *_WINDOW),
    "DepthwiseConv2d": ("C_out = C_in * depth_multiplier", *_WINDOW),
    "SeparableConv2d": ("C_out = filters", *_WINDOW),
    "MaxPool2d": _POOL,
    "AvgPool2d": _POOL,
    "MinPool2d": _POOL,
    "AdaptiveAvgPool2d": ("output = C x output_size (whatever H x W comes in)",),
    "AdaptiveMaxPool2d": ("output = C x output_size (whatever H x W comes in)",),
    "GlobalAvgPool": ("output = C (or C x 1 x 1 with keepdims)",),
    "GlobalMaxPool": ("output = C (or C x 1 x 1 with keepdims)",),
    "Flatten": ("features = C * H * W",),
    "Dense": ("output = units",),
    "ZeroPad2d": ("H_out = H + top + bottom", "W_out = W + left + right"),
    "Cropping2d": ("H_out = H - top - bottom", "W_out = W - left - right"),
    "Concat": ("C_out = C_1 + C_2 + ...; every input has the same H x W",),
    "Add": ("output = the inputs' common shape (they must be equal)",),
    "Multiply": ("output = the broadcast shape (each axis equal, or 1 on one side)",),
}

PARAM_FORMULAS: dict[str, str] = {
    "Conv2d": "params = (F_h * F_w * C_in / groups + 1) * filters  (the + 1 is the bias)",
    "DepthwiseConv2d": "params = (F_h * F_w + 1) * C_in * depth_multiplier",
    "SeparableConv2d": "params = F_h * F_w * C_in * depth_multiplier (depthwise) "
    "+ (C_in * depth_multiplier + 1) * filters (pointwise)",
    "Dense": "params = (features_in + 1) * units  (the + 1 is the bias)",
    "BatchNorm": "params = 2 * C (a scale and a shift per channel; Keras also counts the "
    "moving mean and variance: 4 * C)",
    "LayerNorm": "params = 2 * C (a scale and a shift per channel)",
    "LayerScale": "params = C (one learned scale per channel)",
}

_FAMILY: dict[str, str] = {
    "Input": "It does no computation: it declares the shape of the images fed to the network.",
    "Convolution": "Each output value is the dot product of a learned kernel with one window "
    "of the input (plus a bias); the window slides over the map by the stride.",
    "Pooling": "Each output value summarises a region of one channel; nothing is learned and "
    "the channels stay as they are.",
    "Dense": "Each output unit is a weighted sum of every input feature plus a bias.",
    "Normalisation": "It rescales the values so that they keep a steady range while training.",
    "Activation": "It applies a non-linear function to every value; the shape does not change.",
    "Dropout": "While training it zeroes values at random and scales the rest up; at "
    "inference it passes its input through.",
    "Merge": "It joins the outputs of several branches into one.",
    "Reshape": "It rearranges or resizes the values without learning anything.",
}


@dataclass(frozen=True)
class Example:
    """The kind with its defaults run through the shape engine on a sample input."""

    input_shape: Shape
    path: str
    output_shape: Shape | None
    lines: tuple[str, ...]
    params: int
    mult_adds: int


@dataclass(frozen=True)
class HelpPage:
    kind: str
    category: str
    summary: str
    computes: str
    shape_formulas: tuple[str, ...]
    param_formula: str
    example: Example
    params: tuple[ParamSpec, ...]


def _example(spec: LayerSpec) -> Example:
    b = GraphBuilder()
    if spec.kind == "Input":
        nid = b.add("Input")
        shape: Shape = ()
        path = "Input"
    else:
        flat = spec.kind == "Dense"
        shape = FLAT_SAMPLE if flat else SAMPLE_INPUT
        x = b.input(*shape)
        path = f"Input {fmt_shape(shape)}"
        if flat:
            x = b.add("Flatten", x)
            path += " -> Flatten"
        n = spec.input_count(spec.defaults())
        nid = b.add(spec.kind, *([x] * n))
        path += f" -> {spec.kind}" + (f" ({n} inputs, all the same map)" if n > 1 else "")
    info = analyse(b.graph).infos[nid]
    lines = tuple(info.explanation) or tuple(i.message for i in info.issues)
    return Example(shape, path, info.shape, lines, info.params, info.mult_adds)


def help_page(kind: str) -> HelpPage:
    """The help page of ``kind`` (``UnknownLayerKindError`` for a kind not in the catalogue)."""
    spec = get_layer(kind)
    return HelpPage(
        kind=spec.kind,
        category=spec.category,
        summary=spec.help,
        computes=_FAMILY.get(spec.category, ""),
        shape_formulas=SHAPE_FORMULAS.get(spec.kind, _UNCHANGED),
        param_formula=PARAM_FORMULAS.get(spec.kind, "" if spec.has_weights else "params = 0"),
        example=_example(spec),
        params=spec.params,
    )


def param_range(p: ParamSpec) -> str:
    """What a parameter accepts: the choices, or min..max (``-`` when unbounded)."""
    if p.choices:
        return ", ".join(p.choices)
    if p.type == "bool":
        return "true, false"
    if p.min is None and p.max is None:
        return "-"
    return f"{_num(p.min)}..{_num(p.max)}"


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def param_rows(page: HelpPage) -> list[tuple[str, str, str, str, str]]:
    """One (name, type, range, default, help) row per parameter, as text."""
    rows = []
    for p in page.params:
        default = p.to_json(p.default)
        text = str(default).lower() if isinstance(default, bool) else str(default)
        rows.append((p.name, p.type, param_range(p), text, p.help))
    return rows


def _example_lines(page: HelpPage) -> list[str]:
    ex = page.example
    out = [f"{ex.path}, default parameters:"]
    out += [f"    {line}" for line in ex.lines]
    result = fmt_shape(ex.output_shape) if ex.output_shape is not None else "?"
    out.append(f"Output: {result}   params: {ex.params:,}   mult-adds: {ex.mult_adds:,}")
    return out


def to_markdown(page: HelpPage) -> str:
    """The page as Markdown."""
    md = [f"# {page.kind}", "", f"*{page.category}*: {page.summary}", ""]
    if page.computes:
        md += ["## What it computes", "", page.computes, ""]
    md += ["## Output shape", "", *(f"    {f}" for f in page.shape_formulas), ""]
    if page.param_formula:
        md += ["## Learned parameters", "", f"    {page.param_formula}", ""]
    ex = _example_lines(page)
    md += ["## Worked example", "", ex[0], "", *ex[1:-1], "", ex[-1], ""]
    md += ["## Parameters", ""]
    rows = param_rows(page)
    if rows:
        md += ["| name | type | range | default | help |", "|---|---|---|---|---|"]
        md += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    else:
        md.append("None.")
    return "\n".join(md) + "\n"


def to_html(page: HelpPage) -> str:
    """The page as simple HTML (for a text browser); all text is escaped."""
    e = html.escape
    parts = [f"<h2>{e(page.kind)}</h2>", f"<p><i>{e(page.category)}</i>: {e(page.summary)}</p>"]
    if page.computes:
        parts.append(f"<h3>What it computes</h3><p>{e(page.computes)}</p>")
    parts.append("<h3>Output shape</h3><pre>" + e("\n".join(page.shape_formulas)) + "</pre>")
    if page.param_formula:
        parts.append(f"<h3>Learned parameters</h3><pre>{e(page.param_formula)}</pre>")
    ex = _example_lines(page)
    body = "\n".join(line.strip() for line in ex[1:-1])
    parts.append(f"<h3>Worked example</h3><p>{e(ex[0])}</p><pre>{e(body)}</pre>"
                 f"<p><b>{e(ex[-1])}</b></p>")
    parts.append("<h3>Parameters</h3>")
    rows = param_rows(page)
    if rows:
        head = "".join(f"<th>{h}</th>" for h in ("name", "type", "range", "default", "help"))
        cells = "".join(
            "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
        parts.append(f"<table border='1' cellpadding='3'><tr>{head}</tr>{cells}</table>")
    else:
        parts.append("<p>None.</p>")
    return "\n".join(parts)


def markdown(kind: str) -> str:
    return to_markdown(help_page(kind))


def html_page(kind: str) -> str:
    return to_html(help_page(kind))
