"""Files around the document: the recent-files list and autosave with crash recovery.

``RecentFiles`` keeps paths in QSettings (always read with ``type=``: on Linux QSettings
returns a bare string for a one-item list). ``AutoSaver`` writes a recovery copy of a
modified document on a timer (atomically, through the core's ``project_io.save``) beside a
lock file naming this process. At start-up, a recovery copy whose lock is missing or whose
process is gone was left by a crash: ``find_orphans`` lists them for the window to offer.
A clean exit removes this session's files.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer, Slot

from cnnstudio.core import project_io
from cnnstudio.core.files import write_bytes_atomic
from cnnstudio.gui.document import Document

RECENT_KEY = "files/recent"
RECENT_LIMIT = 10


class RecentFiles:
    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def paths(self) -> list[str]:
        value = self.settings.value(RECENT_KEY, [], type=list)
        return [str(p) for p in value if p]

    def add(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        self.settings.setValue(RECENT_KEY, ([p] + [q for q in self.paths() if q != p])
                               [:RECENT_LIMIT])

    def remove(self, path: str) -> None:
        self.settings.setValue(RECENT_KEY, [q for q in self.paths() if q != path])

    def clear(self) -> None:
        self.settings.setValue(RECENT_KEY, [])


def default_recovery_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".cnnstudio") / "recovery"


@dataclass
class Recovery:
    """A recovery copy left by a session that did not exit cleanly."""

    project: Path
    original: Path | None
    saved_at: float

    def discard(self) -> None:
        for p in (self.project, self.project.with_suffix(".json"),
                  self.project.with_suffix(".lock")):
            p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def find_orphans(folder: Path) -> list[Recovery]:
    """Recovery copies whose session is gone, newest first."""
    out = []
    for project in folder.glob("session-*.cnnproj"):
        lock = project.with_suffix(".lock")
        try:
            pid = int(lock.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            pid = -1
        if pid == os.getpid() or (pid > 0 and _alive(pid)):
            continue
        try:
            meta = json.loads(project.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        original = meta.get("path") if isinstance(meta, dict) else None
        out.append(Recovery(project, Path(original) if isinstance(original, str) else None,
                            project.stat().st_mtime))
    return sorted(out, key=lambda r: r.saved_at, reverse=True)


class AutoSaver(QObject):
    def __init__(self, folder: Path, interval_ms: int = 60_000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"session-{os.getpid()}"
        self.project_path = folder / f"{stem}.cnnproj"
        self.meta_path = folder / f"{stem}.json"
        self.lock_path = folder / f"{stem}.lock"
        self.lock_path.write_text(str(os.getpid()), encoding="utf-8")
        self.doc: Document | None = None
        self._saved: tuple[int, int] | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()

    def set_document(self, doc: Document) -> None:
        self.doc = doc
        self._saved = None
        doc.modifiedChanged.connect(self._on_modified)
        if not doc.modified:
            self.clear()

    @Slot(bool)
    def _on_modified(self, modified: bool) -> None:
        if not modified:
            self.clear()

    @Slot()
    def save_now(self) -> bool:
        """Write the recovery copy if the document changed since the last one."""
        doc = self.doc
        if doc is None or not doc.modified:
            return False
        state = (id(doc), doc.undo_stack.index())
        if state == self._saved and self.project_path.exists():
            return False
        project_io.save(doc.to_project(), self.project_path)
        write_bytes_atomic(self.meta_path, json.dumps(
            {"path": str(doc.path) if doc.path else None, "saved": time.time()}).encode())
        self._saved = state
        return True

    def clear(self) -> None:
        self.project_path.unlink(missing_ok=True)
        self.meta_path.unlink(missing_ok=True)
        self._saved = None

    def shutdown(self) -> None:
        """A clean exit: no recovery copy, no lock."""
        self.timer.stop()
        self.clear()
        self.lock_path.unlink(missing_ok=True)
