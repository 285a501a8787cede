"""The headless command line: ``cnnstudio summary | validate | presets | train | evaluate |
export``.

Each command lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``;
``COMMANDS`` lists them in help order. Commands import torch only when they need it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from cnnstudio import __version__

#: command name -> module under cnnstudio.cli
COMMANDS = {
    "summary": "summary",
    "validate": "validate",
    "presets": "presets",
    "train": "train",
    "evaluate": "evaluate",
    "export": "export",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnstudio",
        description="CNN Studio: design, train and export convolutional networks. "
        "Without a command (or with a project file) it opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"cnnstudio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        importlib.import_module(f"cnnstudio.cli.{module}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return 0
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
