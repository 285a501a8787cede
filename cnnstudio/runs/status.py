"""``status.json``: how a run stands, written by the engine as it starts and ends.

``StatusWriter(run_dir)`` is a listener of the engine's progress events (the Trainer adds it
when it has a run folder): ``start`` records ``running`` with the time, ``end`` the final
status (``completed``, ``early_stopped``, ``cancelled`` or ``error``), its message and the
time. A run whose process died shows ``running`` with no end: the history says "interrupted"
when its ``status.json`` is older than its last checkpoint and nothing runs it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from cnnstudio.core.files import write_bytes_atomic

STATUS_FILE = "status.json"


def write_status(run_dir: str | Path, **values: Any) -> None:
    """Merge ``values`` into the run's status.json (written atomically)."""
    path = Path(run_dir) / STATUS_FILE
    current: dict[str, Any] = {}
    if path.is_file():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            current = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            current = {}
    current.update(values)
    write_bytes_atomic(path, json.dumps(current, indent=2).encode("utf-8"))


class StatusWriter:
    """An engine listener that keeps ``status.json`` current."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "start":  # "started" is the first start; a resume sets "resumed"
            now = time.time()
            first = not (self.run_dir / STATUS_FILE).is_file()
            write_status(self.run_dir, status="running", message="", ended=None,
                         epochs=event.get("epochs"), **({"started": now} if first else
                                                        {"resumed": now}))
        elif kind == "end":
            write_status(self.run_dir, status=str(event.get("status", "error")),
                         message=str(event.get("message", "")), ended=time.time())
