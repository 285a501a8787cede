"""Deleting runs from the history: to the runs folder's trash, in batches that can be undone.

``confirmation(records)`` is the question asked before a deletion: it names every run (up to
``NAMED``) and says where the folders go. ``TrashBatches.delete`` moves runs with
``cnnstudio.runs.trash.move_to_trash`` and remembers each batch; ``undo`` restores the last
batch with ``restore``. A folder that cannot be moved is reported, never deleted.
"""

from __future__ import annotations

from pathlib import Path

from cnnstudio.runs import RunRecord
from cnnstudio.runs.trash import TRASH, move_to_trash, restore

NAMED = 12  # the runs named in a confirmation; more are counted


def confirmation(records: list[RunRecord]) -> str:
    names = [f"  {r.name}  ({Path(r.path).name})" for r in records[:NAMED]]
    if len(records) > NAMED:
        names.append(f"  and {len(records) - NAMED} more")
    what = "this run" if len(records) == 1 else f"these {len(records)} runs"
    text = (f"Move {what} to the trash?\n\n" + "\n".join(names)
            + f"\n\nThe folders go to {TRASH} in the runs folder; Undo Delete brings them back.")
    running = [r.name for r in records if r.status == "running"]
    if running:
        text += f"\n\nStill marked running: {', '.join(running)}."
    return text


class TrashBatches:
    """The runs moved to the trash, one batch per deletion, the last one last."""

    def __init__(self) -> None:
        self.batches: list[list[Path]] = []

    def __bool__(self) -> bool:
        return bool(self.batches)

    def delete(self, records: list[RunRecord]) -> tuple[set[str], list[str]]:
        """Move the runs to the trash: the paths moved, and one line per failure."""
        moved: list[Path] = []
        gone: set[str] = set()
        errors: list[str] = []
        for record in records:
            try:
                moved.append(move_to_trash(record.path))
                gone.add(record.path)
            except OSError as exc:
                errors.append(f"{record.path}: {exc}")
        if moved:
            self.batches.append(moved)
        return gone, errors

    def undo(self) -> tuple[list[Path], list[str]]:
        """Move the last batch back: the paths restored, and one line per failure."""
        restored: list[Path] = []
        errors: list[str] = []
        for trashed in self.batches.pop() if self.batches else []:
            try:
                restored.append(restore(trashed))
            except OSError as exc:
                errors.append(f"{trashed}: {exc}")
        return restored, errors
