"""The training form's memory line (gui/training/memory_line.py) and its copy in the summary
dock: the numbers of cnnstudio.core.memory at the form's settings, against this machine's
memory (found in a worker), following the settings and the design's edits."""

from __future__ import annotations

from typing import Any

import pytest

from cnnstudio.core.memory import estimate, fits_line, physical_memory
from cnnstudio.core.project_io import Project
from cnnstudio.gui.document import Document
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.training.form import TrainForm
from cnnstudio.training.device import precision_on
from tests.gui.conftest import chain_graph

WAIT_MS = 30_000


def expected(doc: Document, batch: int, precision: str, optimizer: str = "adam",
             momentum: float = 0.9) -> str:
    e = estimate(doc.engine.analysis(), batch, precision, optimizer, momentum)
    return fits_line(e, physical_memory(), "this machine")


def test_form_line_follows_the_settings_and_the_design(qtbot: Any) -> None:
    form = TrainForm()
    qtbot.addWidget(form)
    form.device.set_device("cpu")
    doc = Document(Project(chain_graph()))
    line = form.memory_line
    line.set_document(doc)
    form.show()
    auto = precision_on("cpu", "auto")  # bf16 where the processor has it, else fp32
    qtbot.waitUntil(lambda: line.text() == expected(doc, 128, auto), timeout=WAIT_MS)
    assert "this machine has" in line.text() and "largest batch that fits" in line.text()
    assert "optimiser state" in line.toolTip()

    form.batch_size.setValue(256)
    qtbot.waitUntil(lambda: line.text() == expected(doc, 256, auto), timeout=WAIT_MS)
    assert line.text().startswith("batch 256 needs")

    form.precision.setCurrentText("fp32")
    form.optimizer.setCurrentText("sgd")
    form.momentum.setValue(0.0)
    qtbot.waitUntil(lambda: line.text() == expected(doc, 256, "fp32", "sgd", 0.0),
                    timeout=WAIT_MS)

    before = line.text()
    conv1 = doc.graph.by_name("conv1").id
    doc.set_param(conv1, "filters", 64)  # a design edit: more activations
    qtbot.waitUntil(lambda: line.text() == expected(doc, 256, "fp32", "sgd", 0.0),
                    timeout=WAIT_MS)
    assert line.text() != before

    doc.set_param(conv1, "kernel", (64, 64))  # larger than the image
    qtbot.waitUntil(lambda: "not estimated" in line.text(), timeout=WAIT_MS)
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: line.text() == expected(doc, 256, "fp32", "sgd", 0.0),
                    timeout=WAIT_MS)
    assert form.shutdown(5_000)


def test_a_design_without_an_output_layer_is_a_line_not_an_error(qtbot: Any) -> None:
    from cnnstudio.core.builder import GraphBuilder

    b = GraphBuilder()
    b.input(1, 8, 8)  # a new design: the Input node alone is valid but has no output
    form = TrainForm()
    qtbot.addWidget(form)
    form.device.set_device("cpu")
    doc = Document(Project(b.graph))
    assert doc.engine.analysis().ok
    form.memory_line.set_document(doc)
    form.show()
    with qtbot.captureExceptions() as raised:
        qtbot.waitUntil(lambda: "not estimated" in form.memory_line.text(), timeout=WAIT_MS)
    assert raised == []
    assert form.shutdown(5_000)


def test_summary_dock_shows_the_line(window: MainWindow, qtbot: Any) -> None:
    window.set_document(Document(Project(chain_graph())))
    window.show()
    line = window.training.form.memory_line
    qtbot.waitUntil(lambda: line.text().startswith("batch 128 needs"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: line.text() in window.summary.memory.text(), timeout=WAIT_MS)
    window.training.form.batch_size.setValue(32)
    qtbot.waitUntil(lambda: "batch 32 needs" in window.summary.memory.text(),
                    timeout=WAIT_MS)


def test_a_missing_device_is_named_on_the_line(qtbot: Any) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    form = TrainForm()
    qtbot.addWidget(form)
    form.device.set_device("cuda")
    doc = Document(Project(chain_graph()))
    form.memory_line.set_document(doc)
    form.show()
    qtbot.waitUntil(lambda: "no CUDA GPU is available" in form.memory_line.text(),
                    timeout=WAIT_MS)
    assert form.memory_line.text().startswith("batch 128 needs")
    assert form.shutdown(5_000)


DELAYED = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from cnnstudio.core.project_io import Project
from cnnstudio.gui.document import Document
from cnnstudio.gui.training.form import TrainForm
from tests.gui.conftest import chain_graph

app = QApplication([])
form = TrainForm()
form.device.set_device("cpu")
form.memory_line.set_document(Document(Project(chain_graph())))
form.show()
seen = []

def early():
    seen.append(("torch" in sys.modules, "has" in form.memory_line.text()))

def poll():
    if "this machine has" in form.memory_line.text():
        print(seen, "torch" in sys.modules, "found")
        form.shutdown(5000)
        app.quit()
    else:
        QTimer.singleShot(100, poll)

QTimer.singleShot(1000, early)
QTimer.singleShot(1100, poll)
QTimer.singleShot(50_000, app.quit)
app.exec()
"""


def test_without_torch_the_device_is_checked_after_the_delay() -> None:
    """Shown without torch loaded: nothing for DETECT_DELAY_MS, then the device's memory, found
    by a child process: the app's process still has not imported torch."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("QT_QPA_PLATFORMTHEME", None)
    out = subprocess.run([sys.executable, "-c", DELAYED], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], env=env, timeout=90)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[(False,", "False)]", "False", "found"]


def test_the_device_child_names_a_missing_device_and_stops_on_cancel() -> None:
    """The child process that reads a device's memory: a device that is not there is a
    message (the line shows it), and cancelling (the window closes) ends it at once."""
    import threading
    import time

    from cnnstudio.gui.training.memory_line import _ask_child

    with pytest.raises(ValueError, match="cuda:7"):
        _ask_child("cuda:7", threading.Event())
    cancel = threading.Event()
    cancel.set()
    t0 = time.perf_counter()
    assert _ask_child("cpu", cancel) == {"device": "cpu", "cancelled": True}
    assert time.perf_counter() - t0 < 5.0  # ended, not waited for


POPUP = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from cnnstudio.gui.training.form import TrainForm

app = QApplication([])
form = TrainForm()
form.show()
print(form.device.devices())
form.device.showPopup()  # opened before the devices are known: a child process finds them

def poll():
    if form.device.filled:
        form.device.hidePopup()
        print(form.device.devices(), "torch" in sys.modules)
        form.shutdown(5000)
        app.quit()
    else:
        QTimer.singleShot(100, poll)

QTimer.singleShot(100, poll)
QTimer.singleShot(60_000, app.quit)
app.exec()
"""


def test_opening_the_device_list_finds_the_devices_without_torch_here() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("QT_QPA_PLATFORMTHEME", None)
    out = subprocess.run([sys.executable, "-c", POPUP], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], env=env, timeout=90)
    assert out.returncode == 0, out.stderr
    before, after = out.stdout.splitlines()[:2]
    assert "cpu" not in before  # not listed yet: the list was never filled here
    assert "'auto', 'cpu'" in after and after.endswith("False")  # filled; torch not loaded
