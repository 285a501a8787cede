"""The quick-add popup (Tab on the canvas): type to filter layer kinds, Enter to add one.

Matches on the kind or its category, names starting with the typed text first. It only
emits ``chosen(kind)``; the canvas view decides where the node goes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from cnnstudio.core.layers import LAYERS
from cnnstudio.gui.theme import category_icon


def rank_kinds(text: str) -> list[str]:
    """Kinds matching ``text`` (kind or category), best matches first."""
    t = text.strip().lower()
    scored = []
    for kind, spec in LAYERS.items():
        k, c = kind.lower(), spec.category.lower()
        if not t:
            score = 2
        elif k.startswith(t):
            score = 0
        elif t in k:
            score = 1
        elif t in c:
            score = 2
        else:
            continue
        scored.append((score, kind))
    return [k for _, k in sorted(scored)]


class QuickAdd(QFrame):
    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add a layer: type to search, Enter to add")
        self.list = QListWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(280, 320)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.search.returnPressed.connect(self._accept)
        self.list.itemActivated.connect(self._accept)

    def popup(self, global_pos: QPoint) -> None:
        self.search.clear()
        self._filter("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    @Slot(str)
    def _filter(self, text: str) -> None:
        self.list.clear()
        for kind in rank_kinds(text):
            item = QListWidgetItem(category_icon(LAYERS[kind].category), kind)
            item.setToolTip(LAYERS[kind].help)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    @Slot()
    def _accept(self) -> None:
        item = self.list.currentItem()
        self.hide()
        if item is not None:
            self.chosen.emit(item.text())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.search and event.type() == QEvent.Type.KeyPress \
                and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if event.key() == Qt.Key.Key_Up else 1
            row = max(0, min(self.list.count() - 1, self.list.currentRow() + step))
            self.list.setCurrentRow(row)
            return True
        return super().eventFilter(obj, event)
