"""``cnnstudio diff A B [--json]``: the architecture diff between two designs.

A and B are project files or run folders (their ``project.cnnproj``). Prints the nodes added,
removed and changed from A to B (each changed parameter, rewired inputs) and the parameter
and mult-add totals (cnnstudio.core.diff); ``--json`` gives the same as JSON. Exit 0 whether
or not the designs differ. Torch is not imported.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cnnstudio.core.diff import diff_graphs
from cnnstudio.core.errors import ProjectFileError
from cnnstudio.core.graph import Graph
from cnnstudio.core.project_io import load

RUN_PROJECT = "project.cnnproj"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "diff", help="the architecture diff between two designs (project files or runs)",
        description="Compare the network of A with that of B: nodes added, removed and "
        "changed (each changed parameter, rewired inputs; nodes matched by name, then by id), "
        "and the parameter and mult-add totals. A and B are project files (.cnnproj) or run "
        "folders (their project.cnnproj).")
    p.add_argument("a", metavar="A", type=Path, help="the older design: a project or run folder")
    p.add_argument("b", metavar="B", type=Path, help="the newer design: a project or run folder")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def design_of(path: Path) -> Graph:
    """The graph of a project file, or of a run folder's project.cnnproj."""
    file = path / RUN_PROJECT if path.is_dir() else path
    if path.is_dir() and not file.is_file():
        raise ValueError(f"{path}: a folder without {RUN_PROJECT}; give a project file or a "
                         "run folder")
    if not file.exists():
        raise ValueError(f"{path}: no such file or folder")
    try:
        return load(file).graph
    except ProjectFileError as exc:
        raise ValueError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    diff = diff_graphs(design_of(args.a), design_of(args.b))
    if args.json:
        print(json.dumps({"a": str(args.a), "b": str(args.b), **diff.to_dict()}, indent=2))
    else:
        print(diff.text(str(args.a), str(args.b)))
    return 0
