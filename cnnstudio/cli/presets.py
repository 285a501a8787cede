"""``cnnstudio presets``: the preset architectures with a description and the paper."""

from __future__ import annotations

import argparse
import json

from cnnstudio.core.presets import PRESETS


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("presets", help="list the preset architectures")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    rows = [{"id": p.id, "title": p.title, "description": p.description, "paper": p.paper,
             "input_shape": list(p.input_shape), "num_classes": p.num_classes,
             "options": p.options} for p in PRESETS.values()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        print(f"{r['id']:<{width}}  {r['title']}: {r['description']}")
        print(f"{'':<{width}}  {r['paper']}")
        for name, text in r["options"].items():
            print(f"{'':<{width}}  option {name}: {text}")
    return 0
