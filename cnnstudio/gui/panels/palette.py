"""The palette dock: layer kinds by category, with icons and a search box.

Drag a kind onto the canvas (the drag carries ``KIND_MIME``), or activate it (double-click,
or Enter in the tree or the search box) to add it (``kindActivated``; the window connects it
after the selected node). Typing in the search box filters the tree and makes the best match
(``rank_kinds``) current; Up / Down move through the kinds shown, so Ctrl+K, a few letters
and Enter add a layer without the mouse.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from cnnstudio.core.layers import CATEGORIES, LAYERS
from cnnstudio.gui.canvas.view import KIND_MIME
from cnnstudio.gui.panels.quick_add import rank_kinds
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
        self.search.setPlaceholderText("Search layers (Ctrl+K), Enter to add")
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
        self.search.returnPressed.connect(self.activate_current)
        self.search.installEventFilter(self)
        self.tree.itemActivated.connect(self._activated)
        self.setFocusProxy(self.search)

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
        best = next((k for k in rank_kinds(text) if not self.kind_item(k).isHidden()), None)
        if best is None:
            best = next(iter(self.shown_kinds()), None)
        self.tree.setCurrentItem(self.kind_item(best) if best else None)

    def shown_kinds(self) -> list[str]:
        """The kinds the tree shows now, top to bottom."""
        return [top.child(i).data(0, KIND_ROLE) for top in self.categories.values()
                if not top.isHidden() for i in range(top.childCount())
                if not top.child(i).isHidden()]

    def current_kind(self) -> str | None:
        item = self.tree.currentItem()
        kind = item.data(0, KIND_ROLE) if item is not None else None
        return kind if kind and not item.isHidden() else None

    @Slot()
    def activate_current(self) -> None:
        """Enter in the search box: add the current kind, then select the text for the next."""
        kind = self.current_kind()
        if kind:
            self.kindActivated.emit(kind)
            self.search.selectAll()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.search and event.type() == QEvent.Type.KeyPress \
                and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            kinds = self.shown_kinds()
            if kinds:
                now = self.current_kind()
                i = kinds.index(now) if now in kinds else -1
                i += -1 if event.key() == Qt.Key.Key_Up else 1
                self.tree.setCurrentItem(self.kind_item(kinds[max(0, min(len(kinds) - 1, i))]))
            return True
        return super().eventFilter(obj, event)

    @Slot(QTreeWidgetItem, int)
    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        kind = item.data(0, KIND_ROLE)
        if kind:
            self.kindActivated.emit(kind)
