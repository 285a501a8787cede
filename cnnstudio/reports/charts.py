"""Line charts as inline SVG: axes with ticks, one polyline per series, a legend.

``line_chart`` draws the epochs on x; each series is one ``<polyline class="series">`` whose
``points`` hold one pair per finite value (a single point gets a dot too). Labels go through
``page.esc``. No xmlns and no link: the SVG is inline in the page and fetches nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnnstudio.reports.page import esc

WIDTH, PLOT_H = 520, 220
LEFT, RIGHT, TOP, AXIS_H = 62, 14, 30, 40
LEGEND_ROW = 18
#: one colour per run or curve (colour-blind safe order, Okabe-Ito / Tableau)
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f7f7f",
           "#8c564b", "#bcbd22", "#17becf")


@dataclass
class Series:
    label: str
    points: list[tuple[float, float]]
    colour: str = PALETTE[0]
    dashed: bool = False
    key: str = ""


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def nice_ticks(lo: float, hi: float, count: int = 5, integer: bool = False) -> list[float]:
    """About ``count`` round tick values covering [lo, hi] (steps of 1, 2 or 5 x 10^k)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    if integer:
        step = max(1.0, round(step))
    first = math.floor(lo / step) * step
    ticks, t = [], first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 12))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def _tick_text(v: float, percent: bool) -> str:
    if percent:
        return f"{v:.0%}" if abs(v * 100 - round(v * 100)) < 1e-9 else f"{v:.1%}"
    return f"{v:.3g}"


def _legend(series: list[Series], top: float) -> tuple[list[str], int]:
    out, x, rows = [], LEFT, 1
    for s in series:
        width = 30 + 7 * len(s.label)
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, rows = LEFT, rows + 1
        y = top + (rows - 1) * LEGEND_ROW
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        out.append(f'<g class="legend-item"><line x1="{x}" y1="{y - 4}" x2="{x + 20}" '
                   f'y2="{y - 4}" stroke="{s.colour}" stroke-width="2.5"{dash}/>'
                   f'<text x="{x + 25}" y="{y}" font-size="12">{esc(s.label)}</text></g>')
        x += width
    return out, rows


def line_chart(title: str, series: list[Series], y_label: str = "", percent: bool = False,
               ident: str = "") -> str:
    """An SVG line chart of ``series`` against the epoch."""
    xs = [p[0] for s in series for p in s.points]
    ys = [p[1] for s in series for p in s.points]
    x_ticks = nice_ticks(min(xs, default=1.0), max(xs, default=1.0), 6, integer=True)
    y_ticks = nice_ticks(min(ys, default=0.0), max(ys, default=1.0), 5)
    x0, x1, y0, y1 = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]
    plot_w = WIDTH - LEFT - RIGHT

    def sx(v: float) -> float:
        return LEFT + (v - x0) / ((x1 - x0) or 1.0) * plot_w

    def sy(v: float) -> float:
        return TOP + PLOT_H - (v - y0) / ((y1 - y0) or 1.0) * PLOT_H

    legend, rows = _legend(series, TOP + PLOT_H + AXIS_H + 8)
    height = TOP + PLOT_H + AXIS_H + rows * LEGEND_ROW + 6
    ident_attr = f' id="{esc(ident)}"' if ident else ""
    out = [f'<svg class="chart"{ident_attr} width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{esc(title)}">',
           f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
           f'<text x="{WIDTH / 2}" y="18" font-size="14" font-weight="bold" '
           f'text-anchor="middle">{esc(title)}</text>', '<g class="axes" font-size="11">']
    for t in y_ticks:
        y = sy(t)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                   f'stroke="#e3e6ec"/><text x="{LEFT - 6}" y="{y + 4:.1f}" '
                   f'text-anchor="end">{esc(_tick_text(t, percent))}</text>')
    for t in x_ticks:
        x = sx(t)
        out.append(f'<line x1="{x:.1f}" y1="{TOP + PLOT_H}" x2="{x:.1f}" '
                   f'y2="{TOP + PLOT_H + 5}" stroke="#4b5563"/><text x="{x:.1f}" '
                   f'y="{TOP + PLOT_H + 18}" text-anchor="middle">{int(t)}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + PLOT_H}" stroke="#4b5563"/>'
               f'<line x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{WIDTH - RIGHT}" '
               f'y2="{TOP + PLOT_H}" stroke="#4b5563"/>'
               f'<text x="{LEFT + plot_w / 2}" y="{TOP + PLOT_H + 34}" '
               f'text-anchor="middle">epoch</text>')
    if y_label:
        out.append(f'<text x="14" y="{TOP + PLOT_H / 2}" text-anchor="middle" '
                   f'transform="rotate(-90 14 {TOP + PLOT_H / 2})">{esc(y_label)}</text>')
    out.append("</g>")
    for s in series:
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s.points)
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        out.append(f'<polyline class="series" data-series="{esc(s.key or s.label)}" '
                   f'points="{pts}" fill="none" stroke="{s.colour}" stroke-width="2"{dash}>'
                   f'<title>{esc(s.label)}</title></polyline>')
        if len(s.points) == 1:
            out.append(f'<circle cx="{sx(s.points[0][0]):.1f}" cy="{sy(s.points[0][1]):.1f}" '
                       f'r="3" fill="{s.colour}"/>')
    if not any(s.points for s in series):
        out.append(f'<text x="{LEFT + plot_w / 2}" y="{TOP + PLOT_H / 2}" '
                   'text-anchor="middle" fill="#6b7280">no values recorded</text>')
    out += legend
    out.append("</svg>")
    return "".join(out)
