"""The training dock: settings on the left; live progress, results and inspection on the right.

``TrainingPanel.start()`` checks the open document's graph (a refused graph names its nodes
from ``analyse(graph).issues``), makes a new run folder under the runs folder, saves the
project there as ``project.cnnproj`` and runs the engine in a ``TrainWorker`` on a private
copy of the graph. The worker's events feed the plots, the progress bar and the status line;
its result fills the results tab and points the inspection tab at the run. Engine errors
(DatasetError, NonFiniteLossError, DeviceMemoryError, anything else) become a message box;
the document and the run folder's last checkpoint are kept and the dock returns to idle.
``stop()`` cancels within a batch; ``shutdown()`` (window close) cancels and waits, bounded.
Every receiver of the job's signals is a ``@Slot`` here, run in the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core import project_io
from cnnstudio.gui.document import Document
from cnnstudio.gui.training.form import TrainForm
from cnnstudio.gui.training.inspect_view import InspectView
from cnnstudio.gui.training.plots import BatchStatus, LivePlots
from cnnstudio.gui.training.predict_view import PredictView
from cnnstudio.gui.training.results import ResultsView
from cnnstudio.gui.training.runs import new_run_dir, read_json_file, trainable_shape
from cnnstudio.gui.training.worker import SHUTDOWN_MS, Job, ResumeWorker, TrainWorker

ERROR_TITLES = {
    "DatasetError": "Dataset problem",
    "NonFiniteLossError": "Training diverged",
    "DeviceMemoryError": "Out of device memory",
}


class TrainingPanel(QWidget):
    runningChanged = Signal(bool)
    message = Signal(str)
    exportRequested = Signal()  # the Export... button: export this run's checkpoints

    def __init__(self, document: Callable[[], Document | None],
                 settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.settings = settings
        self.job: Job | None = None
        self.run_dir: Path | None = None
        self.run_info: dict[str, Any] = {}
        self.result: dict[str, Any] | None = None
        self.failure: tuple[str, str] | None = None
        self.form = TrainForm()
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Train the open network on the chosen dataset")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch; the last checkpoint is kept")
        self.open_button = QPushButton("Open Run...")
        self.open_button.setToolTip("Show the results of an earlier run folder (also from "
                                    "'cnnstudio train')")
        self.export_button = QPushButton("Export...")
        self.export_button.setToolTip("Export this run's best or last checkpoint: ONNX, "
                                      "TorchScript, safetensors or Python code")
        self.export_button.clicked.connect(self.exportRequested)
        self.resume_button = QPushButton("Resume...")
        self.resume_button.setToolTip("Continue the run shown from its last checkpoint "
                                      "(like 'cnnstudio train --resume')")
        self.resume_button.clicked.connect(self.resume)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.open_button.clicked.connect(self.open_run_dialog)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.status = QLabel("Idle.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plots = LivePlots()
        self.batch_status = BatchStatus(self.progress, self.status)
        self.plots.timer.timeout.connect(self.batch_status.flush)
        self.results = ResultsView()
        self.inspect = InspectView(self._data_root)
        self.predict_view = PredictView()
        self.tabs = QTabWidget()
        progress_page = QWidget()
        lay = QVBoxLayout(progress_page)
        lay.addWidget(self.status)
        lay.addWidget(self.progress)
        lay.addWidget(self.plots, 1)
        self.tabs.addTab(progress_page, "Progress")
        self.tabs.addTab(self.results, "Results")
        self.tabs.addTab(self.inspect, "Inspect")
        self.tabs.addTab(self.predict_view, "Predict")
        left = QWidget()
        left_lay = QVBoxLayout(left)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        left_lay.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        left_lay.addLayout(buttons)
        left_lay.addWidget(self.open_button)
        left_lay.addWidget(self.resume_button)
        left_lay.addWidget(self.export_button)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        split.setSizes([320, 900])
        QVBoxLayout(self).addWidget(split)
        self._set_running(False)
        if settings is not None:
            self.form.restore(settings)

    def _data_root(self) -> str | None:
        return self.form.data_root.text().strip() or None

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def _set_running(self, on: bool) -> None:
        self.start_button.setEnabled(not on)
        self.stop_button.setEnabled(on)
        self.form.setEnabled(not on)
        self.open_button.setEnabled(not on)
        has_run = self.run_dir is not None and (self.run_dir / "checkpoints").is_dir()
        self.export_button.setEnabled(not on and has_run)
        self.resume_button.setEnabled(not on and has_run)
        self.runningChanged.emit(on)

    def _refuse(self, title: str, text: str) -> None:
        self.status.setText(text.splitlines()[0])
        QMessageBox.critical(self, title, text)

    # ------------------------------------------------------------ start and stop
    @Slot()
    def start(self) -> None:
        doc = self.document()
        if self.running or doc is None:
            return
        shape, problem = trainable_shape(doc.graph)
        if shape is None:
            self._refuse("Cannot train", problem)
            return
        try:
            source, root, config = self.form.read()
            config.validate()
            # the worker makes the folder once the data and the model have been checked
            run_dir = new_run_dir(self.form.runs_dir(), doc.name or "run")
        except (ValueError, OSError) as exc:
            self._refuse("Cannot train", str(exc))
            return
        if self.settings is not None:
            self.form.save(self.settings)
        text = project_io.dumps(doc.to_project())
        graph = project_io.loads(text).graph
        worker = TrainWorker(graph, source, config, run_dir,
                             shape, root, text)
        self.plots.clear()
        self._launch(worker, run_dir, f"Starting: {source}, run folder {run_dir}")

    @Slot()
    def resume(self) -> None:
        """Continue the run shown (its last checkpoint) up to an epoch the user picks."""
        run_dir = self.run_dir
        if self.running or run_dir is None:
            return
        done = int(read_json_file(run_dir / "checkpoints" / "last.json", {}).get(
            "epochs_done", 0))
        planned = int(read_json_file(run_dir / "config.json", {}).get("train", {}).get(
            "epochs", done + 1))
        epochs, ok = QInputDialog.getInt(
            self, "Resume training", f"{run_dir.name} has trained {done} epoch(s). "
            "Train up to epoch:", max(planned, done + 1), done + 1, 1_000_000)
        if not ok:
            return
        self._launch(ResumeWorker(run_dir, epochs, self._data_root()), run_dir,
                     f"Resuming {run_dir} from epoch {done}")

    def _launch(self, worker: TrainWorker | ResumeWorker, run_dir: Path, text: str) -> None:
        self.job = Job(worker)
        self.job.progress.connect(self._on_event)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.ended.connect(self._on_ended)
        self.run_dir, self.run_info, self.result, self.failure = run_dir, {}, None, None
        self.plots.start()
        self.progress.setValue(0)
        self.results.clear()
        self.status.setText(text)
        self.tabs.setCurrentIndex(0)
        self._set_running(True)
        self.job.start()

    @Slot()
    def stop(self) -> None:
        if self.job is not None and self.running:
            self.job.cancel()
            self.stop_button.setEnabled(False)
            self.status.setText("Stopping after this batch...")

    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        """Cancel the workers and wait at most ``timeout_ms`` each (the window is closing).

        False when one of them was still running at its deadline (logged; never terminated).
        """
        stopped = self.job.shutdown(timeout_ms) if self.job is not None else True
        downloads = self.form.shutdown(timeout_ms)
        predicting = self.predict_view.shutdown(timeout_ms)
        return self.inspect.shutdown(timeout_ms) and stopped and downloads and predicting

    @Slot()
    def predict_images(self) -> None:
        """The Predict tab, asking for image files to classify with the run shown."""
        self.tabs.setCurrentWidget(self.predict_view)
        self.predict_view.open_files_dialog()

    # ------------------------------------------------------------ earlier runs
    @Slot()
    def open_run_dialog(self) -> None:
        start = str(self.form.runs_folder.text().strip() or Path.home())
        path = QFileDialog.getExistingDirectory(self, "Open a run folder", start)
        if path:
            self.open_run(Path(path))

    def open_run(self, run_dir: Path) -> bool:
        """Show a finished (or stopped) run: its history, test metrics and inspection."""
        if self.running:
            return False
        if not (run_dir / "project.cnnproj").is_file() or not (run_dir / "config.json").is_file():
            self._refuse("Not a run folder", f"{run_dir} has no project.cnnproj and "
                         "config.json: choose a folder written by a training run.")
            return False
        try:
            history = read_json_file(run_dir / "history.json", [])
            metrics = read_json_file(run_dir / "metrics.json", None)
            self.inspect.set_run(run_dir if (run_dir / "checkpoints").is_dir() else None)
            self.predict_view.set_run(run_dir if (run_dir / "checkpoints").is_dir() else None)
        except (OSError, ValueError) as exc:
            self._refuse("Cannot open the run", f"{run_dir}: {exc}")
            return False
        self.run_dir, self.result = run_dir, None
        self._set_running(False)  # enables Export... for this run
        self.plots.clear()
        self.plots.add_history(history)
        self.plots.refresh()
        if metrics:
            self.results.show_metrics(metrics)
        else:
            self.results.clear()
            self.results.show_message("This run has no test metrics (metrics.json).")
        self.status.setText(f"Run {run_dir}: {len(history)} epoch(s).")
        return True

    # ------------------------------------------------------------ worker events
    @Slot(object)
    def _on_event(self, e: dict[str, Any]) -> None:
        kind = e["event"]
        if kind == "batch":  # no widget work per event: the plots' timer shows it
            self.plots.add_batch(e)
            self.batch_status.pending = e
            return
        self.batch_status.flush()  # the last batch first, then this event's text
        if kind == "preparing":
            self.status.setText(e["message"])
        elif kind == "start":
            self.run_info = e
            self.status.setText(f"Training on {e['settings']}: {e['train_samples']} training, "
                                f"{e['val_samples']} validation samples.")
        elif kind == "epoch":
            self.plots.add_epoch(e)
            self.message.emit(f"Epoch {e['epoch']}: validation accuracy "
                              f"{e['val_accuracy']:.3f}, loss {e['val_loss']:.4f}")
        elif kind == "cancelled":
            self.status.setText(f"Stopped at epoch {e['epoch']}, batch {e['batch']}; "
                                "saving the last checkpoint...")

    @Slot(object)
    def _on_done(self, r: dict[str, Any]) -> None:
        self.result = r
        run_dir = Path(r["run_dir"])
        if r["status"] == "cancelled":
            self.status.setText(f"Stopped ({r['epochs_done']} complete epoch(s)). The last "
                                f"checkpoint is kept in {run_dir / 'checkpoints'}.")
        else:
            self.progress.setValue(self.progress.maximum())
            self.status.setText(f"Finished: {r['message']}. Run folder {run_dir}.")
        if r.get("test_metrics"):
            self.results.show_metrics(r["test_metrics"])
            self.tabs.setCurrentWidget(self.results)
        elif r["status"] != "cancelled":
            self.results.show_message("The data has no test split: no test metrics.")
        if (run_dir / "checkpoints" / "last.json").is_file():
            self.inspect.set_run(run_dir)
            self.predict_view.set_run(run_dir)
        self.message.emit(self.status.text())

    @Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        self.failure = (kind, message)
        self.batch_status.pending = None  # the timer must not write over the failure
        where = ""
        if (self.run_dir is not None and (self.run_dir / "checkpoints").is_dir()
                and str(self.run_dir / "checkpoints") not in message):  # not said twice
            where = f"\n\nThe last good checkpoint is kept in {self.run_dir / 'checkpoints'}."
        self.status.setText(f"Failed: {message.splitlines()[0]}")
        QMessageBox.critical(self, ERROR_TITLES.get(kind, "Training failed"), message + where)

    @Slot()
    def _on_ended(self) -> None:
        self.job = None  # stopped and released on this (the GUI) thread
        self.plots.stop()
        self._set_running(False)
