"""``cnnstudio summary TARGET``: the layer table with shapes, parameters and mult-adds."""

from __future__ import annotations

import argparse
import json
import sys

from cnnstudio.cli.memory_args import add_memory_args, memory_report
from cnnstudio.cli.target import add_target_args, open_target
from cnnstudio.core.keras_view import format_keras
from cnnstudio.core.shapes import analyse
from cnnstudio.core.summary import format_table, summary_dict


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("summary", help="print the layer table (shapes, params, mult-adds)",
                       description="Print a Keras/torchinfo style table: layer name and type, "
                       "output shape, parameters, mult-adds, receptive field and totals.")
    add_target_args(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--style", choices=("table", "keras"), default="table",
                   help="keras: the table as Keras' model.summary() prints it (channels-last "
                   "shapes with the batch as None, Keras' parameter counts)")
    add_memory_args(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    project = open_target(args)
    if project is None:
        return 2
    a = analyse(project.graph)
    memory, lines = memory_report(args, a) if a.ok else ({}, [])
    if args.json:
        print(json.dumps(summary_dict(a) | ({"memory": memory} if memory else {}), indent=2))
    else:
        print(format_keras(a, project.name) if args.style == "keras"
              else format_table(a, title=f"{project.name}"))
        for issue in a.issues:
            print(issue.describe(project.graph), file=sys.stderr)
    if lines and not args.json:
        print("\n".join(lines))
    return 0 if a.ok else 1
