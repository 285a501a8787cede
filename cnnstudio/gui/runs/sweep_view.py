"""Train > Sweep...: sweep training settings for the open design, and show a sweep's results.

The user ticks the settings to vary (every sweepable declared option, cnnstudio.sweeps.space)
and gives each a range ``lo:hi`` / ``lo:hi:log`` or a list ``a,b,c``, picks the strategy,
the number of trials, the metric and pruning; the other settings and the dataset are the
Training dock's form. Start checks the space at once, then runs ``prepare_sweep`` and the
trials in a child process, as training runs (``SweepWorker``: torch and Optuna are imported
there only, and the GUI thread never waits for their GIL); each trial's end refreshes the
results from sweep.json: a sortable table (best first) and the parallel-coordinates plot.
Stop cancels within a batch; the trials done are kept. Open Sweep... shows a finished sweep
folder. The app's quit stops a running sweep (bounded wait; a child that does not stop is
ended, and the trials done are kept).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core import project_io
from cnnstudio.gui.document import Document
from cnnstudio.gui.runs.sweep_plot import ParallelCoordinates
from cnnstudio.gui.runs.sweep_table import SweepTable
from cnnstudio.gui.training.form import TrainForm
from cnnstudio.gui.training.runs import new_run_dir, trainable_shape
from cnnstudio.gui.training.worker import SHUTDOWN_MS, Job, ProcessWorker
from cnnstudio.sweeps.record import SWEEP_FILE, SweepFileError, SweepRecord, read_sweep
from cnnstudio.sweeps.space import (
    METRICS,
    STRATEGIES,
    SweepParam,
    check_space,
    format_value,
    parse_param,
    sweepable_options,
)

TITLE = "Sweep"


class SweepWorker(ProcessWorker):
    """A sweep in a child process (``cnnstudio.training.process.sweep``): every check
    (``prepare_sweep``, or ``resume_sweep`` for a job with ``resume``), then the trials;
    torch and Optuna are imported there only."""

    def __init__(self, job: dict[str, Any]) -> None:
        super().__init__()
        self.sweep_job = job

    def job(self) -> dict[str, Any]:
        return {"kind": "sweep", **self.sweep_job}

    def checkpoints(self) -> Path:
        return Path(self.sweep_job["out"])

    def _kept(self) -> str:
        return f"the trials done are kept in {self.sweep_job['out']}"


class SweepView(QWidget):
    def __init__(self, document: Callable[[], Document | None], form: TrainForm,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(TITLE)
        self.document, self.form = document, form
        self.job: Job | None = None
        self.folder: Path | None = None
        self.record: SweepRecord | None = None
        self.options = sweepable_options()
        self.space = QTableWidget(len(self.options), 3)
        self.space.setHorizontalHeaderLabels(["Vary", "Values", "Allowed"])
        for row, option in enumerate(self.options):
            vary = QTableWidgetItem(option.name)
            vary.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            vary.setCheckState(Qt.CheckState.Unchecked)
            vary.setToolTip(option.help)
            allowed = option.span() if option.ranged else ",".join(
                option.choices or ("true", "false"))
            hint = QTableWidgetItem(allowed + (": lo:hi[:log] or a,b,c" if option.ranged
                                               else ": a,b,c"))
            hint.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.space.setItem(row, 0, vary)
            self.space.setItem(row, 1, QTableWidgetItem(""))
            self.space.setItem(row, 2, hint)
        self.space.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.strategy = QComboBox()
        self.strategy.addItems(STRATEGIES)
        self.strategy.setCurrentText("grid")
        self.trials = QSpinBox()
        self.trials.setRange(0, 100_000)
        self.trials.setSpecialValueText("whole grid")
        self.trials.setValue(0)
        self.metric_box = QComboBox()
        self.metric_box.addItems(list(METRICS))
        self.prune = QCheckBox("Prune trials below the median (Optuna's MedianPruner)")
        self.prune.setChecked(True)
        self.out = QLineEdit()
        self.out.setPlaceholderText("a new folder under the runs folder")
        browse = QPushButton("Browse...")
        browse.clicked.connect(self.choose_folder)
        self.start_button, self.stop_button = QPushButton("Start"), QPushButton("Stop")
        self.open_button = QPushButton("Open Sweep...")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the stopped sweep shown: the trials done are "
                                      "kept, those cut short are tried again")
        self.resume_button.clicked.connect(self.resume)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.open_button.clicked.connect(self.open_dialog)
        self.status = QLabel("Tick the settings to vary, give their values, then Start.")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.results = SweepTable()
        self.plot = ParallelCoordinates()
        form = QFormLayout()
        form.addRow("Strategy", self.strategy)
        form.addRow("Trials", self.trials)
        form.addRow("Metric", self.metric_box)
        form.addRow("", self.prune)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.out, 1)
        folder_row.addWidget(browse)
        form.addRow("Sweep folder", folder_row)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.stop_button, self.resume_button,
                       self.open_button):
            buttons.addWidget(button)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.addWidget(self.space, 1)
        left_lay.addLayout(form)
        left_lay.addLayout(buttons)
        left_lay.addWidget(self.status)
        left_lay.addWidget(self.progress)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.results)
        right.addWidget(self.plot)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([420, 640])
        QVBoxLayout(self).addWidget(split)
        self.resize(1100, 700)
        self._set_running(False)

    # ------------------------------------------------------------ the space
    def set_param(self, name: str, values: str) -> None:
        """Tick ``name`` and give its values (as a user types them)."""
        row = next(i for i, o in enumerate(self.options) if o.name == name)
        self.space.item(row, 0).setCheckState(Qt.CheckState.Checked)
        self.space.item(row, 1).setText(values)

    def read_space(self) -> list[SweepParam]:
        """The ticked rows as SweepParams (ParamError names a bad one)."""
        return [parse_param(f"{o.name}={self.space.item(row, 1).text().strip()}")
                for row, o in enumerate(self.options)
                if self.space.item(row, 0).checkState() == Qt.CheckState.Checked]

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def _set_running(self, on: bool) -> None:
        for widget in (self.start_button, self.open_button, self.space, self.strategy,
                       self.trials, self.metric_box, self.prune, self.out):
            widget.setEnabled(not on)
        self.stop_button.setEnabled(on)
        self.resume_button.setEnabled(not on and self.can_resume())

    def _refuse(self, text: str) -> None:
        self.status.setText(text.splitlines()[0])
        QMessageBox.critical(self, TITLE, text)

    # ------------------------------------------------------------ start and stop
    @Slot()
    def start(self) -> None:
        doc = self.document()
        if self.running or doc is None:
            return
        shape, problem = trainable_shape(doc.graph)
        if shape is None:
            self._refuse(problem)
            return
        try:
            space = self.read_space()
            strategy = self.strategy.currentText()
            check_space(space, strategy)
            if strategy != "grid" and self.trials.value() == 0:
                raise ValueError(f"Give the number of trials for the {strategy} strategy.")
            source, root, config = self.form.read()
            config.monitor = self.metric_box.currentText()  # the best checkpoint follows it
            text = self.out.text().strip()
            out = Path(text).expanduser() if text else new_run_dir(
                self.form.runs_dir(), f"{doc.name or 'design'}-sweep")
            if out.exists() and (not out.is_dir() or any(out.iterdir())):
                raise ValueError(f"{out} is not empty: choose a new or empty sweep folder.")
        except (ValueError, OSError) as exc:
            self._refuse(str(exc))
            return
        self.results.setRowCount(0)
        self.plot.clear()
        self._run(out, {
            "project": project_io.dumps(doc.to_project()), "source": str(source),
            "space": [p.to_dict() for p in space], "config": dataclasses.asdict(config),
            "input_shape": list(shape), "strategy": strategy, "trials": self.trials.value(),
            "root": root, "metric": self.metric_box.currentText(),
            "prune": self.prune.isChecked(), "target": doc.name or ""})

    @Slot()
    def resume(self) -> None:
        """Continue the stopped sweep shown (``resume_sweep``): the trials done are kept, those
        cut short are tried again; Trials, when set, is the new total."""
        if self.running or self.folder is None or not self.can_resume():
            return
        _, root, _ = self.form.read()
        self._run(self.folder, {"resume": True, "trials": self.trials.value(), "root": root})

    def can_resume(self) -> bool:
        return self.record is not None and self.record.status in ("cancelled", "failed",
                                                                  "running")

    def _run(self, out: Path, job: dict[str, Any]) -> None:
        self.job = Job(SweepWorker({**job, "out": str(out)}))  # no Qt parent: see Job
        self.job.progress.connect(self._on_event)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.ended.connect(self._on_ended)
        self.folder, self.record = out, None
        self.progress.setRange(0, 0)
        self.status.setText(f"Checking the settings and the data; sweep folder {out}...")
        self._set_running(True)
        self.job.start()

    @Slot()
    def stop(self) -> None:
        if self.job is not None and self.running:
            self.job.cancel()
            self.stop_button.setEnabled(False)
            self.status.setText("Stopping after this batch; the trials done are kept...")

    @Slot()
    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        """Stop a running sweep (the app quits), bounded; False when it has not stopped."""
        return self.job.shutdown(timeout_ms) if self.job is not None else True

    # ------------------------------------------------------------ worker events
    @Slot(object)
    def _on_event(self, e: dict[str, Any]) -> None:
        kind = e["event"]
        if kind == "trial":
            shown = ", ".join(f"{k}={format_value(v)}" for k, v in e["params"].items())
            self.progress.setRange(0, e["trials"])
            self.progress.setValue(e["trial"])
            self.status.setText(f"Trial {e['trial'] + 1} of {e['trials']}: {shown}")
        elif kind == "epoch":
            metric = self.metric_box.currentText()
            self.status.setText(f"Trial {e['trial'] + 1}, epoch {e['epoch']}: {metric} "
                                f"{e.get(metric, float('nan')):.4f}")
        elif kind == "trial_end":
            self.progress.setValue(e["trial"] + 1)
            if self.folder is not None:
                self.show_folder(self.folder)

    @Slot(object)
    def _on_done(self, result: dict[str, Any]) -> None:
        self.show_folder(Path(result["folder"]))
        record = self.record
        done = len(record.trials) if record is not None else 0
        self.status.setText(f"Sweep {result['status']}: {done} trial(s) in {result['folder']}.")

    @Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        self._refuse(f"The sweep failed: {message}")

    @Slot()
    def _on_ended(self) -> None:
        self.job = None
        self._set_running(False)
        self.progress.setRange(0, max(self.progress.maximum(), 1))
        stopped = self.record is None or self.record.status == "running"
        if self.folder is not None and (self.folder / SWEEP_FILE).is_file():
            self.show_folder(self.folder)  # as recorded (a stopped sweep: its trials so far)
            if stopped and self.record is not None and self.record.status != "running":
                self.status.setText(f"Sweep {self.record.status}: "
                                    f"{len(self.record.trials)} trial(s) in {self.folder}.")

    # ------------------------------------------------------------ results
    @Slot()
    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Sweep folder", self.out.text())
        if path:
            self.out.setText(path)

    @Slot()
    def open_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a sweep folder", self.out.text())
        if path and not self.show_folder(Path(path)):
            self._refuse(f"{path} is not a sweep folder (no readable {SWEEP_FILE}).")

    def show_folder(self, folder: Path) -> bool:
        """Show the sweep recorded in ``folder``: the table (best first) and the plot."""
        try:
            record = read_sweep(folder)
        except SweepFileError:
            return False
        self.folder, self.record = folder, record
        self.results.show_sweep(record)
        self.plot.show_sweep(record)
        self.resume_button.setEnabled(not self.running and self.can_resume())
        return True
