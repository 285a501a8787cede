"""Background work for the training dock: the engine and the inspection, each in a QThread.

``Job`` (a QObject living in the GUI thread) owns one QThread and one worker QObject moved to
it: ``started -> run``, and the worker's ``finished -> quit`` (a direct call). There is no
``deleteLater`` on the Python-subclassed worker (destroying it inside the finishing thread
while the GUI thread drops the QThread crashed shiboken): the Job keeps both referenced until
the thread's ``finished`` reaches the Job's slot in the GUI thread, waits for the thread, and
only then drops them and emits ``ended``. The worker's signals reach the Job's slots (queued,
in the GUI thread) and the Job relays them as its own ``progress``, ``done`` and ``failed``:
callers connect their ``@Slot`` receivers to the Job, never to the worker.

Workers emit plain Python values only (dicts of numbers, strings, NumPy arrays), never
tensors. Cancelling sets the worker's ``threading.Event``: the engine checks it every batch,
a ``CallWorker`` passes it to its function. The result of a cancelled ``CallWorker`` is
dropped, never shown; a cancelled training reports its "cancelled" result (the checkpoint it
kept). ``Job.shutdown(timeout_ms)`` (window close) drops every later result, cancels, quits
and waits at most ``timeout_ms``; it returns False and logs a warning when the thread has not
stopped by then (that thread is kept referenced until it ends). A thread is never terminated.

Training runs in a child process (issue #11): ``TrainWorker`` and ``ResumeWorker`` start
``cnnstudio.training.process.run_child`` with the ``spawn`` context (a fresh interpreter: no
QApplication, no Qt; torch is imported there, never in this process for training), pass it
plain values (project JSON text, the ``TrainConfig`` as a dict, paths as strings) and relay
what it sends through a Pipe from their QThread: its events as ``progress`` (batch events
throttled to ``EVENT_INTERVAL_S`` by the child), its result as ``done``, its failure as
``failed`` with the child's exception type name and message. The child uses every core and
holds no GIL the GUI thread waits for. Cancelling sets the child's ``multiprocessing.Event``
(the engine checks it every batch); a child still running ``CANCEL_GRACE_S`` later is
terminated (a process may be; a QThread never is) and that is reported, as is a child that
ends without a result ("the training process ended unexpectedly (exit code N)"). The
worker's ``pid`` is the child's; the child's first event is ``{"event": "process", "pid"}``.

Training, resuming and sweeps run in child processes. The workers that need torch in this
process (export, inspection, predict, checking pretrained weights: ``CallWorker(...,
needs_torch=True)``) load libtorch's libraries with the GIL released first (``preload.py``),
then import torch in their thread, so the first of them does not stall the GUI thread.
``prepared_data`` keeps the last prepared dataset so that the inspection of a run does not
read and split the same files again (training, in its own process, reads its data there).
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import multiprocessing
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from cnnstudio.core.graph import Graph
from cnnstudio.gui.training.preload import preload_torch
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.process import (  # noqa: F401  (result_dict: re-exported)
    is_expected,
    result_dict,
    run_child,
)

log = logging.getLogger(__name__)

SHUTDOWN_MS = 5000  # the longest a closing window waits for a worker
EXIT_WAIT_MS = 10_000  # the longest the interpreter's exit waits for a worker left running
EVENT_INTERVAL_S = 0.05  # batch events forwarded to the GUI thread at most 20 times a second
CANCEL_GRACE_S = 10.0  # a training process still running this long after Stop is ended
PROCESS_EXIT_S = 10.0  # the longest wait for a training process to exit after its result
POLL_S = 0.1  # how often the relaying thread looks at the cancel flag
_DATA_CACHE: dict[str, Any] = {}
_DATA_LOCK = threading.Lock()


def prepared_data(source: str, input_shape: tuple[int, int, int], config: TrainConfig,
                  root: str | None = None) -> Any:
    """``load_data`` for this source, shape and split, reusing the last one prepared."""
    from cnnstudio.training import load_data

    key = repr((str(source), tuple(input_shape), config.val_split, config.test_split,
                config.seed, config.grey, str(root or "")))
    with _DATA_LOCK:
        if _DATA_CACHE.get("key") != key:
            _DATA_CACHE.clear()
            _DATA_CACHE["data"] = load_data(source, input_shape, config, root=root)
            _DATA_CACHE["key"] = key
        return _DATA_CACHE["data"]


class Worker(QObject):
    """Base worker: ``run`` calls ``work`` and reports its value or its exception.

    ``keep_result_when_cancelled``: whether a result that arrives after ``cancel`` is still
    meant for the user (a stopped training's summary) or dropped (an inspection's images).
    """

    keep_result_when_cancelled: ClassVar[bool] = False
    needs_torch: ClassVar[bool] = False  # import torch first thing in ``run`` (preloaded)
    progress = Signal(object)  # dict
    done = Signal(object)  # dict
    failed = Signal(str, str)  # exception type name, message
    finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.cancel = threading.Event()
        self._last_batch = 0.0  # when the last batch event was forwarded

    def work(self) -> dict[str, Any]:
        raise NotImplementedError

    def _listen(self, event: dict[str, Any]) -> None:
        """The engine's listener (worker thread): batch events at most every
        ``EVENT_INTERVAL_S``, always the last batch of an epoch; every other event."""
        if event.get("event") == "batch" and event.get("batch") != event.get("batches"):
            now = time.perf_counter()
            if now - self._last_batch < EVENT_INTERVAL_S:
                return
            self._last_batch = now
        self.progress.emit(dict(event))

    @Slot()
    def run(self) -> None:
        try:
            if self.needs_torch:
                preload_torch()
                import torch  # noqa: F401  (in this thread, before anything else needs it)
            result = self.work()
        except TrainingProcessError as exc:  # the child's (kind, message), as it sent them
            self.failed.emit(exc.kind, exc.message)
        except Exception as exc:  # every failure reaches the user as a message box
            message = str(exc) or type(exc).__name__
            if not _is_expected(exc):
                message += "\n\n" + "".join(traceback.format_exception(exc)[-3:])
            self.failed.emit(type(exc).__name__, message)
        else:
            self.done.emit(result)
        finally:
            self.finished.emit()


def _is_expected(exc: Exception) -> bool:
    """Errors whose message is meant for the user as it is (no traceback needed): the
    project's own error types and ValueErrors from its checks."""
    return is_expected(exc)


