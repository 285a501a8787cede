"""What a user says about a run: a name and notes, kept in the run folder's ``run.json``."""

from __future__ import annotations

import json
from pathlib import Path

from cnnstudio.core.files import write_bytes_atomic
from cnnstudio.runs.record import read_json

USER_FILE = "run.json"


def set_name_and_notes(run_dir: str | Path, name: str | None = None,
                       notes: str | None = None) -> None:
    """Set the run's name and/or notes (None keeps the current one; "" clears it)."""
    path = Path(run_dir) / USER_FILE
    current = read_json(path, {})
    current = current if isinstance(current, dict) else {}
    if name is not None:
        current["name"] = name
    if notes is not None:
        current["notes"] = notes
    write_bytes_atomic(path, json.dumps(current, indent=2, ensure_ascii=False).encode("utf-8"))
