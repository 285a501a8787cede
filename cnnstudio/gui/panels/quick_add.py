"""Searchable popups: type to filter a list, Up / Down to move, Enter to pick, Escape to close.

``SearchPopup`` is the shared widget; ``QuickAdd`` (Tab on the canvas) lists layer kinds,
matching on the kind or its category, names starting with the typed text first, and emits
``chosen(kind)``; the canvas view decides where the node goes. ``ChoicePopup`` lists any
entries (the canvas's Connect To... and Disconnect...) and emits ``chosen(data)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal, Slot
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from cnnstudio.core.layers import LAYERS
from cnnstudio.gui.theme import category_icon

DATA_ROLE = Qt.ItemDataRole.UserRole


def rank_kinds(text: str) -> list[str]:
    """Kinds matching ``text`` (kind or category), best matches first."""
    t = text.strip().lower()
    scored = []
    for kind, spec in LAYERS.items():
        k, c = kind.lower(), spec.category.lower()
        if not t:
            score = 2
        elif k == t:
            score = -1
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


@dataclass(frozen=True)
class Entry:
    """One line of a popup: its text, what picking it means, an icon and a tooltip."""

    text: str
    data: object
    icon: QIcon | None = None
    tip: str = ""


class SearchPopup(QFrame):
    """A search box over a list, shown as a popup; ``entries_for(text)`` fills the list."""

    def __init__(self, parent: QWidget | None, placeholder: str) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(placeholder)
        self.list = QListWidget(self)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay in the search box
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        w = self.fontMetrics().horizontalAdvance("x") * 46
        self.resize(w, w * 8 // 7)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.search.returnPressed.connect(self._accept)
        self.list.itemActivated.connect(self._accept)

    def entries_for(self, text: str) -> Sequence[Entry]:
        raise NotImplementedError

    def picked(self, data: object) -> None:
        raise NotImplementedError

    def popup(self, global_pos: QPoint) -> None:
        self.search.clear()
        self._filter("")
        self.move(global_pos)
        self.show()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)

    @Slot(str)
    def _filter(self, text: str) -> None:
        self.list.clear()
        for entry in self.entries_for(text):
            item = QListWidgetItem(entry.text)
            if entry.icon is not None:
                item.setIcon(entry.icon)
            item.setToolTip(entry.tip)
            item.setData(DATA_ROLE, entry.data)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    @Slot()
    def _accept(self) -> None:
        item = self.list.currentItem()
        self.hide()
        if item is not None:
            self.picked(item.data(DATA_ROLE))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.search and event.type() == QEvent.Type.KeyPress \
                and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if event.key() == Qt.Key.Key_Up else 1
            row = max(0, min(self.list.count() - 1, self.list.currentRow() + step))
            self.list.setCurrentRow(row)
            return True
        return super().eventFilter(obj, event)


class QuickAdd(SearchPopup):
    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, "Add a layer: type to search, Enter to add")

    def entries_for(self, text: str) -> list[Entry]:
        return [Entry(kind, kind, category_icon(LAYERS[kind].category), LAYERS[kind].help)
                for kind in rank_kinds(text)]

    def picked(self, data: object) -> None:
        self.chosen.emit(str(data))


class ChoicePopup(SearchPopup):
    """A popup over fixed entries, filtered by the words typed (each must appear)."""

    chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, "")
        self.entries: list[Entry] = []

    def open_with(self, entries: list[Entry], placeholder: str, global_pos: QPoint) -> None:
        self.entries = entries
        self.search.setPlaceholderText(placeholder)
        self.popup(global_pos)

    def entries_for(self, text: str) -> list[Entry]:
        words = text.lower().split()
        return [e for e in self.entries if all(w in e.text.lower() for w in words)]

    def picked(self, data: object) -> None:
        self.chosen.emit(data)
