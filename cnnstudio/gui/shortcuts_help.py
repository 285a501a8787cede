"""Help > Keyboard Shortcuts: a searchable table made from the window's actions (their text
and shortcuts, as the menus show them) and the canvas keys that are not actions
(``canvas.keyboard.CANVAS_KEYS``), so the table never disagrees with the keys themselves.
docs/keyboard.md holds the same table; a test keeps the two in step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.gui.canvas.keyboard import CANVAS_KEYS

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow


def shortcut_rows(w: MainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every action with a shortcut, then the canvas keys."""
    rows: list[tuple[str, str]] = []
    fixed = {id(w.actions.undo): "Undo", id(w.actions.redo): "Redo"}  # their text changes
    for action in [*w.actions.all.values(), w.actions.undo, w.actions.redo]:
        text, _, shown = fixed.get(id(action), action.text()).partition("\t")
        keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText)
                         for s in action.shortcuts()) or shown
        if keys:
            rows.append((keys, text.replace("&", "").rstrip(".")))
    return [*sorted(rows, key=lambda r: r[1].lower()), *CANVAS_KEYS]


class ShortcutsDialog(QDialog):
    def __init__(self, w: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or w)
        self.setWindowTitle("Keyboard Shortcuts")
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search keys or actions")
        self.search.setClearButtonEnabled(True)
        rows = shortcut_rows(w)
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (keys, what) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(keys))
            self.table.setItem(r, 1, QTableWidgetItem(what))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        em = self.fontMetrics().horizontalAdvance("M")
        self.resize(40 * em, 36 * self.fontMetrics().height())
        self.search.textChanged.connect(self._filter)

    @Slot(str)
    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for r in range(self.table.rowCount()):
            line = " ".join(self.table.item(r, c).text().lower() for c in (0, 1))
            self.table.setRowHidden(r, not all(word in line for word in words))


def show_shortcuts(w: MainWindow) -> ShortcutsDialog:
    """Show the window's shortcuts dialog, made on first use (a child of the window)."""
    dialog = w.findChild(ShortcutsDialog)
    if dialog is None:
        dialog = ShortcutsDialog(w)
    dialog.show()
    dialog.raise_()
    dialog.search.setFocus()
    return dialog
