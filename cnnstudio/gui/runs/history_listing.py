"""Listing a runs folder off the GUI thread (hundreds of runs: hundreds of JSON files and
designs to read).

``RunListing.start(folder)`` runs ``cnnstudio.runs.list_runs`` in a ``CallWorker`` (see
``gui/training/worker.py``) and emits ``listed(records)`` in the GUI thread; a listing
started while another is in flight cancels it (its result is dropped). Jobs are referenced
here until their thread has ended, so a listing in flight when the window closes is never
destroyed while running; the interpreter's exit gives them a last bounded wait.
"""

from __future__ import annotations

import atexit
import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from cnnstudio.gui.training.worker import EXIT_WAIT_MS, SHUTDOWN_MS, CallWorker, Job
from cnnstudio.runs import list_runs

log = logging.getLogger(__name__)

_IN_FLIGHT: set[Job] = set()


def _list(folder: Path, cancel: threading.Event) -> dict[str, Any]:  # worker thread
    return {"folder": str(folder), "records": [] if cancel.is_set() else list_runs(folder)}


@atexit.register
def _wait_in_flight() -> None:
    for job in list(_IN_FLIGHT):
        if job.qthread is not None and not job.qthread.wait(EXIT_WAIT_MS):
            log.warning("a run listing was still running at exit")


class RunListing(QObject):
    listed = Signal(list)  # list[RunRecord], newest first
    failed = Signal(str)  # the message
    runningChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job: Job | None = None

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def start(self, folder: Path) -> None:
        if self.job is not None:
            self.job.cancel()
        job = Job(CallWorker(lambda cancel: _list(folder, cancel)))  # no Qt parent
        _IN_FLIGHT.add(job)
        job.ended.connect(lambda: _IN_FLIGHT.discard(job))
        job.done.connect(self._on_done)
        job.failed.connect(self._on_failed)
        job.ended.connect(self._on_ended)
        self.job = job
        job.start()
        self.runningChanged.emit(True)

    @Slot(object)
    def _on_done(self, result: dict[str, Any]) -> None:
        self.listed.emit(result["records"])

    @Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        self.failed.emit(message)

    @Slot()
    def _on_ended(self) -> None:
        if self.job is not None and not self.job.running:
            self.job = None
            self.runningChanged.emit(False)

    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        """Cancel the listing in flight and wait at most ``timeout_ms`` (False: timed out)."""
        return self.job.shutdown(timeout_ms) if self.job is not None else True
