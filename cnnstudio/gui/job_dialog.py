"""A dialog that runs one worker job at a time: the base of File > Export and File > Import.

``run_job(worker)`` starts the worker in a ``Job`` (Python-owned, no Qt parent) and relays
its ``progress``, ``done`` and ``failed`` to ``_on_progress``, ``_on_done`` and
``_on_failed``; a failure is shown by ``show_error`` (``status`` line: ``FAILED``, ``report``:
the message). ``job_ended`` runs once the worker's thread has ended. Closing the dialog waits
(bounded) for a running job, which is cancelled. Subclasses make the ``status`` label and
the ``report`` text box.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QWidget

from cnnstudio.gui.training.worker import Job, Worker

SHUTDOWN_MS = 5000


class JobDialog(QDialog):
    #: the status line after a failure
    FAILED = "Failed; nothing was written."
    status: QLabel
    report: QPlainTextEdit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job: Job | None = None
        self.result: dict[str, Any] | None = None
        self.error: str | None = None

    def run_job(self, worker: Worker) -> None:
        self.result, self.error = None, None
        self.job = Job(worker)  # Python-owned (no Qt parent): released after its thread ends
        self.job.progress.connect(self._on_progress)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.ended.connect(self._on_ended)
        self.job.start()

    @Slot(object)
    def _on_progress(self, event: dict[str, Any]) -> None:
        """A progress event of the worker (none by default)."""

    @Slot(object)
    def _on_done(self, result: dict[str, Any]) -> None:
        self.result = result

    @Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        self.show_error(message)

    def show_error(self, message: str) -> None:
        self.error = message
        self.status.setText(self.FAILED)
        self.report.setPlainText(message)

    @Slot()
    def _on_ended(self) -> None:
        self.job = None
        self.job_ended()

    def job_ended(self) -> None:
        """The worker's thread has ended (after done or failed)."""

    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        return self.job.shutdown(timeout_ms) if self.job is not None else True

    def done(self, code: int) -> None:  # closing waits (bounded) for a running job
        self.shutdown()
        super().done(code)
