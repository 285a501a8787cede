"""Train > Runs... (Ctrl+Shift+R): the run history connected to the training dock and window.

``RunHistory`` owns the ``RunsView`` (made once, so ``run_history.view.compareRequested``
can be connected before it is first shown), shows and refreshes it, lists again when a
training run ends, opens a run in the training dock (its curves, results and inspection) and
a run's design on the canvas through the window's ``open_file`` (unsaved changes are asked
about). The design opened that way is detached from the run folder, as an example is: Save
asks where to save it, so a run's ``project.cnnproj`` (its record) is never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox

from cnnstudio.gui.runs.history import RunsView

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow
    from cnnstudio.gui.training.panel import TrainingPanel


class RunHistory(QObject):
    def __init__(self, w: MainWindow, panel: TrainingPanel, menu: QMenu,
                 show_panel: Callable[[], None]) -> None:
        super().__init__(w)
        self.window, self.panel, self.show_panel = w, panel, show_panel
        self.view = RunsView(w.settings, panel.form.runs_folder.text,
                             lambda: w.doc.name if w.doc is not None else None,
                             lambda: panel.run_dir if panel.running else None, w)
        self.view.openRequested.connect(self.open_run)
        self.view.openDesignRequested.connect(self.open_design)
        self.view.compareRequested.connect(self.compare)
        self.action = QAction("&Runs...", w)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.action.setToolTip("The runs of the open design: compare, rename, annotate, "
                               "open, delete")
        self.action.triggered.connect(self.show)
        menu.addSeparator()
        menu.addAction(self.action)
        w.actions.all["train_runs"] = self.action
        panel.runningChanged.connect(self._running_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.view.shutdown)

    @Slot(list)
    def compare(self, paths: list[Path]) -> None:
        """Compare... in the history: the Compare Runs window (Train > Compare Runs...)."""
        self.window.compare_runs(paths)

    @Slot()
    def show(self) -> None:
        self.view.show()
        self.view.raise_()
        self.view.activateWindow()
        self.view.refresh()

    @Slot(bool)
    def _running_changed(self, running: bool) -> None:
        if not running and self.view.isVisible():
            self.view.refresh()  # a run has ended (or one was opened): its row is current

    @Slot(object)
    def open_run(self, run_dir: Path) -> bool:
        """Show the run in the training dock (not while a run is training)."""
        if self.panel.running:
            QMessageBox.critical(self.view, "Cannot open the run", "A run is training: stop "
                                 "it, or wait for it to end, before opening another.")
            return False
        if not self.panel.open_run(Path(run_dir)):
            return False
        self.show_panel()
        return True

    @Slot(object)
    def open_design(self, run_dir: Path) -> bool:
        """Open the run's design on the canvas, detached from the run folder."""
        path = Path(run_dir) / "project.cnnproj"
        if not self.window.open_file(path):
            return False
        doc = self.window.doc
        assert doc is not None
        doc.path = None
        doc.pathChanged.emit()
        self.window.recent.remove(str(path.resolve()))
        return True
