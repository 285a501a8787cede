"""The main window's hook: the Training dock (tabbed with the summary) and the Train menu."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

from cnnstudio.gui.runs.compare_actions import add_compare_actions
from cnnstudio.gui.runs.history_action import RunHistory
from cnnstudio.gui.runs.report_action import ReportAction
from cnnstudio.gui.runs.sweep_action import SweepAction
from cnnstudio.gui.training.panel import TrainingPanel
from cnnstudio.gui.training.pretrained import PretrainedLoader

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

DOCK_HEIGHT = 420


class _TabifyOnShow(QObject):
    """Tab ``dock`` with ``beside`` once the window is first shown.

    Qt 6.11 gives a second tab group made before the window is shown two tab bars, the stale
    one left at the default window size over the other docks; tabbing after the first show
    gives one.
    """

    def __init__(self, window: QMainWindow, beside: QDockWidget, dock: QDockWidget) -> None:
        super().__init__(window)
        self.window, self.beside, self.dock = window, beside, dock
        self.done = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Show:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self.tabify)
        return False

    @Slot()
    def tabify(self) -> None:
        """Tab the docks once (the summary in front); at once when the window is visible."""
        if self.done or not self.window.isVisible():
            return
        self.done = True
        self.window.tabifyDockWidget(self.beside, self.dock)
        self.beside.raise_()


def add_training_dock(w: MainWindow) -> TrainingPanel:
    """Create the panel, its dock (beside the summary) and the Train menu before Help."""
    panel = TrainingPanel(lambda: w.doc, w.settings, w)
    dock = QDockWidget("Training", w)
    dock.setObjectName("training")
    dock.setWidget(panel)
    w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    tabifier = _TabifyOnShow(w, w.docks["summary"], dock) if "summary" in w.docks else None
    w.docks["training"] = dock
    w.actions.docks_menu.addAction(dock.toggleViewAction())
    panel.message.connect(w.show_message)
    line = panel.form.memory_line  # follows the open document; shown in the summary too
    line.changed.connect(w.summary.show_memory)
    w.undo_group.activeStackChanged.connect(lambda _stack: line.set_document(w.doc))
    panel.exportRequested.connect(lambda: w.open_export_dialog(prefer_run=True))

    def show_panel() -> None:
        if tabifier is not None:
            tabifier.tabify()
        dock.show()
        dock.raise_()
        w.resizeDocks([dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)

    def start() -> None:
        show_panel()
        panel.start()

    def predict_images() -> None:
        show_panel()
        panel.predict_images()

    menu = QMenu("&Train", w)
    items: dict[str, QAction] = {}
    for name, text, keys, slot in (
            ("show", "Training &Panel", "Ctrl+Shift+T", show_panel),
            ("start", "&Start Training", "F5", start),
            ("stop", "S&top Training", "Shift+F5", panel.stop),
            ("predict", "&Predict Images...", "Ctrl+Shift+P", predict_images)):
        action = QAction(text, w)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda _checked=False, f=slot: f())
        menu.addAction(action)
        items[name] = action
        w.actions.all[f"train_{name}"] = action
    items["stop"].setEnabled(False)
    menu.insertSeparator(items["predict"])
    w.pretrained = PretrainedLoader(w, panel)
    menu.insertAction(items["predict"], w.pretrained.action)
    w.actions.all["train_load_weights"] = w.pretrained.action
    menu.aboutToShow.connect(w.pretrained.update_enabled)
    add_compare_actions(w, menu, panel.form.runs_dir)  # Compare Runs..., Changes Since Run...
    w.run_history = RunHistory(w, panel, menu, show_panel)  # Train > Runs...
    w.report_action = ReportAction(w, panel, menu)  # Train > Export Report...
    w.sweep_action = SweepAction(w, panel, menu)  # Train > Sweep...

    def follow(running: bool) -> None:
        items["start"].setEnabled(not running)
        items["stop"].setEnabled(running)

    panel.runningChanged.connect(follow)
    bar_actions = w.menuBar().actions()
    if bar_actions:  # before Help, which stays last
        w.menuBar().insertMenu(bar_actions[-1], menu)
    else:
        w.menuBar().addMenu(menu)
    return panel
