"""One line for every failure: how the CLI reports what went wrong.

Every command may raise the project's own error types (their messages are written for the
user and name the file, option or node); ``main`` in ``cnnstudio.cli`` catches whatever
escapes and prints ``error: ...`` as one line on stderr, exit 1 (2 for usage errors).
``--debug`` prints the traceback too. Operating-system errors are put in words with the path
and what to do; anything else is reported as a bug with its type.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from typing import NoReturn

#: errno -> what it means for the user, and what to do
OS_ADVICE = {
    errno.ENOSPC: "no space left on the disk; free some space or choose another folder",
    errno.EDQUOT: "disk quota exceeded; free some space or choose another folder",
    errno.EFBIG: "the file grew past what this file system (or a limit) allows; free some "
    "space or choose another folder",
    errno.EACCES: "permission denied; choose a folder you can write to",
    errno.EPERM: "operation not permitted; choose a folder you can write to",
    errno.EROFS: "the file system is read-only; choose another folder",
    errno.ENOENT: "no such file or folder; check the path",
    errno.ENOTDIR: "a part of the path is not a folder; check the path",
    errno.EISDIR: "it is a folder, not a file; give a file path",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter path",
    errno.EEXIST: "it already exists",
}


class UsageError(Exception):
    """A command line that cannot be carried out as given (exit 2)."""


def one_line(text: str) -> str:
    """``text`` with its lines joined, so that an error is always one line."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def describe(exc: BaseException) -> str:
    """The one-line message for ``exc`` (without the ``error:`` prefix)."""
    if isinstance(exc, OSError) and not _is_project_error(exc):
        path = exc.filename if exc.filename is not None else ""
        advice = OS_ADVICE.get(exc.errno or -1) or one_line(exc.strerror or str(exc))
        return f"{os.fsdecode(path)}: {advice}" if path else advice
    if isinstance(exc, MemoryError):
        return ("out of memory; use a smaller --batch-size or input shape, or a smaller "
                "network")
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read"
    if _is_project_error(exc):
        return one_line(str(exc)) or type(exc).__name__
    return (f"unexpected {type(exc).__name__}: {one_line(str(exc))} (a bug in cnnstudio: "
            "rerun with --debug and report the traceback)")


def _is_project_error(exc: BaseException) -> bool:
    """An error type of ours (or a ValueError from a check): its message is for the user."""
    module = type(exc).__module__
    return module.startswith("cnnstudio") or type(exc) in (ValueError, UsageError)


def report(exc: BaseException, debug: bool) -> int:
    """Print ``exc`` as one line (and the traceback with ``--debug``); the exit code."""
    if debug:
        import traceback

        traceback.print_exception(exc)
    print(f"error: {describe(exc)}", file=sys.stderr)
    return 2 if isinstance(exc, UsageError) else 1


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line naming the command and the option."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")
