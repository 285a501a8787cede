"""The training dock's ``Job``/workers under stress (issue #9), with real threads and the engine.

Hundreds of short jobs in a row while a competing Python thread burns CPU used to crash the
process (SIGSEGV in shiboken during DeferredDelete: ``finished -> deleteLater`` on the
Python-subclassed worker); now every result reaches a ``@Slot`` in the GUI thread, in order.
Also: a bounded ``shutdown`` of a slow job returns on time and reports the timeout, a
cancelled call's result is dropped, and cancelling stops a running training.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QObject, QThread, Slot

from cnnstudio.core import project_io
from cnnstudio.gui.training import worker as worker_module
from cnnstudio.gui.training.worker import CallWorker, Job, TrainWorker
from cnnstudio.resources import resource_path
from cnnstudio.training.config import TrainConfig

JOBS = 300
TIMEOUT_MS = 60_000


def on_gui_thread() -> bool:
    app = QCoreApplication.instance()
    assert app is not None
    return QThread.currentThread() is app.thread() and threading.current_thread() is \
        threading.main_thread()


class Recorder(QObject):
    """GUI-thread receivers of one or more jobs: what arrived, and on which thread."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []
        self.failures: list[tuple[str, str]] = []
        self.ended = 0
        self.off_thread = 0

    def watch(self, job: Job) -> Job:
        job.progress.connect(self.on_progress)
        job.done.connect(self.on_done)
        job.failed.connect(self.on_failed)
        job.ended.connect(self.on_ended)
        return job

    def _check_thread(self) -> None:
        if not on_gui_thread():
            self.off_thread += 1

    @Slot(object)
    def on_progress(self, event: dict[str, Any]) -> None:
        self._check_thread()
        self.events.append(event)

    @Slot(object)
    def on_done(self, result: dict[str, Any]) -> None:
        self._check_thread()
        self.results.append(result)

    @Slot(str, str)
    def on_failed(self, kind: str, message: str) -> None:
        self._check_thread()
        self.failures.append((kind, message))

    @Slot()
    def on_ended(self) -> None:
        self._check_thread()
        self.ended += 1


class Chain(Recorder):
    """Start job i+1 from the slot that sees job i end, as the inspection tab does."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count, self.started = count, 0
        self.job: Job | None = None

    @staticmethod
    def task(i: int, cancel: threading.Event) -> dict[str, Any]:  # worker thread: plain data
        return {"i": i, "sum": sum(range(1000 + i)), "cancelled": cancel.is_set(),
                "thread": threading.get_ident()}

    def next(self) -> None:
        i = self.started
        self.started += 1
        self.job = self.watch(Job(CallWorker(lambda cancel: self.task(i, cancel))))
        self.job.start()

    @Slot()
    def on_ended(self) -> None:
        super().on_ended()
        self.job = None  # the last reference: dropped on the GUI thread
        if self.started < self.count:
            self.next()


@pytest.fixture
def competing_thread() -> Iterator[threading.Thread]:
    """A Python thread burning CPU (and contending for the GIL) until the test ends or 60 s."""
    stop = threading.Event()

    def burn() -> None:
        deadline = time.monotonic() + 60.0
        n = 0
        while not stop.is_set() and time.monotonic() < deadline:
            n += 1

    thread = threading.Thread(target=burn, name="burner", daemon=True)
    thread.start()
    yield thread
    stop.set()
    thread.join(5.0)
    assert not thread.is_alive()


def test_hundreds_of_short_jobs_under_a_competing_thread(
        qtbot: Any, competing_thread: threading.Thread) -> None:
    chain = Chain(JOBS)
    chain.next()
    qtbot.waitUntil(lambda: chain.ended == JOBS, timeout=TIMEOUT_MS)
    assert competing_thread.is_alive()  # the contention lasted the whole run
    assert [r["i"] for r in chain.results] == list(range(JOBS))
    assert all(r["sum"] == sum(range(1000 + r["i"])) and not r["cancelled"]
               for r in chain.results)
    assert chain.failures == [] and chain.off_thread == 0 and chain.job is None
    assert threading.get_ident() not in {r["thread"] for r in chain.results}
    assert not worker_module._PARKED


def test_shutdown_of_a_slow_job_is_bounded_and_reports_the_timeout(
        qtbot: Any, caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    entered = threading.Event()

    def slow(cancel: threading.Event) -> dict[str, Any]:
        entered.set()
        release.wait(10.0)  # a slow step that cannot look at ``cancel`` meanwhile
        return {"cancel_seen": cancel.is_set()}

    rec = Recorder()
    job = rec.watch(Job(CallWorker(slow)))
    job.start()
    assert entered.wait(10.0)
    t0 = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger=worker_module.__name__):
        assert job.shutdown(300) is False
    assert 0.25 < time.perf_counter() - t0 < 2.0
    assert any("did not stop within 300 ms" in r.getMessage() for r in caplog.records)
    assert job.running and job in worker_module._PARKED  # kept, never terminated
    release.set()
    qtbot.waitUntil(lambda: rec.ended == 1, timeout=TIMEOUT_MS)
    assert not job.running and job not in worker_module._PARKED
    assert rec.results == [] and rec.failures == [] and rec.off_thread == 0  # dropped


def started_patient_job() -> tuple[Recorder, Job]:
    """A started job whose function waits (at most 10 s) until it is cancelled."""
    entered = threading.Event()

    def patient(cancel: threading.Event) -> dict[str, Any]:
        entered.set()
        cancel.wait(10.0)
        return {"cancel_seen": cancel.is_set()}

    rec = Recorder()
    job = rec.watch(Job(CallWorker(patient)))
    job.start()
    assert entered.wait(10.0)
    return rec, job


def test_shutdown_of_a_job_that_checks_cancel_returns_at_once(qtbot: Any) -> None:
    rec, job = started_patient_job()
    t0 = time.perf_counter()
    assert job.shutdown(5000) is True
    assert time.perf_counter() - t0 < 2.0
    assert rec.ended == 1 and not job.running and job.worker is None
    qtbot.wait(50)  # the queued result, if any, would arrive now
    assert rec.results == [] and rec.off_thread == 0


def test_a_cancelled_call_ends_and_its_result_is_dropped(qtbot: Any) -> None:
    rec, job = started_patient_job()
    job.cancel()
    qtbot.waitUntil(lambda: rec.ended == 1, timeout=5000)
    assert rec.results == [] and rec.failures == [] and rec.off_thread == 0


def test_cancel_stops_a_running_training_job(qtbot: Any, tmp_path: Path) -> None:
    graph = project_io.load(resource_path("examples/conv_pool.cnnproj")).graph
    config = TrainConfig(epochs=20, batch_size=16, device="cpu", leave_core_for_gui=True,
                         num_workers=0, log_every=1)
    rec = Recorder()
    job = rec.watch(Job(TrainWorker(graph, "mnist-sample", config, tmp_path / "run",
                                    (1, 28, 28))))
    job.start()
    qtbot.waitUntil(lambda: any(e["event"] == "batch" for e in rec.events), timeout=TIMEOUT_MS)
    t0 = time.perf_counter()
    job.cancel()
    qtbot.waitUntil(lambda: rec.ended == 1, timeout=TIMEOUT_MS)
    assert time.perf_counter() - t0 < 10.0
    assert rec.failures == [] and rec.off_thread == 0
    [result] = rec.results  # a stopped training keeps its result: the checkpoint it kept
    assert result["status"] == "cancelled" and result["epochs_done"] < config.epochs
    assert any(e["event"] == "cancelled" for e in rec.events)
    assert not job.running
