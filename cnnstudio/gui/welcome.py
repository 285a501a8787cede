"""The welcome page (issue #13, "First minute"): shown in place of the canvas at start-up
when no file is opened, and from File > Welcome.

It offers New Design, the presets (title and one-line description), the bundled examples
(the Examples menu's own list), the recent files, and one button that opens LeNet-5, fills
the training form for the bundled digits and starts training. Choosing anything, or any
other way of opening a document, brings the canvas back (``MainWindow.set_document`` calls
``leave``). The setting ``ui/show_welcome`` (a check box on the page) turns it off at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

SHOW_KEY = "ui/show_welcome"
ROLE = Qt.ItemDataRole.UserRole
QUICK_PRESET, QUICK_DATASET, QUICK_EPOCHS = "lenet5", "mnist-sample", 1


def _list(title: str, box: QListWidget) -> QWidget:
    column = QWidget()
    lay = QVBoxLayout(column)
    lay.setContentsMargins(0, 0, 0, 0)
    label = QLabel(f"<b>{title}</b>")
    label.setBuddy(box)
    lay.addWidget(label)
    lay.addWidget(box)
    box.setWordWrap(True)
    return column


class WelcomePage(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.main = window
        heading = QLabel("<h2>Welcome to CNN Studio</h2>Design a network, or start from a "
                         "preset or an example. Press F on the canvas to fit the whole network.")
        heading.setWordWrap(True)
        self.new_button = QPushButton("New Design")
        self.new_button.clicked.connect(self.new_design)
        self.train_button = QPushButton("Train LeNet-5 on the bundled digits")
        self.train_button.setToolTip("Opens the LeNet-5 preset and trains it for one epoch on "
                                     "mnist-sample (bundled, no download)")
        self.train_button.clicked.connect(self.train_lenet)
        self.presets = QListWidget()
        self.examples = QListWidget()
        self.recent = QListWidget()
        for box, slot in ((self.presets, self._open_preset), (self.examples, self._open_example),
                          (self.recent, self._open_recent)):
            box.itemActivated.connect(slot)
        self.show_at_start = QCheckBox("Show this page at start-up")
        self.show_at_start.setChecked(window.settings.value(SHOW_KEY, True, type=bool))
        self.show_at_start.toggled.connect(
            lambda on: window.settings.setValue(SHOW_KEY, bool(on)))
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.train_button)
        buttons.addStretch(1)
        grid = QGridLayout()
        grid.addWidget(_list("Presets", self.presets), 0, 0, 2, 1)
        grid.addWidget(_list("Examples", self.examples), 0, 1)
        grid.addWidget(_list("Recent files", self.recent), 1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(32, 24, 32, 24)
        lay.addWidget(heading)
        lay.addLayout(buttons)
        lay.addLayout(grid, 1)
        lay.addWidget(self.show_at_start)

    def refill(self) -> None:
        from cnnstudio.core.presets import PRESETS  # many builders: load late

        self.presets.clear()
        for pid, preset in PRESETS.items():
            item = QListWidgetItem(f"{preset.title} \u2014 {preset.description}")
            item.setData(ROLE, pid)
            item.setToolTip(preset.description)
            self.presets.addItem(item)
        self.main.fill_examples_menu()  # the Examples menu's list, its actions reused
        self.examples.clear()
        for action in self.main.actions.examples_menu.actions():
            item = QListWidgetItem(action.text())
            item.setData(ROLE, action)
            self.examples.addItem(item)
        self.recent.clear()
        for path in self.main.recent.paths():
            item = QListWidgetItem(f"{Path(path).name} \u2014 {Path(path).parent}")
            item.setData(ROLE, path)
            item.setToolTip(path)
            self.recent.addItem(item)
        if not self.recent.count():
            self.recent.addItem(QListWidgetItem("(none yet)"))

    # ------------------------------------------------------------ choices
    @Slot()
    def new_design(self) -> None:
        self.main.new_document()  # set_document brings the canvas back

    @Slot(QListWidgetItem)
    def _open_preset(self, item: QListWidgetItem) -> None:
        self.main.open_preset(str(item.data(ROLE)))

    @Slot(QListWidgetItem)
    def _open_example(self, item: QListWidgetItem) -> None:
        action = item.data(ROLE)
        if isinstance(action, QAction):
            action.trigger()

    @Slot(QListWidgetItem)
    def _open_recent(self, item: QListWidgetItem) -> None:
        path = item.data(ROLE)
        if isinstance(path, str):
            self.main.open_file(path)

    @Slot()
    def train_lenet(self) -> None:
        """One click to a first trained model: LeNet-5, mnist-sample, one epoch."""
        if not self.main.open_preset(QUICK_PRESET):
            return
        form = self.main.training.form
        form.dataset.setCurrentText(QUICK_DATASET)
        form.epochs.setValue(QUICK_EPOCHS)
        form.device.set_device("auto")
        self.main.actions["train_start"].trigger()


class Welcome:
    """The central stack of the window: the canvas, and the welcome page made on first use."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.page: WelcomePage | None = None
        self.stack = QStackedWidget(window)
        self.stack.addWidget(window.takeCentralWidget())
        window.setCentralWidget(self.stack)
        self.action = QAction("&Welcome", window)
        self.action.triggered.connect(lambda _checked=False: self.show())
        window.actions.all["welcome"] = self.action
        file_menu = window.menuBar().actions()[0].menu()
        file_menu.insertAction(window.actions["new"], self.action)

    @property
    def visible(self) -> bool:
        return self.page is not None and self.stack.currentWidget() is self.page

    def show(self) -> None:
        if self.page is None:
            self.page = WelcomePage(self.window)
            self.stack.addWidget(self.page)
        self.page.refill()
        self.stack.setCurrentWidget(self.page)
        self.page.new_button.setFocus()

    def show_at_start(self) -> bool:
        """At start-up with no file opened: the page, unless turned off; True when shown."""
        if not self.window.settings.value(SHOW_KEY, True, type=bool):
            return False
        self.show()
        return True

    def leave(self) -> None:
        """Back to the canvas (a document was opened or made)."""
        self.stack.setCurrentWidget(self.window.view)
