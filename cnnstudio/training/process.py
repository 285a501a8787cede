"""The app's training runs in a child process: the engine calls of its training workers.

``run_child`` is the target of a ``multiprocessing`` *spawn* process started by
``cnnstudio.gui.training.worker`` (a fresh interpreter: no QApplication, no Qt, torch imported
here only). It receives a plain dict (the project as project JSON text, the ``TrainConfig`` as
a dict, paths as strings), a ``Connection`` to send on and a ``multiprocessing.Event`` the
engine checks every batch (the engine only calls ``is_set()`` on its ``cancel``). It sends:

- ``("event", dict)``: first ``{"event": "process", "pid": ...}``, then the engine's progress
  events (plain dicts; batch events at most every ``EVENT_INTERVAL_S``, the last batch of an
  epoch always; the ``start`` event carries the child's ``pid`` too);
- then one of ``("done", result dict)`` or ``("failed", exception type name, message)``. The
  message is ``str(exc)``; a traceback tail is added only for errors that are not the
  project's own (``is_expected``).

This module is torch-free and Qt-free at import (the GUI process imports it); the child uses
every core (``num_threads`` 0 is the CLI's automatic choice: the GUI needs little CPU).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from pathlib import Path
from typing import Any

#: the events of a sweep the child sends (a sweep's batches would only flood the GUI thread)
SWEEP_EVENTS = ("trial", "trial_end", "epoch")
EVENT_INTERVAL_S = 0.05  # batch events sent at most 20 times a second
PARENT_POLL_S = 1.0  # how often the child checks that the app is still there
#: the child's scheduling priority below the app's: the GUI thread gets a core the moment it
#: wants one (its timers and slots need little CPU), training takes every cycle left
NICENESS = 10


def is_expected(exc: BaseException) -> bool:
    """Errors whose message is meant for the user as it is (no traceback needed): the
    project's own error types and ValueErrors from its checks."""
    return type(exc).__module__.startswith("cnnstudio.") or type(exc) is ValueError


def describe(exc: BaseException) -> tuple[str, str]:
    """(exception type name, message) as the app shows a failure."""
    message = str(exc) or type(exc).__name__
    if not is_expected(exc):
        message += "\n\n" + "".join(traceback.format_exception(exc)[-3:])
    return type(exc).__name__, message


class Throttle:
    """A listener that forwards events to ``send``: batch events at most every
    ``interval_s`` (always the last batch of an epoch), every other event."""

    def __init__(self, send: Any, interval_s: float = EVENT_INTERVAL_S,
                 extra_start: dict[str, Any] | None = None) -> None:
        self.send, self.interval_s = send, interval_s
        self.extra_start = extra_start or {}
        self.last = 0.0

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("event") == "batch" and event.get("batch") != event.get("batches"):
            now = time.perf_counter()
            if now - self.last < self.interval_s:
                return
            self.last = now
        event = dict(event)
        if event.get("event") == "start":
            event.update(self.extra_start)
        self.send(event)


def result_dict(result: Any, run_dir: Path) -> dict[str, Any]:
    """A ``TrainResult`` as the plain dict the panel shows."""
    return {"status": result.status, "epochs_done": result.epochs_done,
            "best_epoch": result.best_epoch, "message": result.message,
            "test_metrics": result.test_metrics, "run_dir": str(run_dir)}


