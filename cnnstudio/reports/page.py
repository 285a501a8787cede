"""The page frame of a report and the one escaping rule.

Every text that comes from a run folder or a project (run names, notes, class names, the
project's name and description, node names, settings, messages) goes through ``esc``: HTML
special characters become entities (quotes too, so it is safe inside attributes) and control
characters that XML forbids are dropped, so each inline SVG also parses as XML. The page
declares a Content-Security-Policy that allows no script and no external resource: even a
mistake in escaping could not run code or fetch anything.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1100px;
color:#1d2430;padding:0 16px}
h1{font-size:1.6em;margin-bottom:4px}h2{border-bottom:1px solid #ccd;padding-bottom:4px;
margin-top:32px}h3{margin-bottom:4px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d4d8e0;padding:3px 8px;
text-align:left;font-variant-numeric:tabular-nums}th{background:#f0f2f6}
td.num{text-align:right}tr.differs td,tr.differs th{background:#fff3c4}
table.confusion td{text-align:center;min-width:2.5em}
.notes{white-space:pre-wrap;background:#f6f7f9;border-left:3px solid #9aa3b5;padding:6px 10px}
.muted{color:#6b7280}.charts{display:flex;flex-wrap:wrap;gap:12px}
svg{max-width:100%;height:auto}pre{background:#f6f7f9;padding:8px;overflow-x:auto}
code{font-family:ui-monospace,Menlo,Consolas,monospace}
"""


def esc(value: Any) -> str:
    """``value`` as text safe in HTML and SVG content and in quoted attributes."""
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def fmt(value: Any) -> str:
    """A setting or figure as short plain text (not yet escaped)."""
    if isinstance(value, bool) or value is None:
        return "-" if value is None else ("yes" if value else "no")
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value) if value else "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={fmt(v)}" for k, v in value.items()) if value else "-"
    return str(value)


def pct(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f"{value:.2%}"
    return "-"


def duration(seconds: float) -> str:
    s = int(round(max(seconds, 0.0)))
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def table(head: list[str], rows: list[list[str]], cls: str = "",
          row_classes: list[str] | None = None) -> str:
    """A table from cells already escaped (``head`` is escaped here; none when empty)."""
    out = [f'<table class="{cls}">' if cls else "<table>"]
    if head:
        out += ["<thead><tr>", *(f"<th>{esc(h)}</th>" for h in head), "</tr></thead>"]
    out.append("<tbody>")
    for i, row in enumerate(rows):
        rc = row_classes[i] if row_classes and row_classes[i] else ""
        out.append(f'<tr class="{rc}">' if rc else "<tr>")
        out += row
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def cell(value: Any, num: bool = False) -> str:
    return f'<td class="num">{esc(value)}</td>' if num else f"<td>{esc(value)}</td>"


def section(ident: str, title: str, body: str) -> str:
    return f'<section id="{ident}"><h2>{esc(title)}</h2>\n{body}\n</section>'


def frame(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
        "<meta name=\"generator\" content=\"CNN Studio\">"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n{body}\n</body></html>\n")
