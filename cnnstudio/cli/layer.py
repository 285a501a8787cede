"""``cnnstudio layer [KIND]``: a layer kind's help page (Markdown), or the list of kinds."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("layer", help="explain a layer kind: what it computes, its formulas "
                       "and parameters")
    p.add_argument("kind", nargs="?", help="a layer kind, e.g. Conv2d (none: list the kinds)")
    p.add_argument("--html", action="store_true", help="print HTML instead of Markdown")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cnnstudio.core.layer_help import help_page, to_html, to_markdown
    from cnnstudio.core.layers import CATEGORIES, LAYERS

    if args.kind is None:
        width = max(len(k) for k in LAYERS)
        for category in CATEGORIES:
            print(f"{category}:")
            for spec in LAYERS.values():
                if spec.category == category:
                    print(f"  {spec.kind:<{width}}  {spec.help}")
        return 0
    page = help_page(args.kind)
    print(to_html(page) if args.html else to_markdown(page), end="" if not args.html else "\n")
    return 0
