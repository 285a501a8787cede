"""The app trains in a child process (issue #11): its pid, Stop, a killed child, and a GUI
process that never imports torch for training. Real runs on the bundled ``mnist-sample``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from cnnstudio.core import project_io
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.training import worker as worker_module
from cnnstudio.gui.training.panel import TrainingPanel
from cnnstudio.gui.training.worker import Job, TrainWorker
from cnnstudio.resources import resource_path
from cnnstudio.training.config import TrainConfig
from tests.gui.conftest import Dialogs
from tests.gui.test_training_panel import RUN_TIMEOUT_MS, setup_panel, wait_idle

ROOT = Path(__file__).resolve().parents[2]


def record(panel: TrainingPanel) -> list[dict[str, Any]]:
    """The events the panel's job relays (connected right after Start)."""
    assert panel.job is not None
    events: list[dict[str, Any]] = []
    panel.job.progress.connect(events.append)
    return events


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def child_pid(qtbot: Any, events: list[dict[str, Any]]) -> int:
    qtbot.waitUntil(lambda: any(e["event"] == "process" for e in events),
                    timeout=RUN_TIMEOUT_MS)
    return int(next(e["pid"] for e in events if e["event"] == "process"))


def test_a_run_trains_in_a_child_process(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    panel = setup_panel(window, tmp_path)
    window.actions["train_start"].trigger()
    events = record(panel)
    pid = child_pid(qtbot, events)
    assert pid != os.getpid()
    wait_idle(qtbot, panel)
    assert dialogs.errors == []
    assert panel.result is not None and panel.result["status"] == "completed"
    assert panel.run_info["pid"] == pid  # the engine's start event came from the child
    assert any(e["event"] == "batch" for e in events)
    assert not alive(pid)  # ended and reaped


def start_long_run(qtbot: Any, window: MainWindow, tmp_path: Path) -> tuple[Any, int]:
    """A 20-epoch run started from the panel, once its first epoch is done: (panel, child pid)."""
    panel = setup_panel(window, tmp_path, epochs=20, batch_size=16)
    panel.start_button.click()
    pid = child_pid(qtbot, record(panel))
    qtbot.waitUntil(lambda: panel.plots.series["val_loss"].n >= 1, timeout=RUN_TIMEOUT_MS)
    return panel, pid


def test_stop_ends_the_child_within_a_bounded_time_and_keeps_the_checkpoint(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    panel, pid = start_long_run(qtbot, window, tmp_path)
    t0 = time.perf_counter()
    panel.stop_button.click()
    wait_idle(qtbot, panel, timeout=30_000)
    assert time.perf_counter() - t0 < 10.0
    assert dialogs.errors == []
    assert panel.result is not None and panel.result["status"] == "cancelled"
    assert 1 <= panel.result["epochs_done"] < 20
    assert panel.run_dir is not None
    assert (panel.run_dir / "checkpoints" / "last.safetensors").is_file()
    assert "checkpoint is kept" in panel.status.text()
    assert not alive(pid)


def test_a_killed_child_is_a_failure_and_the_panel_returns_to_idle(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    panel, pid = start_long_run(qtbot, window, tmp_path)
    t0 = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    wait_idle(qtbot, panel, timeout=30_000)
    assert time.perf_counter() - t0 < 10.0
    assert panel.failure is not None
    kind, message = panel.failure
    assert kind == "TrainingProcessError"
    assert run_dir_ckpt(panel) in message
    assert message.startswith(f"the training process ended unexpectedly (exit code "
                              f"{-signal.SIGKILL}); the last good checkpoint is kept in ")
    assert len(dialogs.errors) == 1 and dialogs.errors[0].count("checkpoint is kept") == 1
    assert panel.status.text().startswith("Failed: the training process ended unexpectedly")
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()
    assert window.actions["train_start"].isEnabled()


def run_dir_ckpt(panel: TrainingPanel) -> str:
    assert panel.run_dir is not None
    return str(panel.run_dir / "checkpoints")


def test_a_child_that_ignores_stop_is_ended_and_reported(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no grace at all, Stop during the data preparation ends the process at once."""
    monkeypatch.setattr(worker_module, "CANCEL_GRACE_S", 0.0)
    graph = project_io.load(resource_path("examples/conv_pool.cnnproj")).graph
    config = TrainConfig(epochs=20, batch_size=16, device="cpu", num_workers=0)
    worker = TrainWorker(graph, "mnist-sample", config, tmp_path / "run", (1, 28, 28))
    job = Job(worker)
    events: list[dict[str, Any]] = []
    failures: list[tuple[str, str]] = []
    ended: list[bool] = []
    job.progress.connect(events.append)
    job.failed.connect(lambda kind, message: failures.append((kind, message)))
    job.ended.connect(lambda: ended.append(True))
    job.start()
    pid = child_pid(qtbot, events)
    job.cancel()
    qtbot.waitUntil(lambda: bool(ended), timeout=30_000)
    [(kind, message)] = failures
    assert kind == "TrainingProcessError"
    assert "did not stop within 0 s" in message and "no checkpoint had been saved" in message
    assert not alive(pid)


GUI_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    from cnnstudio.gui.document import Document
    from cnnstudio.gui.main_window import MainWindow
    from cnnstudio.resources import resource_path

    tmp = Path(sys.argv[1])
    app = QApplication([])
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, recovery_dir=tmp / "recovery", autosave_ms=3_600_000)
    window.show()
    window.set_document(Document.open(resource_path("examples/conv_pool.cnnproj")))
    form = window.training.form
    form.dataset.setCurrentText("mnist-sample")
    form.runs_folder.setText(str(tmp / "runs"))
    form.epochs.setValue(1)
    form.device.set_device("cpu")
    window.actions["train_start"].trigger()
    deadline = time.monotonic() + 180
    while window.training.running and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    result = window.training.result
    print("status", None if result is None else result["status"])
    print("torch", "torch" in sys.modules)
    window.doc.undo_stack.setClean()
    window.close()
""")


def test_the_gui_process_does_not_import_torch_for_training(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("QT_QPA_PLATFORMTHEME", None)
    proc = subprocess.run([sys.executable, "-c", GUI_SCRIPT, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "status completed" in proc.stdout, proc.stdout + proc.stderr[-3000:]
    assert "torch False" in proc.stdout
