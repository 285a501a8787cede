"""The headless command line: ``cnnstudio summary | validate | presets | train | evaluate |
export | predict | runs | sweep | diff | report | layer | import``.

Each command lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``;
``COMMANDS`` lists them in help order. Commands import torch only when they need it.
Whatever escapes a command is printed as one line (``errors.py``); ``--debug``, anywhere on
the command line, prints the traceback too.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from cnnstudio import __version__
from cnnstudio.cli.errors import Parser, report

#: command name -> module under cnnstudio.cli
COMMANDS = {
    "summary": "summary",
    "validate": "validate",
    "presets": "presets",
    "train": "train",
    "evaluate": "evaluate",
    "export": "export",
    "predict": "predict",
    "runs": "runs",
    "sweep": "sweep",
    "diff": "diff",
    "report": "html_report",  # not report.py: it would shadow errors.report here
    "layer": "layer",
    "import": "import_model",  # not import.py: import is a Python keyword
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="cnnstudio",
        description="CNN Studio: design, train and export convolutional networks. "
        "Without a command (or with a project file) it opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"cnnstudio {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an error, print the traceback too (may follow any command)")
    desktop = parser.add_mutually_exclusive_group()
    desktop.add_argument("--install-desktop", action="store_true",
                         help="register the app with the desktop for this user: launcher, "
                         "icons and the .cnnproj file type under $XDG_DATA_HOME")
    desktop.add_argument("--uninstall-desktop", action="store_true",
                         help="remove what --install-desktop wrote")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        importlib.import_module(f"cnnstudio.cli.{module}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else 2
    if args.install_desktop or args.uninstall_desktop:
        if args.command is not None:
            print("cnnstudio: --install-desktop and --uninstall-desktop take no command",
                  file=sys.stderr)
            return 2
        from cnnstudio import desktop

        return desktop.run(uninstalling=args.uninstall_desktop)
    if args.command is None:
        build_parser().print_help()
        return 0
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure becomes one line (errors.describe)
        return report(exc, debug)
