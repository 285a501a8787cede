"""Entry point: ``cnnstudio`` opens the app; ``cnnstudio COMMAND ...`` runs the CLI.

``cnnstudio PROJECT.cnnproj`` opens a project in the app. Any other first word (a mistyped
command, a path that does not exist or is not a project file) is an error of one line that
lists the commands: it never starts a window, which on a server or in a script would wait
for a display that is not there.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

#: file name endings the app opens from the command line
PROJECT_SUFFIXES = (".cnnproj", ".json")


def not_openable(word: str, commands: list[str]) -> str | None:
    """Why ``cnnstudio WORD`` cannot open WORD in the app, or None when it can."""
    path = Path(word)
    if path.is_file() and path.suffix.lower() in PROJECT_SUFFIXES:
        return None
    listed = ", ".join(commands)
    close = difflib.get_close_matches(word, commands, n=1)
    hint = f"Did you mean `cnnstudio {close[0]}`? " if close else ""
    if path.is_dir():
        what = f"{word!r} is a folder, not a command or a project file (.cnnproj)"
    elif path.exists():
        what = f"{word!r} is not a project file (.cnnproj) nor a command"
    else:
        what = f"{word!r} is neither a command nor an existing project file"
    return f"cnnstudio: {what}. {hint}Commands: {listed} (cnnstudio --help)."


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from cnnstudio.cli import COMMANDS

    if args and (args[0] in COMMANDS or args[0].startswith("-")):
        from cnnstudio.cli import main as cli_main

        return cli_main(args)
    if args:
        reason = not_openable(args[0], list(COMMANDS))
        if reason is not None:
            print(reason, file=sys.stderr)
            return 2
    from cnnstudio.gui.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
