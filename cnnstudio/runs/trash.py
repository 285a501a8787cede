"""Deleting runs safely: a run moves to ``.trash/`` beside it, and can be moved back.

``move_to_trash(run)`` renames the folder into ``<parent>/.trash/<name>-<time>`` (one rename on
the same file system: nothing is copied, nothing is lost) and returns the new path;
``restore(trashed)`` moves it back under its old name (or a free one). ``list_runs`` never
shows the trash. Emptying the trash is left to the user's file manager.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

TRASH = ".trash"
_SEPARATOR = "__trashed-"


def _free(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def move_to_trash(run_dir: str | Path) -> Path:
    """Move ``run_dir`` into its parent's ``.trash`` folder; the path it now has."""
    run = Path(run_dir)
    if not run.is_dir():
        raise FileNotFoundError(f"{run}: no such run folder")
    trash = run.parent / TRASH
    trash.mkdir(exist_ok=True)
    target = _free(trash / f"{run.name}{_SEPARATOR}{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(run, target)
    return target


def restore(trashed: str | Path) -> Path:
    """Move a trashed run back beside the trash under its old name (or a free one)."""
    source = Path(trashed)
    name = source.name.split(_SEPARATOR)[0]
    target = _free(source.parent.parent / name)
    os.replace(source, target)
    return target
