"""``cnnstudio report RUN... --out FILE.html [--overwrite]``: a self-contained HTML report.

(The module is not named ``report.py``: importing it would replace ``cli.report``, the
error printer that ``cli/__init__.py`` imports from ``errors.py``.)

One run folder gives the run's report; several give a comparison (cnnstudio.reports). The
page has no script and fetches nothing. An existing file is replaced only with --overwrite.
Torch is not imported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "report", help="write an HTML report of a run, or a comparison of several runs",
        description="Write one self-contained HTML page (inline SVG charts, no script, no "
        "external resource). One RUN: its status, settings, loss/accuracy/learning-rate "
        "curves, test metrics, per-class table, confusion matrix, summary table, the design's "
        "picture, architecture fingerprint and runtime. Several RUNs: a comparison with "
        "overlaid curves, settings and metrics side by side (differing settings highlighted) "
        "and the architecture diff from the first run to each other run. An existing --out "
        "file is replaced only with --overwrite.")
    p.add_argument("runs", metavar="RUN", nargs="+", type=Path,
                   help="run folders (the --out of cnnstudio train, or the app's run folders)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.html",
                   help="the HTML file to write")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cnnstudio.cli.errors import one_line
    from cnnstudio.reports.html import ReportExistsError, write_report

    try:
        out = write_report(args.runs, args.out, args.overwrite)
    except ReportExistsError as exc:  # checked before any run is read
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    kind = "report" if len(args.runs) == 1 else f"comparison of {len(args.runs)} runs"
    print(f"wrote {kind} to {out}")
    return 0
