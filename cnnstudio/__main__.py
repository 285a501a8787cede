"""Entry point: ``cnnstudio`` opens the app; ``cnnstudio COMMAND ...`` runs the CLI.

``cnnstudio PROJECT.cnnproj`` opens a project in the app.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from cnnstudio.cli import COMMANDS

    if args and (args[0] in COMMANDS or args[0].startswith("-")):
        from cnnstudio.cli import main as cli_main

        return cli_main(args)
    from cnnstudio.gui.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
