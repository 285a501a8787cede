"""The main window's actions, menus and shortcuts, in one table-like place.

Canvas actions (Delete, Copy, Paste, Duplicate, Select all, F to fit) are scoped to the
canvas (``WidgetWithChildrenShortcut``) so the same keys still edit text in the inspector
and the search boxes; file and undo actions work window-wide. Freeze / Unfreeze (Edit menu
and the canvas context menu) apply to the selected weighted nodes and to those in selected
groups, as one undo step. Menus that list changing
things (Open Recent, Examples, Presets) are filled when they open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from cnnstudio.gui.focus_cycle import cycle_focus, search_layers
from cnnstudio.gui.shortcuts_help import show_shortcuts

if TYPE_CHECKING:
    from cnnstudio.gui.guide import GuideWindow
    from cnnstudio.gui.main_window import MainWindow

Key = QKeySequence.StandardKey


def _import_dialog(w: MainWindow) -> None:
    """File > Import... (loaded when first used; torch only in its worker)."""
    from cnnstudio.gui.import_dialog import open_import_dialog

    open_import_dialog(w)


class Actions:
    def __init__(self, w: MainWindow) -> None:
        self.w = w
        self.all: dict[str, QAction] = {}
        a = self._add
        a("new", "&New", w.new_document, Key.New)
        a("open", "&Open...", w.open_dialog, Key.Open)
        a("save", "&Save", w.save, Key.Save)
        a("save_as", "Save &As...", w.save_as, "Ctrl+Shift+S")
        a("export", "&Export...", w.open_export_dialog, "Ctrl+E")
        a("import", "&Import...", lambda: _import_dialog(w), "Ctrl+Shift+I")
        a("quit", "&Quit", w.close, "Ctrl+Q")
        self.undo = w.undo_group.createUndoAction(w, "&Undo")
        self.undo.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo = w.undo_group.createRedoAction(w, "&Redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        canvas = Qt.ShortcutContext.WidgetWithChildrenShortcut
        a("delete", "&Delete", w.delete_selection, ["Delete", "Backspace"], canvas)
        a("copy", "&Copy", w.copy_selection, "Ctrl+C", canvas)
        a("paste", "&Paste", w.paste, "Ctrl+V", canvas)
        a("duplicate", "D&uplicate", w.duplicate_selection, "Ctrl+D", canvas)
        a("select_all", "Select &All", w.scene.select_all, "Ctrl+A", canvas)
        a("group", "&Group Selection...", w.group_selection, "Ctrl+G", canvas)
        a("collapse", "&Collapse Group", w.collapse_selection, None, canvas)
        a("expand", "&Expand Group", w.expand_selection, "Ctrl+Shift+G", canvas)
        a("ungroup", "&Ungroup", w.ungroup_selection, None, canvas)
        a("freeze", "&Freeze", lambda: self.set_trainable(False), None, canvas)
        a("unfreeze", "Un&freeze", lambda: self.set_trainable(True), None, canvas)
        a("collapse_all", "Collapse All Groups", w.collapse_all)
        a("expand_all", "Expand All Groups", w.expand_all)
        a("quick_add", "Add Node...\tTab", w.view.open_quick_add)
        a("search_layers", "Search &Layers...", lambda: search_layers(w), ["Ctrl+K", "Ctrl+F"])
        a("connect_to", "Co&nnect To...", w.view.keys.open_connect, "Ctrl+Shift+K", canvas)
        a("disconnect", "Disconnec&t...", w.view.keys.open_disconnect, "Ctrl+Shift+D", canvas)
        a("next_panel", "Next &Panel", lambda: cycle_focus(w, 1), "F6")
        a("previous_panel", "Pre&vious Panel", lambda: cycle_focus(w, -1), "Shift+F6")
        w.view.addActions([self.all["connect_to"], self.all["disconnect"]])
        a("fit", "&Fit to View", w.view.fit_all, "F", canvas)
        a("zoom_in", "Zoom &In", lambda: w.view.zoom_by(1.25), Key.ZoomIn, canvas)
        a("zoom_out", "Zoom &Out", lambda: w.view.zoom_by(0.8), Key.ZoomOut, canvas)
        a("layout", "Automatic &Layout", w.auto_layout, "Ctrl+L")
        snap = a("snap", "&Snap to Grid", w.set_snap)
        snap.setCheckable(True)
        snap.setChecked(True)
        a("keras_shapes", "&Keras Shapes", w.set_keras_shapes).setCheckable(True)
        a("playground", "Convolution &Playground...", lambda: self.open_playground(None))
        a("playground_node", "Open in &Playground", self.open_playground_for_selection)
        w.inspector.playgroundRequested.connect(self.open_playground)
        dark = a("dark", "&Dark Theme", w.set_dark)
        dark.setCheckable(True)
        a("guide", "&Guide", self.show_guide, "F1")
        self.guide: GuideWindow | None = None
        a("about", "&About CNN Studio", w.about)
        a("shortcuts", "&Keyboard Shortcuts", lambda: show_shortcuts(w))
        for name in ("delete", "copy", "paste", "duplicate", "select_all", "group", "collapse",
                     "expand", "ungroup", "fit", "zoom_in", "zoom_out"):
            w.view.addAction(self.all[name])
        w.view.context_actions = [self.all[n] if n else None for n in (
            "duplicate", "copy", "paste", "delete", "", "group", "collapse", "expand",
            "ungroup", "", "freeze", "unfreeze", "playground_node", "", "layout", "fit")]
        self._menus()

    def __getitem__(self, name: str) -> QAction:
        return self.all[name]

    def set_trainable(self, trainable: bool) -> None:
        """Freeze / Unfreeze: the selected weighted nodes and those inside selected groups."""
        w = self.w
        if w.doc is None:
            return
        changed = w.doc.set_trainable_nodes(w.scene.selected_node_ids(), trainable)
        verb = "Unfroze" if trainable else "Froze"
        w.show_message(f"{verb} {len(changed)} node{'s' * (len(changed) != 1)}" if changed
                       else f"Nothing to {'unfreeze' if trainable else 'freeze'}: select "
                       "nodes with weights (or groups holding them)")

    def show_guide(self) -> None:
        """Help > Guide (F1): the user guide (docs/guide) in its window, made on first use."""
        from cnnstudio.gui.guide import show_guide  # not needed to show the main window

        self.guide = show_guide(self.w, self.guide)

    def open_playground(self, node_id: str | None = None) -> None:
        """Tools > Convolution Playground... (no node) or Open in Playground on a node."""
        from cnnstudio.gui.playground import open_playground  # made on first use

        open_playground(self.w, node_id)

    def open_playground_for_selection(self) -> None:
        ids = self.w.scene.selected_node_ids()
        self.open_playground(ids[0] if len(ids) == 1 else "")

    def _add(self, name: str, text: str, slot: Callable[..., object],
             keys: object = None, context: Qt.ShortcutContext | None = None) -> QAction:
        action = QAction(text, self.w)
        if isinstance(keys, list):
            action.setShortcuts([QKeySequence(k) for k in keys])
        elif keys is not None:
            action.setShortcut(QKeySequence(keys))  # type: ignore[arg-type]
        if context is not None:
            action.setShortcutContext(context)
        action.triggered.connect(lambda _checked=False: slot())
        self.all[name] = action
        return action

    def _menus(self) -> None:
        w, bar = self.w, self.w.menuBar()
        f = bar.addMenu("&File")
        for n in ("new", "open"):
            f.addAction(self.all[n])
        self.recent_menu = f.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(w.fill_recent_menu)
        self.examples_menu = f.addMenu("&Examples")
        self.examples_menu.aboutToShow.connect(w.fill_examples_menu)
        self.presets_menu = f.addMenu("&Presets")
        self.presets_menu.aboutToShow.connect(w.fill_presets_menu)
        f.addSeparator()
        for n in ("save", "save_as"):
            f.addAction(self.all[n])
        f.addSeparator()
        f.addAction(self.all["import"])
        f.addAction(self.all["export"])
        f.addSeparator()
        f.addAction(self.all["quit"])
        e = bar.addMenu("&Edit")
        e.addAction(self.undo)
        e.addAction(self.redo)
        e.addSeparator()
        for n in ("copy", "paste", "duplicate", "delete", "select_all"):
            e.addAction(self.all[n])
        e.addSeparator()
        for n in ("freeze", "unfreeze"):
            e.addAction(self.all[n])
        e.addSeparator()
        for n in ("quick_add", "search_layers", "connect_to", "disconnect"):
            e.addAction(self.all[n])
        g = bar.addMenu("&Groups")
        for n in ("group", "collapse", "expand", "ungroup", "collapse_all", "expand_all"):
            g.addAction(self.all[n])
        v = bar.addMenu("&View")
        for n in ("fit", "zoom_in", "zoom_out", "layout", "snap", "keras_shapes"):
            v.addAction(self.all[n])
        v.addSeparator()
        self.docks_menu = v.addMenu("&Panels")
        for n in ("next_panel", "previous_panel"):
            v.addAction(self.all[n])
        v.addAction(self.all["dark"])
        t = bar.addMenu("&Tools")
        t.addAction(self.all["playground"])
        h = bar.addMenu("&Help")
        h.addAction(self.all["guide"])
        h.addAction(self.all["shortcuts"])
        h.addAction(self.all["about"])