class TrainingProcessError(Exception):
    """A failure in (or of) the training process: ``kind`` is the child's exception type name
    (or ``TrainingProcessError`` when the process itself ended or was ended), ``message`` the
    text to show as it is."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


class ProcessWorker(Worker):
    """Runs a training job in a child process (``cnnstudio.training.process.run_child``,
    started with the spawn context) and relays what it sends: its events as ``progress``, its
    result as ``done``, its failure as ``failed`` with the child's (kind, message).

    ``cancel`` (this worker's ``threading.Event``) is forwarded to the child's
    ``multiprocessing.Event``, which its engine checks every batch; a child still running
    ``CANCEL_GRACE_S`` after that is terminated and the stop reported as a failure. A child
    that ends without a result (killed, crashed, out of memory) is a failure too, never a hang.
    """

    keep_result_when_cancelled = True

    def __init__(self) -> None:
        super().__init__()
        self.pid: int | None = None  # the child's, once started

    def job(self) -> dict[str, Any]:
        raise NotImplementedError

    def checkpoints(self) -> Path:
        raise NotImplementedError

    def _kept(self) -> str:
        folder = self.checkpoints()
        if (folder / "last.json").is_file():
            return f"the last good checkpoint is kept in {folder}"
        return "no checkpoint had been saved"

    def work(self) -> dict[str, Any]:
        job = self.job()  # before the process starts: a bad argument fails here
        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        stop = ctx.Event()
        process = ctx.Process(target=run_child, args=(job, send, stop),
                              name=f"cnnstudio-{job['kind']}")
        process.start()
        send.close()  # the child holds the only write end: its end is our EOF
        self.pid = process.pid
        try:
            return self._relay(process, receive, stop)
        finally:
            receive.close()
            end_process(process, PROCESS_EXIT_S)

    def _relay(self, process: Any, receive: Any, stop: Any) -> dict[str, Any]:
        deadline: float | None = None
        while True:
            if deadline is None and self.cancel.is_set():
                stop.set()
                deadline = time.monotonic() + CANCEL_GRACE_S
            if deadline is not None and time.monotonic() > deadline:
                end_process(process, 0.0)
                raise TrainingProcessError(
                    "TrainingProcessError",
                    f"the training process did not stop within {CANCEL_GRACE_S:.0f} s of the "
                    f"request and was ended (exit code {process.exitcode}); {self._kept()}.")
            if not receive.poll(POLL_S):
                continue
            try:
                message = receive.recv()
            except (EOFError, OSError):
                process.join(PROCESS_EXIT_S)
                raise TrainingProcessError(
                    "TrainingProcessError",
                    "the training process ended unexpectedly (exit code "
                    f"{process.exitcode}); {self._kept()}.") from None
            if message[0] == "event":
                self.progress.emit(message[1])
            elif message[0] == "done":
                return dict(message[1])
            else:
                raise TrainingProcessError(message[1], message[2])


def end_process(process: Any, wait_s: float) -> None:
    """Join ``process`` for ``wait_s``, then terminate it, then kill it (bounded waits)."""
    process.join(wait_s)
    if process.is_alive():
        process.terminate()
        process.join(PROCESS_EXIT_S)
    if process.is_alive():
        process.kill()
        process.join(PROCESS_EXIT_S)


class TrainWorker(ProcessWorker):
    """Build the model from a private copy of the graph, apply the config's pretrained weights
    and frozen nodes (``presets_torch.finetune``, as ``cnnstudio train``) and train it, in a
    child process (``cnnstudio.training.process.train``)."""

    def __init__(self, graph: Graph, source: str, config: TrainConfig, run_dir: Path,
                 input_shape: tuple[int, int, int], root: str | None = None,
                 project_text: str | None = None) -> None:
        super().__init__()
        self.graph, self.source, self.config = graph, source, config
        self.run_dir, self.input_shape, self.root = run_dir, input_shape, root
        self.project_text = project_text  # written as RUN/project.cnnproj once checks pass

    def job(self) -> dict[str, Any]:
        from cnnstudio.core import project_io

        project = (project_io.Project(self.graph) if self.project_text is None
                   else project_io.loads(self.project_text))
        project.graph = self.graph
        return {"kind": "train", "project": project_io.dumps(project),
                "write_project": self.project_text is not None, "source": str(self.source),
                "config": dataclasses.asdict(self.config), "run_dir": str(self.run_dir),
                "input_shape": list(self.input_shape),
                "root": None if self.root is None else str(self.root)}

    def checkpoints(self) -> Path:
        return Path(self.run_dir) / "checkpoints"


class ResumeWorker(ProcessWorker):
    """Continue a run folder from its last checkpoint up to ``epochs``
    (``cnnstudio.training.api.resume``: the same checks and messages as ``train --resume``),
    in a child process (``cnnstudio.training.process.resume``)."""

    def __init__(self, run_dir: Path, epochs: int, root: str | None = None) -> None:
        super().__init__()
        self.run_dir, self.epochs, self.root = run_dir, epochs, root

    def job(self) -> dict[str, Any]:
        return {"kind": "resume", "run_dir": str(self.run_dir), "epochs": int(self.epochs),
                "root": None if self.root is None else str(self.root)}

    def checkpoints(self) -> Path:
        return Path(self.run_dir) / "checkpoints"


class CallWorker(Worker):
    """Run ``function(cancel)``, which returns a plain dict (the inspection computations).

    ``cancel`` is the worker's ``threading.Event``: a long function checks it between steps
    and returns early. A cancelled job's result is dropped by its ``Job``.
    """

    def __init__(self, function: Callable[[threading.Event], dict[str, Any]],
                 needs_torch: bool = False) -> None:
        super().__init__()
        self.function = function
        self.needs_torch = needs_torch

    def work(self) -> dict[str, Any]:
        if self.cancel.is_set():
            return {"status": "cancelled"}
        return self.function(self.cancel)


class Job(QObject):
    """One worker in its own QThread, driven from the GUI thread (create it there).

    ``progress``, ``done`` and ``failed`` relay the worker's signals in the GUI thread (none
    after ``shutdown``, and none from a cancelled worker that does not keep its result);
    ``ended`` fires in the GUI thread once the thread has stopped and been released.
    """

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(str, str)
    ended = Signal()

    def __init__(self, worker: Worker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: Worker | None = worker
        self.qthread: QThread | None = QThread()  # no Qt parent: released in _release
        self.qthread.setObjectName(type(worker).__name__)
        self.closing = False
        self._cancel = worker.cancel
        self._keep_cancelled = worker.keep_result_when_cancelled
        worker.moveToThread(self.qthread)
        self.qthread.started.connect(worker.run)
        # quit from the worker thread itself: a queued quit would wait for the GUI thread
        worker.finished.connect(self.qthread.quit, Qt.ConnectionType.DirectConnection)
        worker.progress.connect(self._on_progress)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        self.qthread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        assert self.qthread is not None
        self.qthread.start()

    @property
    def running(self) -> bool:
        return self.qthread is not None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def _dropping(self) -> bool:
        return self.closing or (self._cancel.is_set() and not self._keep_cancelled)

    @Slot(object)
    def _on_progress(self, event: dict[str, Any]) -> None:
        if not self._dropping():
            self.progress.emit(event)

    @Slot(object)
    def _on_done(self, result: dict[str, Any]) -> None:
        if not self._dropping():
            self.done.emit(result)

    @Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        if not self._dropping():
            self.failed.emit(kind, message)

    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        """Cancel, quit and wait at most ``timeout_ms``; False (and a warning) on a timeout.

        Results arriving later are dropped. A thread still running after the timeout is never
        terminated: the Job stays referenced (``_PARKED``) until the thread ends.
        """
        thread = self.qthread
        if thread is None:
            return True
        self.closing = True
        self.cancel()
        thread.quit()
        if not thread.wait(max(0, int(timeout_ms))):
            log.warning("%s did not stop within %d ms; it is left to finish on its own",
                        thread.objectName(), timeout_ms)
            _park(self)
            return False
        self._release()
        return True

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self.qthread
        if thread is None:
            return
        # finished is emitted just before the thread ends: this wait is short
        if not thread.wait(SHUTDOWN_MS):
            log.warning("%s emitted finished but has not ended; waiting again",
                        thread.objectName())
            _park(self)
            QTimer.singleShot(100, self._on_thread_finished)
            return
        self._release()

    def _release(self) -> None:
        """Drop the worker and the (stopped, waited) thread on the GUI thread; emit ``ended``."""
        self.qthread = None
        self.worker = None
        _PARKED.discard(self)
        self.ended.emit()


_PARKED: set[Job] = set()  # jobs whose thread outlived a bounded wait, kept until they end


def _park(job: Job) -> None:
    _PARKED.add(job)


@atexit.register
def _wait_parked() -> None:
    """At exit, give threads left running a last bounded wait (a running QThread destroyed
    at exit aborts the process)."""
    for job in list(_PARKED):
        if job.qthread is not None and not job.qthread.wait(EXIT_WAIT_MS):
            log.warning("%s still running at exit", job.qthread.objectName())
