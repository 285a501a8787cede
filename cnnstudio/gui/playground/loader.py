"""Loading a node's filters for the playground in a worker thread (``weights.node_filters``).

One load at a time: a new one cancels the one in flight (its result is dropped, its ``Job``
kept until the thread has ended). ``loaded(result)`` and ``failed(message)`` arrive in the
GUI thread; ``shutdown`` waits a bounded time for every thread (the playground, the main
window or the app closing).
Every ``Job`` is also held by this module until its thread has ended, so a loader destroyed
with its window never destroys a running thread (which would abort the process).
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Signal, Slot

from cnnstudio.gui.playground.weights import node_filters
from cnnstudio.gui.training.worker import EXIT_WAIT_MS, SHUTDOWN_MS, CallWorker, Job

_LIVE: set[Job] = set()  # jobs whose thread has not ended yet, whoever started them


@atexit.register
def _wait_live() -> None:
    """At exit, a last bounded wait for loads still running (a running QThread destroyed at
    exit aborts the process)."""
    for job in list(_LIVE):
        if job.qthread is not None:
            job.cancel()
            job.qthread.wait(EXIT_WAIT_MS)


class FilterLoader(QObject):
    loaded = Signal(object)  # the dict of ``node_filters``
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, watch: QObject | None = None) -> None:
        """``watch``: the main window; its closing stops the load before it goes."""
        super().__init__(parent)
        self.job: Job | None = None
        self._old_jobs: list[Job] = []
        self.watched = watch
        if watch is not None:
            watch.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The watched window closing (hidden, not minimised): shut down, so that no worker
        thread outlives the window that owns it."""
        if watched is self.watched and event.type() == QEvent.Type.Hide \
                and not event.spontaneous():
            self.shutdown()
        return False

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def load(self, project: dict[str, Any], node_name: str, run: Path | None) -> None:
        """Start loading ``node_name``'s filters (untrained when ``run`` is None)."""
        self.cancel()

        def task(cancel: threading.Event) -> dict[str, Any]:
            return node_filters(project, node_name, run, cancel)

        self.job = Job(CallWorker(task, needs_torch=True))
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.ended.connect(self._on_ended)
        job = self.job
        _LIVE.add(job)
        job.ended.connect(lambda: _LIVE.discard(job))
        job.start()

    def cancel(self) -> None:
        """Drop the load in flight, if any."""
        if self.job is not None:
            self.job.cancel()
            self._old_jobs.append(self.job)
            self.job = None

    @Slot(object)
    def _on_done(self, result: dict[str, Any]) -> None:
        self.loaded.emit(result)

    @Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        self.failed.emit(message.splitlines()[0] if message else kind)

    @Slot()
    def _on_ended(self) -> None:
        self._old_jobs = [j for j in self._old_jobs if j.running]
        if self.job is not None and not self.job.running:
            self.job = None

    @Slot()
    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        """Cancel and wait at most ``timeout_ms`` for each thread (False: one timed out)."""
        jobs = self._old_jobs + ([self.job] if self.job is not None else [])
        return all([job.shutdown(timeout_ms) for job in jobs])
