"""The main window's hook: the Training dock (tabbed with the summary) and the Train menu."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu

from cnnstudio.gui.training.panel import TrainingPanel

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

DOCK_HEIGHT = 420


def add_training_dock(w: MainWindow) -> TrainingPanel:
    """Create the panel, its dock (beside the summary) and the Train menu before Help."""
    panel = TrainingPanel(lambda: w.doc, w)
    dock = QDockWidget("Training", w)
    dock.setObjectName("training")
    dock.setWidget(panel)
    w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    if "summary" in w.docks:
        w.tabifyDockWidget(w.docks["summary"], dock)
        w.docks["summary"].raise_()
    w.docks["training"] = dock
    w.actions.docks_menu.addAction(dock.toggleViewAction())
    panel.message.connect(w.show_message)

    def show_panel() -> None:
        dock.show()
        dock.raise_()
        w.resizeDocks([dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)

    def start() -> None:
        show_panel()
        panel.start()

    menu = QMenu("&Train", w)
    items: dict[str, QAction] = {}
    for name, text, keys, slot in (
            ("show", "Training &Panel", "Ctrl+Shift+T", show_panel),
            ("start", "&Start Training", "F5", start),
            ("stop", "S&top Training", "Shift+F5", panel.stop)):
        action = QAction(text, w)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda _checked=False, f=slot: f())
        menu.addAction(action)
        items[name] = action
        w.actions.all[f"train_{name}"] = action
    items["stop"].setEnabled(False)

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
