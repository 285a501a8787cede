"""The palette dock: layer kinds by category, with icons and a search box.

Drag a kind onto the canvas (the drag carries ``KIND_MIME``) or double-click it to add it
at the centre of the view (``kindActivated``).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, Qt, Signal, Slot
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from cnnstudio.core.layers import CATEGORIES, LAYERS
from cnnstudio.gui.canvas.view import KIND_MIME
from cnnstudio.gui.theme import category_icon

KIND_ROLE = Qt.ItemDataRole.UserRole


class KindTree(QTreeWidget):
    def mimeTypes(self) -> list[str]:
        return [KIND_MIME]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        data = QMimeData()
        kinds = [i.data(0, KIND_ROLE) for i in items if i.data(0, KIND_ROLE)]
        if kinds:
            data.setData(KIND_MIME, kinds[0].encode("utf-8"))
            data.setText(kinds[0])
        return data


class Palette(QWidget):
    kindActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search layers")
        self.search.setClearButtonEnabled(True)
        self.tree = KindTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.tree.setIndentation(12)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.categories: dict[str, QTreeWidgetItem] = {}
        for category in CATEGORIES:
            top = QTreeWidgetItem(self.tree, [category])
            top.setIcon(0, category_icon(category))
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.categories[category] = top
        for kind, spec in LAYERS.items():
            item = QTreeWidgetItem(self.categories[spec.category], [kind])
            item.setIcon(0, category_icon(spec.category))
            item.setData(0, KIND_ROLE, kind)
            item.setToolTip(0, f"{kind}: {spec.help}\nDrag onto the canvas or double-click.")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsDragEnabled)
        self.tree.expandAll()
        self.search.textChanged.connect(self.filter)
        self.tree.itemDoubleClicked.connect(self._activated)

    def kind_item(self, kind: str) -> QTreeWidgetItem:
        spec = LAYERS[kind]
        top = self.categories[spec.category]
        for i in range(top.childCount()):
            if top.child(i).data(0, KIND_ROLE) == kind:
                return top.child(i)
        raise KeyError(kind)

    @Slot(str)
    def filter(self, text: str) -> None:
        t = text.strip().lower()
        for category, top in self.categories.items():
            shown = 0
            for i in range(top.childCount()):
                child = top.child(i)
                kind = child.data(0, KIND_ROLE)
                match = not t or t in kind.lower() or t in category.lower() \
                    or t in LAYERS[kind].help.lower()
                child.setHidden(not match)
                shown += match
            top.setHidden(shown == 0)
        self.tree.expandAll()

    @Slot(QTreeWidgetItem, int)
    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        kind = item.data(0, KIND_ROLE)
        if kind:
            self.kindActivated.emit(kind)
