"""``cnnstudio validate TARGET``: exit 0 when the graph is valid, else list every problem."""

from __future__ import annotations

import argparse

from cnnstudio.cli.target import add_target_args, open_target
from cnnstudio.core.shapes import analyse


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("validate", help="check shapes; exit 1 listing every problem",
                       description="Check every node's shapes. Exit 0 when valid; otherwise "
                       "print each problem with its node, the arithmetic and a fix, and exit 1.")
    add_target_args(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    project = open_target(args)
    if project is None:
        return 2
    a = analyse(project.graph)
    if a.ok:
        out = a.output_shape
        print(f"{args.target}: valid, {len(a.order)} nodes, output "
              f"{'x'.join(map(str, out)) if out else '?'}, {a.total('params'):,} parameters")
        return 0
    errors = [i for i in a.issues if i.severity == "error"]
    print(f"{args.target}: {len(errors)} problem(s)")
    for issue in errors:
        print(issue.describe(project.graph))
    return 1