def _watch_parent(stop: Any) -> None:
    """Stop (keeping the checkpoint) when the app that started this process has gone."""
    parent = os.getppid()

    def watch() -> None:
        while not stop.is_set():
            if os.getppid() != parent:
                stop.set()
                return
            time.sleep(PARENT_POLL_S)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run_child(job: dict[str, Any], conn: Any, stop: Any) -> None:
    """The child process's body: run ``job`` and send its events and outcome on ``conn``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is the app's to handle
    if hasattr(os, "nice"):
        try:
            os.nice(NICENESS)
        except OSError:
            pass
    lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            conn.send(message)

    def emit(event: dict[str, Any]) -> None:
        send(("event", event))

    try:
        emit({"event": "process", "pid": os.getpid()})
        _watch_parent(stop)
        listener = Throttle(emit, extra_start={"pid": os.getpid()})
        if job["kind"] == "train":
            result = train(job, listener, emit, stop)
        elif job["kind"] == "sweep":
            result = sweep(job, emit, stop)
        else:
            result = resume(job, listener, emit, stop)
    except Exception as exc:  # every failure reaches the user as a message box
        send(("failed", *describe(exc)))
    else:
        send(("done", result))
    finally:
        conn.close()


def train(job: dict[str, Any], listener: Any, emit: Any, stop: Any) -> dict[str, Any]:
    """A new run (``TrainWorker``): the pretrained weights and frozen nodes of the config
    (``presets_torch.finetune``, as ``cnnstudio train --weights --freeze``), every check, then
    the run folder, then ``fit``."""
    from cnnstudio.core import project_io
    from cnnstudio.core.files import write_bytes_atomic
    from cnnstudio.presets_torch.finetune import prepare_fine_tuning, write_report
    from cnnstudio.training.api import load_data, make_trainer
    from cnnstudio.training.config import TrainConfig

    run_dir = Path(job["run_dir"])
    config = TrainConfig(**job["config"])
    config.leave_core_for_gui = False  # this process has the cores to itself
    emit({"event": "preparing", "message": "Loading the data..."})
    project = project_io.loads(job["project"])
    model, report = prepare_fine_tuning(project, config.weights, config.freeze)
    shape = tuple(job["input_shape"])
    data = load_data(job["source"], (shape[0], shape[1], shape[2]), config, root=job["root"])
    if stop.is_set():
        return {"status": "cancelled", "epochs_done": 0, "run_dir": str(run_dir),
                "message": "cancelled before the first batch", "test_metrics": None}
    # every check (settings, data against the model) before the run folder is made
    trainer = make_trainer(model, data, config, run_dir, listener=listener, cancel=stop)
    run_dir.mkdir(parents=True, exist_ok=False)
    if job["write_project"]:  # with the nodes --freeze froze
        write_bytes_atomic(run_dir / "project.cnnproj", project_io.dumps(project).encode("utf-8"))
    if report is not None:
        write_report(run_dir, report)
        emit({"event": "preparing", "message": "; ".join(report.lines())})
    return result_dict(trainer.fit(), run_dir)


def resume(job: dict[str, Any], listener: Any, emit: Any, stop: Any) -> dict[str, Any]:
    """Continue a run folder (``ResumeWorker``) from its last checkpoint up to ``epochs``."""
    from cnnstudio.compiler import build_model
    from cnnstudio.core.project_io import load
    from cnnstudio.training.api import resume as resume_run

    run_dir = Path(job["run_dir"])
    emit({"event": "preparing", "message": "Loading the data..."})
    model = build_model(load(run_dir / "project.cnnproj").graph, for_training=True)
    result = resume_run(model, run_dir, epochs=job["epochs"], root=job["root"],
                        changes={"leave_core_for_gui": False}, listener=listener, cancel=stop)
    return result_dict(result, run_dir)


def sweep(job: dict[str, Any], emit: Any, stop: Any) -> dict[str, Any]:
    """A sweep (``SweepWorker``): ``prepare_sweep``'s checks (``resume_sweep``'s for a job
    with ``resume``), then the trials, each an ordinary run folder in ``job["out"]``; sends
    only ``SWEEP_EVENTS``."""
    from cnnstudio.core import project_io
    from cnnstudio.sweeps.runner import Pruning, prepare_sweep, resume_sweep
    from cnnstudio.sweeps.space import SweepParam
    from cnnstudio.training.config import TrainConfig

    out = Path(job["out"])
    if job.get("resume"):
        emit({"event": "preparing", "message": "Reading the sweep and loading the data..."})
        plan = resume_sweep(out, trials=job["trials"] or None, root=job["root"])
        return _run_sweep(plan, out, emit, stop)
    config = TrainConfig(**job["config"])
    config.leave_core_for_gui = False
    emit({"event": "preparing", "message": "Checking the settings and loading the data..."})
    shape = tuple(job["input_shape"])
    plan = prepare_sweep(project_io.loads(job["project"]), job["source"],
                         [SweepParam.from_dict(p) for p in job["space"]], config, out,
                         input_shape=(shape[0], shape[1], shape[2]),
                         strategy=job["strategy"], trials=job["trials"] or None,
                         metric=job["metric"], root=job["root"],
                         pruning=Pruning(job["prune"], 2, 1), target=job["target"])
    return _run_sweep(plan, out, emit, stop)


def _run_sweep(plan: Any, out: Path, emit: Any, stop: Any) -> dict[str, Any]:
    if stop.is_set():
        return {"status": "cancelled", "folder": str(out)}
    record = plan.run(lambda e: emit(e) if e["event"] in SWEEP_EVENTS else None, stop)
    return {"status": record.status, "folder": str(out)}


def report_device(device: str, conn: Any) -> None:
    """A child process's body for the app's memory line: send ``("ok", device_report)`` or
    ``("error", message)`` for ``device`` on ``conn`` (torch is imported here, not in the
    app)."""
    try:
        from cnnstudio.training.device import device_report

        conn.send(("ok", device_report(device)))
    except Exception as exc:  # a missing device, a broken CUDA: the line names it
        conn.send(("error", str(exc) or type(exc).__name__))
    finally:
        conn.close()
