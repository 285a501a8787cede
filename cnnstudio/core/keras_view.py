"""The Keras view of an analysis: shapes as Keras prints them and Keras' ``model.summary()``.

Keras is channels-last and shows the batch: ``(32, 28, 28)`` here is ``(None, 28, 28, 32)``
there, a vector ``(120,)`` is ``(None, 120)``. Counts follow Keras' convention
(``NodeInfo.keras_params``: BatchNorm's moving mean and variance included, and counted as
non-trainable). ``format_keras`` prints the table as Keras 3's ``model.summary()`` does: the
title, box rules, one row per layer ("name (Class)", the class from ``LayerSpec.keras``),
separated by rules, then the totals with their size as float32 weights. A chain prints as a
Sequential model (no input row); a design with branches prints as a Functional model, with
the input row and a "Connected to" column (``name[0][0]`` per input). Column widths follow
Keras' default positions and grow to fit the text.
"""

from __future__ import annotations

from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape, fmt_shape
from cnnstudio.core.shapes import Analysis

#: Keras' default line lengths and column positions (fractions of the line)
SEQUENTIAL = (88, (0.45, 0.80, 1.0))
FUNCTIONAL = (108, (0.3, 0.56, 0.74, 1.0))
HEADERS = ("Layer (type)", "Output Shape", "Param #", "Connected to")
BYTES_PER_PARAM = 4  # float32


def keras_shape(shape: Shape | None) -> str:
    """``(None, 28, 28, 32)`` for a (32, 28, 28) map, ``(None, 120)`` for a vector."""
    if shape is None:
        return "?"
    dims = (*shape[1:], shape[0]) if len(shape) == 3 else shape
    return "(" + ", ".join(["None", *(str(d) for d in dims)]) + ")"


def keras_class(graph: Graph, node_id: str) -> str:
    """The Keras class that prints for a node (its kind when Keras has none)."""
    spec = graph.nodes[node_id].spec
    return spec.keras or spec.kind


def is_sequential(graph: Graph) -> bool:
    """True when every node has at most one input and feeds at most one node."""
    return all(len(graph.inputs_of(n)) <= 1 and len(graph.outputs_of(n)) <= 1
               for n in graph.nodes)


def readable_size(n_bytes: float) -> str:
    """Bytes as Keras writes them: ``241.04 KB`` (units of 1024, two decimals)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n_bytes / 1024 < 1:
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} PB"


def keras_rows(a: Analysis) -> list[tuple[str, ...]]:
    """One row per layer: name (Class), output shape, Keras' parameter count, and (for a
    Functional model) what it is connected to."""
    graph = a.graph
    sequential = is_sequential(graph)
    rows: list[tuple[str, ...]] = []
    for nid in a.order:
        node, info = graph.nodes[nid], a.infos[nid]
        if sequential and node.kind == "Input":
            continue
        row: tuple[str, ...] = (f"{node.name} ({keras_class(graph, nid)})", keras_shape(info.shape),
               f"{info.keras_params:,}")
        if not sequential:
            srcs = [graph.nodes[e.src].name for e in graph.inputs_of(nid) if e is not None]
            row += (", ".join(f"{s}[0][0]" for s in srcs) or "-",)
        rows.append(row)
    return rows


def keras_totals(a: Analysis) -> list[str]:
    """The three totals lines, each with its size as float32 weights."""
    total = a.total("keras_params")
    trainable = a.total("keras_trainable_params")
    return [f" {label}: {n:,} ({readable_size(n * BYTES_PER_PARAM)})" for label, n in (
        ("Total params", total), ("Trainable params", trainable),
        ("Non-trainable params", total - trainable))]


def format_keras(a: Analysis, name: str) -> str:
    """The summary as Keras 3 prints it for a model called ``name``."""
    rows = keras_rows(a)
    sequential = is_sequential(a.graph)
    length, positions = SEQUENTIAL if sequential else FUNCTIONAL
    head = HEADERS[:len(positions)]
    widths, edge = [], 0
    for i, pos in enumerate(positions):  # Keras' widths, less a border and two paddings
        cells = [head[i], *(r[i] for r in rows)]
        border = 4 if i == len(positions) - 1 else 3  # the last column has two bars
        widths.append(max(int(pos * length) - edge - border, *(len(c) for c in cells)))
        edge = int(pos * length)
    right = {2}  # Param # is right-aligned

    def line(cells: tuple[str, ...], bar: str) -> str:
        text = [f" {c:>{w}} " if i in right else f" {c:<{w}} "
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return bar + bar.join(text) + bar

    def rule(left: str, fill: str, mid: str, end: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + end

    out = [f'Model: "{name}"', rule("┏", "━", "┳", "┓"), line(head, "┃"),
           rule("┡", "━", "╇", "┩")]
    for i, r in enumerate(rows):
        if i:
            out.append(rule("├", "─", "┼", "┤"))
        out.append(line(r, "│"))
    out.append(rule("└", "─", "┴", "┘"))
    out += keras_totals(a)
    return "\n".join(out)


def shape_text(shape: Shape | None, keras: bool) -> str:
    """A shape as CNN Studio writes it (``32x28x28``) or, with ``keras``, as Keras does."""
    if keras:
        return keras_shape(shape)
    return fmt_shape(shape) if shape is not None else "?"
