"""Train > Sweep...: the menu action that shows the sweep view (made once) for the open
design, with the Training dock's form for the other settings and the dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow
    from cnnstudio.gui.training.panel import TrainingPanel


class SweepAction(QObject):
    def __init__(self, w: MainWindow, panel: TrainingPanel, menu: QMenu) -> None:
        super().__init__(w)
        # imported here: sweep_view needs cnnstudio.gui.training, whose dock imports this
        from cnnstudio.gui.runs.sweep_view import SweepView

        self.view = SweepView(lambda: w.doc, panel.form, w)
        self.action = QAction("S&weep...", w)
        self.action.setToolTip("Train the open design over ranges or lists of settings "
                               "(grid, random or TPE search, pruning) and compare the trials")
        self.action.triggered.connect(self.show)
        menu.addAction(self.action)
        w.actions.all["train_sweep"] = self.action
        app = QApplication.instance()
        if app is not None:  # a running sweep stops (bounded wait) when the app quits
            app.aboutToQuit.connect(self.view.shutdown)

    @Slot()
    def show(self) -> None:
        self.view.show()
        self.view.raise_()
        self.view.activateWindow()
