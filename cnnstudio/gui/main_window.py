"""The main window: the canvas in the middle, palette / inspector / summary / history docks,
menus, and the file operations (new, open, save, examples, presets, recent, recovery).

The window holds one ``Document`` at a time; ``set_document`` hands it to the scene and the
panels, which follow it from then on. File operations live in ``file_ops.FileOps``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QSettings, Qt, Slot
from PySide6.QtGui import QCloseEvent, QGuiApplication, QUndoGroup
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QUndoView,
    QWidget,
)

from cnnstudio.core.errors import GraphError
from cnnstudio.gui import clipboard
from cnnstudio.gui.actions import Actions
from cnnstudio.gui.canvas.node_item import NodeItem
from cnnstudio.gui.canvas.scene import CanvasScene
from cnnstudio.gui.canvas.view import CanvasView
from cnnstudio.gui.document import Document
from cnnstudio.gui.file_ops import FileOps
from cnnstudio.gui.files import AutoSaver, RecentFiles, default_recovery_dir
from cnnstudio.gui.panels.inspector import Inspector
from cnnstudio.gui.panels.palette import Palette
from cnnstudio.gui.panels.summary import SummaryPanel
from cnnstudio.gui.theme import app_icon, apply_theme, current_theme
from cnnstudio.gui.training import add_training_dock
from cnnstudio.gui.welcome import Welcome
from cnnstudio.gui.window_state import WindowState

if TYPE_CHECKING:
    from cnnstudio.gui.export_dialog import ExportDialog
    from cnnstudio.gui.import_dialog import ImportDialog
    from cnnstudio.gui.training.pretrained import PretrainedLoader


class MainWindow(FileOps, QMainWindow):
    pretrained: PretrainedLoader  # Train > Load Pretrained Weights... (training.dock)
    import_window: ImportDialog | None = None  # File > Import... (import_dialog.py)

    def __init__(self, settings: QSettings | None = None, recovery_dir: Path | None = None,
                 autosave_ms: int = 60_000) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.recent = RecentFiles(self.settings)
        self.setWindowIcon(app_icon())
        self.undo_group = QUndoGroup(self)
        self.scene = CanvasScene(self)
        self.view = CanvasView(self.scene, self)
        self.setCentralWidget(self.view)
        self.palette = Palette(self)
        self.inspector = Inspector(self)
        self.summary = SummaryPanel(self)
        self.history = QUndoView(self.undo_group, self)
        self.history.setEmptyLabel("<opened>")
        self.docks = {
            "palette": self._dock("Layers", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea),
            "inspector": self._dock("Inspector", self.inspector,
                                    Qt.DockWidgetArea.RightDockWidgetArea),
            "history": self._dock("History", self.history, Qt.DockWidgetArea.RightDockWidgetArea),
            "summary": self._dock("Summary", self.summary, Qt.DockWidgetArea.BottomDockWidgetArea),
        }
        self.resizeDocks([self.docks["palette"], self.docks["inspector"]], [220, 320],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["summary"]], [190], Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["inspector"], self.docks["history"])
        self.docks["inspector"].raise_()
        self.actions = Actions(self)
        for dock in self.docks.values():
            self.actions.docks_menu.addAction(dock.toggleViewAction())
        self.actions["dark"].setChecked(current_theme() == "dark")
        self.training = add_training_dock(self)
        self.welcome = Welcome(self)  # the canvas and the welcome page in one stack
        self.export_window: ExportDialog | None = None
        self.autosaver = AutoSaver(recovery_dir or default_recovery_dir(), autosave_ms, self)
        self.palette.kindActivated.connect(self.add_kind_at_centre)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.message.connect(self.show_message)
        self.inspector.message.connect(self.show_message)
        self.summary.nodeClicked.connect(self.reveal_node)
        self.doc: Document | None = None
        self.set_document(Document())
        self.resize(1400, 900)
        self.window_state = WindowState(self)  # the last session's size, docks, zoom, theme
        self.statusBar().showMessage("Drag layers from the palette, or press Tab on the canvas.")

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower())
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # ------------------------------------------------------------ document
    def set_document(self, doc: Document) -> None:
        old, self.doc = self.doc, doc
        doc.setParent(self)
        self.undo_group.addStack(doc.undo_stack)
        self.undo_group.setActiveStack(doc.undo_stack)
        self.scene.set_document(doc)
        self.welcome.leave()
        self.inspector.set_document(doc)
        self.summary.set_document(doc)
        self.autosaver.set_document(doc)
        doc.modifiedChanged.connect(self.setWindowModified)
        doc.pathChanged.connect(self._update_title)
        self.setWindowModified(doc.modified)
        self._update_title()
        if old is not None:
            self.undo_group.removeStack(old.undo_stack)
            old.close()
            old.deleteLater()
        self.view.fit_all()

    @Slot()
    def _update_title(self) -> None:
        assert self.doc is not None
        self.setWindowTitle(f"{self.doc.title}[*] - CNN Studio")

    def showEvent(self, event: object) -> None:  # type: ignore[override]
        super().showEvent(event)  # type: ignore[arg-type]
        self.view.fit_all()

    @Slot(str)
    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.window_state.save()
        self.autosaver.shutdown()
        self.training.shutdown()
        self.pretrained.shutdown()
        if self.export_window is not None:
            self.export_window.shutdown()
        if self.import_window is not None:  # File > Import... (import_dialog.py)
            self.import_window.shutdown()
        self.release_clipboard()
        event.accept()

    # ------------------------------------------------------------ edits
    @Slot(str)
    def add_kind_at_centre(self, kind: str) -> None:
        """A kind from the palette: below the selected node and fed from it, else centred."""
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        self.view.keys.add_after_selection(kind, centre)

    def delete_selection(self) -> None:
        assert self.doc is not None
        ids = self.scene.selected_node_ids()
        after = self.view.keys.survivor(ids)  # the keyboard keeps its place
        self.doc.remove(ids, self.scene.selected_edges())
        if after is not None and not self.scene.selectedItems():
            self.scene.select_nodes([after])

    def copy_selection(self) -> None:
        assert self.doc is not None
        ids = self.scene.selected_node_ids()
        if ids:
            data = QMimeData()
            raw = clipboard.dumps(self.doc.copy_data(ids))
            data.setData(clipboard.MIME_TYPE, raw)
            data.setText(raw.decode("utf-8"))
            QGuiApplication.clipboard().setMimeData(data)

    def release_clipboard(self) -> None:
        """Hand copied nodes to the clipboard as plain text before the window goes.

        A QMimeData made in Python and still held by the clipboard when the application is
        destroyed crashes the interpreter at exit (seen with PySide6 6.11 and 6.12); plain text
        is owned by Qt, and ``paste`` reads it back.
        """
        board = QGuiApplication.clipboard()
        mime = board.mimeData()
        if mime is not None and mime.hasFormat(clipboard.MIME_TYPE):
            board.setText(bytes(mime.data(clipboard.MIME_TYPE).data()).decode("utf-8"))

    def paste(self) -> None:
        assert self.doc is not None
        mime = QGuiApplication.clipboard().mimeData()
        raw = b""
        if mime is not None:
            raw = bytes(mime.data(clipboard.MIME_TYPE).data()) or mime.text().encode("utf-8")
        data = clipboard.loads(raw) if raw else None
        if data is None:
            self.show_message("The clipboard holds no CNN Studio nodes.")
            return
        self._select_after(lambda: self.doc.paste(data) if self.doc else [])

    def duplicate_selection(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids and self.doc is not None:
            self._select_after(lambda: self.doc.duplicate(ids) if self.doc else [])

    def _select_after(self, edit: object) -> None:
        try:
            ids = edit()  # type: ignore[operator]
        except GraphError as exc:
            self.show_message(exc.message)
            return
        self.scene.select_nodes(ids)

    def group_selection(self) -> None:
        assert self.doc is not None
        ids = self.scene.selected_node_ids()
        if not ids:
            self.show_message("Select the nodes to group first.")
            return
        n = len(self.doc.groups()) + 1
        name, ok = QInputDialog.getText(self, "Group", "Name of the group:", text=f"group{n}")
        if ok and name.strip():
            self.doc.group_nodes(ids, name.strip())
            self.scene.select_groups([name.strip()])

    def _groups_of_selection(self) -> set[str]:
        assert self.doc is not None
        nodes = self.doc.graph.nodes
        return {g for g in (nodes[n].group for n in self.scene.selected_node_ids()) if g}

    def collapse_selection(self) -> None:
        assert self.doc is not None
        groups = sorted(self._groups_of_selection())
        self.doc.set_collapsed(groups, True)
        self.scene.select_groups(groups)

    def expand_selection(self) -> None:
        assert self.doc is not None
        self.doc.set_collapsed(sorted(self._groups_of_selection()), False)

    def ungroup_selection(self) -> None:
        assert self.doc is not None
        for g in sorted(self._groups_of_selection()):
            self.doc.ungroup(g)

    def collapse_all(self) -> None:
        assert self.doc is not None
        self.doc.set_collapsed(list(self.doc.groups()), True)

    def expand_all(self) -> None:
        assert self.doc is not None
        self.doc.set_collapsed(list(self.doc.collapsed), False)

    def auto_layout(self) -> None:
        assert self.doc is not None
        self.doc.auto_layout()
        self.view.fit_all()

    def set_snap(self) -> None:
        self.scene.snap_to_grid = self.actions["snap"].isChecked()

    def set_keras_shapes(self) -> None:
        """View > Keras Shapes: the canvas and the summary write shapes and counts as Keras."""
        on = self.actions["keras_shapes"].isChecked()
        self.scene.set_keras(on)
        self.summary.set_keras(on)

    def set_dark(self) -> None:
        name = "dark" if self.actions["dark"].isChecked() else "light"
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, name)
        self.settings.setValue("ui/theme", name)
        self.scene.restyle()
        self.view.viewport().update()

    def about(self) -> None:
        QMessageBox.about(self, "About CNN Studio",
                          "CNN Studio: design, train and export convolutional networks.")

    # ------------------------------------------------------------ selection
    @Slot()
    def _selection_changed(self) -> None:
        items = self.scene.selectedItems()
        nodes = [i for i in items if isinstance(i, NodeItem)]
        one = nodes[0].node_id if len(nodes) == 1 and len(items) == 1 else None
        self.inspector.set_node(one)
        self.summary.select_node(one)
        if len(items) > 1:
            self.show_message(f"{len(self.scene.selected_node_ids())} nodes selected")

    @Slot(str)
    def reveal_node(self, node_id: str) -> None:
        self.scene.select_nodes([node_id])
        self.view.centerOn(self.scene.item_for(node_id))
