"""The training form's memory line: what one training step at the form's settings needs,
against the memory of the chosen device ("batch 256 needs 3.1 GiB; this GPU (...) has
8.0 GiB (largest batch that fits: 640)").

``MemoryLine`` (a label under the batch size) recomputes ``cnnstudio.core.memory.estimate``
of the open document's analysis after a burst of design edits or a change of the batch
size, precision, optimizer, momentum or device (a zero-delay timer). The device's memory,
and what precision ``auto`` means on it, come from ``training.device.device_report`` (torch)
in a ``CallWorker``, once per device: in this process when torch is already loaded, else in
a spawned child process (the app's process never imports torch for it, as for training),
started once the line has shown a valid design for ``DETECT_DELAY_MS`` (a line nobody looks
at never starts one); until then the line gives the bytes alone, ``auto`` counted as fp32.
``changed(str)`` carries the line to the summary dock; its tooltip holds the whole block.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QWidget

from cnnstudio.core.memory import estimate, fits_line, memory_lines
from cnnstudio.gui.document import Document
from cnnstudio.gui.training.worker import SHUTDOWN_MS, CallWorker, Job, end_process
from cnnstudio.training.process import report_device

#: the form fields the line follows (TrainConfig names)
FOLLOWS = ("batch_size", "precision", "optimizer", "momentum", "device")
#: how long the line shows a design before torch is loaded to find the device's memory
DETECT_DELAY_MS = 3000


#: the longest wait for the child process that reads a device's memory
DETECT_TIMEOUT_S = 120


def _device_task(device: str) -> Callable[[threading.Event], dict[str, Any]]:
    def task(cancel: threading.Event) -> dict[str, Any]:
        if "torch" in sys.modules:  # loaded already (an inspection, an export): ask here
            from cnnstudio.training.device import device_report

            return device_report(device)
        return _ask_child(device, cancel)
    return task


def _ask_child(device: str, cancel: threading.Event) -> dict[str, Any]:
    """``device_report`` from a spawned child process, as training runs (this process never
    imports torch for it); bounded by ``DETECT_TIMEOUT_S`` and by ``cancel``, and the child
    is always ended."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=report_device, args=(device, send),
                              name="cnnstudio-device", daemon=True)
    process.start()
    send.close()  # the child holds the only write end: its end is our EOF
    try:
        deadline = time.monotonic() + DETECT_TIMEOUT_S
        while not receive.poll(0.1):
            if cancel.is_set():
                return {"device": device, "cancelled": True}
            if time.monotonic() > deadline:
                raise TimeoutError(f"finding {device}'s memory took over {DETECT_TIMEOUT_S} s")
        status, value = receive.recv()
    except EOFError:
        raise RuntimeError(f"the process finding {device}'s memory ended "
                           f"(exit code {process.exitcode})") from None
    finally:
        receive.close()
        end_process(process, 1.0)
    if status != "ok":
        raise ValueError(value)
    return dict(value)


class MemoryLine(QLabel):
    changed = Signal(str)
    devices_found = Signal(list)  # this machine's (device, label) pairs, once known

    def __init__(self, values: Callable[[], dict[str, Any]],
                 parent: QWidget | None = None) -> None:
        """``values()``: the form's current values of ``FOLLOWS``."""
        super().__init__(parent)
        self.values = values
        self.setWordWrap(True)
        self.doc: Document | None = None
        #: device -> (where, bytes, what auto precision is there), or a reason it is unknown
        self.devices: dict[str, tuple[str, int, str] | str] = {}
        self.job: Job | None = None
        self.detecting = ""
        self.waiting = False  # a delayed device check is due
        self._pending = False

    def set_document(self, doc: Document | None) -> None:
        if self.doc is not None:
            self.doc.changed.disconnect(self.schedule)
        self.doc = doc
        if doc is not None:
            doc.changed.connect(self.schedule)
        self.schedule()

    @Slot()
    def schedule(self) -> None:
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self, self.refresh)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        self.schedule()
        super().showEvent(event)

    @Slot()
    def refresh(self) -> None:
        self._pending = False
        v = self.values()
        known = self.devices.get(v["device"])
        device = known if isinstance(known, tuple) else None
        precision = v["precision"]
        if precision == "auto":
            precision = device[2] if device else "fp32"
        analysis = self.doc.engine.analysis() if self.doc is not None else None
        e, why = None, "while the design has problems"
        if analysis is not None and analysis.ok:
            try:
                e = estimate(analysis, v["batch_size"], precision, v["optimizer"],
                             v["momentum"])
            except ValueError as exc:  # no output layer yet, or a setting out of range
                why = f"({exc})"
        if e is None:
            text, tip = f"Memory: not estimated {why}.", ""
        else:
            memory, where = (device[1], device[0]) if device else (None, "")
            text = fits_line(e, memory, where)
            if isinstance(known, str):
                text += f" ({known})"
            tip = "\n".join(memory_lines(e, memory, where))
            if known is None:
                self.want_device(v["device"])
        self.setText(text)
        self.setToolTip(tip)
        self.changed.emit(text)

    def want_device(self, device: str) -> None:
        """Find ``device``'s memory now if torch is loaded, else after ``DETECT_DELAY_MS``
        if the line is still shown then."""
        if "torch" in sys.modules:
            self.detect(device)
        elif self.isVisible() and not self.waiting:
            self.waiting = True
            QTimer.singleShot(DETECT_DELAY_MS, self, self._delayed)  # not after deletion

    @Slot()
    def _delayed(self) -> None:
        self.waiting = False
        if self.isVisible():
            self.detect(self.values()["device"])

    def detect(self, device: str) -> None:
        """Find ``device``'s memory in a worker (``_device_task``), once; a job at a time."""
        if self.job is not None:
            return
        self.detecting = device
        job = Job(CallWorker(_device_task(device)))
        job.done.connect(self._on_found)
        job.failed.connect(self._on_failed)
        job.ended.connect(self._on_ended)
        self.job = job
        job.start()

    @Slot(object)
    def _on_found(self, r: dict[str, Any]) -> None:
        self.devices[r["device"]] = (r["where"], int(r["memory"]), r["auto"])
        self.devices_found.emit([tuple(pair) for pair in r["devices"]])

    @Slot()
    def detect_now(self) -> None:
        """The device list was opened: find the devices at once (no delay), asking about the
        chosen device unless it has been asked about already (then the CPU, which is there)."""
        device = self.values()["device"]
        self.detect(device if device not in self.devices else "cpu")

    @Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        self.devices[self.detecting] = message

    @Slot()
    def _on_ended(self) -> None:
        self.job = None
        self.schedule()

    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        return self.job.shutdown(timeout_ms) if self.job is not None else True
