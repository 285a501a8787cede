"""Background work for the training dock: the engine and the inspection, each in a QThread.

``Job`` owns one QThread and one worker QObject moved to it (``started -> run``,
``finished -> quit``, ``finished -> deleteLater``); the dock keeps at most one training job
and one inspection job. Workers emit plain Python values only (dicts of numbers, strings,
NumPy arrays), never tensors: ``progress`` carries the engine's listener events, ``done`` the
result, ``failed`` an error's type name and message. Cancelling sets a ``threading.Event``
that the engine checks every batch; a thread is never terminated, and ``Job.shutdown`` (on
window close) cancels, quits and waits.

torch is imported only inside ``run`` (in the worker thread), so the app starts without it.
``prepared_data`` keeps the last prepared dataset so that a second run, or the inspection of
a run, does not read and split the same files again.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from cnnstudio.core.graph import Graph
from cnnstudio.training.config import TrainConfig

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
    """Base worker: ``run`` calls ``work`` and reports its value or its exception."""

    progress = Signal(object)  # dict
    done = Signal(object)  # dict
    failed = Signal(str, str)  # exception type name, message
    finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.cancel = threading.Event()

    def work(self) -> dict[str, Any]:
        raise NotImplementedError

    @Slot()
    def run(self) -> None:
        try:
            result = self.work()
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
    """Errors whose message is meant for the user as it is (no traceback needed)."""
    from cnnstudio.training.errors import DatasetError, TrainingError

    return isinstance(exc, (DatasetError, TrainingError, ValueError))


class TrainWorker(Worker):
    """Build the model from a private copy of the graph and run ``cnnstudio.training.train``."""

    def __init__(self, graph: Graph, source: str, config: TrainConfig, run_dir: Path,
                 input_shape: tuple[int, int, int], root: str | None = None) -> None:
        super().__init__()
        self.graph, self.source, self.config = graph, source, config
        self.run_dir, self.input_shape, self.root = run_dir, input_shape, root

    def _listen(self, event: dict[str, Any]) -> None:
        self.progress.emit(dict(event))

    def work(self) -> dict[str, Any]:
        from cnnstudio.compiler import build_model
        from cnnstudio.training import train

        self.progress.emit({"event": "preparing", "message": "Loading the data..."})
        model = build_model(self.graph, for_training=True)
        data = prepared_data(self.source, self.input_shape, self.config, self.root)
        if self.cancel.is_set():
            return {"status": "cancelled", "epochs_done": 0, "run_dir": str(self.run_dir),
                    "message": "cancelled before the first batch", "test_metrics": None}
        result = train(model, data, self.config, self.run_dir, listener=self._listen,
                       cancel=self.cancel)
        return {"status": result.status, "epochs_done": result.epochs_done,
                "best_epoch": result.best_epoch, "message": result.message,
                "test_metrics": result.test_metrics, "run_dir": str(self.run_dir)}


class CallWorker(Worker):
    """Run any callable returning a plain dict (the inspection computations)."""

    def __init__(self, function: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self.function = function

    def work(self) -> dict[str, Any]:
        return self.function()


class Job(QObject):
    """One worker in its own QThread; ``ended`` fires in the GUI thread once it has stopped."""

    ended = Signal()

    def __init__(self, worker: Worker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: Worker | None = worker
        self.qthread: QThread | None = QThread(self)
        self.qthread.setObjectName(type(worker).__name__)
        worker.moveToThread(self.qthread)
        self.qthread.started.connect(worker.run)
        worker.finished.connect(self.qthread.quit)
        worker.finished.connect(worker.deleteLater)
        self.qthread.finished.connect(self.qthread.deleteLater)
        self.qthread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        assert self.qthread is not None
        self.qthread.start()

    @property
    def running(self) -> bool:
        return self.qthread is not None

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel.set()

    def shutdown(self) -> None:
        """Cancel, quit and wait until the thread has stopped (blocks; never terminates)."""
        thread = self.qthread
        if thread is None:
            return
        self.cancel()
        thread.quit()
        thread.wait()
        self._on_thread_finished()

    @Slot()
    def _on_thread_finished(self) -> None:
        if self.qthread is None:
            return
        self.qthread = None
        self.worker = None
        self.ended.emit()
