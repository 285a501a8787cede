"""The design's picture as inline SVG, placed by the core's layered layout.

One ``<g class="node">`` per node: a box in its category's colour with the node's name, kind
and output shape; one ``<path class="edge">`` per connection, a vertical curve from the
source's bottom to the target's top with a small arrowhead. The colours copy
``gui/theme.py``'s category colours (the report stays Qt-free).
"""

from __future__ import annotations

from cnnstudio.core.colours import CATEGORY_COLOURS, GROUP_COLOUR
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import fmt_shape
from cnnstudio.core.layout import Y_GAP, layered_positions
from cnnstudio.core.shapes import Analysis
from cnnstudio.reports.page import esc

BOX_W, BOX_H, MARGIN = 184.0, 58.0, 16.0
MAX_CHARS = 26
#: room on the right for connections that skip layers
BULGE = 48.0


def _short(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS - 1] + "\u2026"


def _edge(src: tuple[float, float], dst: tuple[float, float]) -> str:
    """A curve from ``src``'s bottom to ``dst``'s top; one that skips layers (a residual
    connection) leaves and enters on the right, bulging out, so boxes do not hide it."""
    (sx, sy), (dx, dy) = src, dst
    style = 'fill="none" stroke="#6b7280" stroke-width="1.6"'
    if dy - sy > Y_GAP + 1 and abs(dx - sx) < BOX_W:
        x1, y1, x2, y2 = sx + BOX_W, sy + BOX_H / 2, dx + BOX_W, dy + BOX_H / 2
        bulge = max(x1, x2) + BULGE - 8
        return (f'<path class="edge" d="M{x1:.1f},{y1:.1f} C{bulge:.1f},{y1:.1f} '
                f'{bulge:.1f},{y2:.1f} {x2 + 6:.1f},{y2:.1f}" {style}/>'
                f'<polygon points="{x2 + 7:.1f},{y2 - 5:.1f} {x2 + 7:.1f},{y2 + 5:.1f} '
                f'{x2:.1f},{y2:.1f}" fill="#6b7280"/>')
    x1, y1, x2, y2 = sx + BOX_W / 2, sy + BOX_H, dx + BOX_W / 2, dy
    bend = max(abs(y2 - y1) / 2, 24.0)
    return (f'<path class="edge" d="M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} '
            f'{x2:.1f},{y2 - bend:.1f} {x2:.1f},{y2 - 6:.1f}" {style}/>'
            f'<polygon points="{x2 - 5:.1f},{y2 - 7:.1f} {x2 + 5:.1f},{y2 - 7:.1f} '
            f'{x2:.1f},{y2:.1f}" fill="#6b7280"/>')


def design_svg(graph: Graph, analysis: Analysis | None = None) -> str:
    """The graph as an SVG picture (empty graph: a one-line note)."""
    if not graph.nodes:
        return '<p class="muted">The design has no layers.</p>'
    pos = layered_positions(graph)
    min_x = min(x for x, _ in pos.values()) - BOX_W / 2
    min_y = min(y for _, y in pos.values())
    width = max(x for x, _ in pos.values()) + BOX_W / 2 - min_x + 2 * MARGIN + BULGE
    height = max(y for _, y in pos.values()) + BOX_H - min_y + 2 * MARGIN

    def box(nid: str) -> tuple[float, float]:
        """The top-left corner of a node's box."""
        x, y = pos[nid]
        return x - BOX_W / 2 - min_x + MARGIN, y - min_y + MARGIN

    out = [f'<svg class="design" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="the design">',
           f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#fafbfc"/>']
    for e in graph.edges:
        if e.src in pos and e.dst in pos:
            out.append(_edge(box(e.src), box(e.dst)))
    for nid, node in graph.nodes.items():
        x, y = box(nid)
        info = analysis.infos.get(nid) if analysis is not None else None
        shape = fmt_shape(info.shape) if info is not None and info.shape is not None else "?"
        broken = info is not None and bool(info.issues)
        fill = CATEGORY_COLOURS.get(node.spec.category, GROUP_COLOUR)
        stroke = "#d00000" if broken else "#1f2937"
        out.append(
            f'<g class="node" data-kind="{esc(node.kind)}">'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W:.0f}" height="{BOX_H:.0f}" rx="7" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{2.5 if broken else 1}"/>'
            f'<text x="{x + 10:.1f}" y="{y + 18:.1f}" font-size="13" font-weight="bold" '
            f'fill="#ffffff">{esc(_short(node.name))}</text>'
            f'<text x="{x + 10:.1f}" y="{y + 34:.1f}" font-size="11" fill="#ffffff">'
            f'{esc(_short(node.kind))}</text>'
            f'<text x="{x + 10:.1f}" y="{y + 49:.1f}" font-size="11" fill="#ffffff">'
            f'{esc(_short(shape))}</text><title>{esc(node.name)} ({esc(node.kind)}): '
            f'{esc(shape)}</title></g>')
    out.append("</svg>")
    return "".join(out)
