"""Train > Compare Runs..., Show Changes Since Run... and Clear Changes Highlight.

``RunPicker`` lists the runs of the runs folder (``cnnstudio.runs.list_runs``; Browse...
picks another folder); Compare Runs... takes two or more and opens ``open_compare``, oldest
first (the first is the reference of the architecture diffs). ``w.compare_runs(paths)`` does
the same for the run history's ``compareRequested``.

``ChangesSinceRun`` marks on the canvas what changed in the open design since a run's design
(``cnnstudio.core.diff``): nodes added and changed get a coloured outline and badge
(``CanvasScene.set_highlights``) and a tooltip with the parameter changes; the removed nodes
are named in the status bar. The highlight follows the design: it is recomputed after every
edit, undo and redo (the document's ``changed``), so a node edited back to the run's value
loses its mark and a new node gains one. Clear Changes Highlight, or opening another
document, ends it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.diff import ArchitectureDiff, NodeChange, diff_graphs
from cnnstudio.core.errors import ProjectFileError
from cnnstudio.core.graph import Graph
from cnnstudio.core.project_io import load
from cnnstudio.gui.document import Document
from cnnstudio.gui.runs.compare import open_compare
from cnnstudio.runs import list_runs, read_run

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


class RunPicker(QDialog):
    """Choose runs of a runs folder: ``minimum`` or more (one alone when ``minimum`` is 1)."""

    def __init__(self, folder: Path, minimum: int, title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.minimum = minimum
        self.folder_label = QLabel()
        browse = QPushButton("Browse...")
        browse.clicked.connect(self.browse)
        self.list = QListWidget()
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection if minimum > 1
                                   else QListWidget.SelectionMode.SingleSelection)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.list.itemSelectionChanged.connect(self._update_ok)
        self.list.itemDoubleClicked.connect(lambda _item: self._accept_if_ok())
        top = QHBoxLayout()
        top.addWidget(self.folder_label, 1)
        top.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        hint = "Select two or more runs" if minimum > 1 else "Select a run"
        layout.addWidget(QLabel(hint))
        layout.addWidget(self.list)
        layout.addWidget(self.buttons)
        self.resize(620, 420)
        self.load(folder)

    def load(self, folder: Path) -> None:
        self.folder = folder
        self.list.clear()
        runs = list_runs(folder)
        self.folder_label.setText(f"{folder}" + ("" if runs else "  (no runs here)"))
        for r in runs:
            acc = f"test {r.test_accuracy:.2%}" if r.test_accuracy is not None else "no test"
            item = QListWidgetItem(f"{r.name}  ·  {r.project or '?'}  ·  {r.status}  ·  "
                                   f"{r.epochs_done} epochs  ·  {acc}")
            item.setData(PATH_ROLE, r.path)
            item.setToolTip(r.path)
            self.list.addItem(item)
        self._update_ok()

    @Slot()
    def browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Runs Folder", str(self.folder))
        if path:
            self.load(Path(path))

    def _update_ok(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(len(self.list.selectedItems()) >= self.minimum)

    def _accept_if_ok(self) -> None:
        if self.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled():
            self.accept()

    def selected(self) -> list[Path]:
        """The chosen run folders, oldest first (the list shows the newest first)."""
        rows = sorted(self.list.row(i) for i in self.list.selectedItems())
        return [Path(self.list.item(r).data(PATH_ROLE)) for r in reversed(rows)]


def change_note(change: NodeChange, run: str) -> str:
    lines = [f"Changed since run {run}:"]
    lines += [f"  {p.text()}" for p in change.params]
    if change.inputs is not None:
        lines.append("  " + change.text().split("; ")[-1])
    if change.old.name != change.new.name:
        lines.append(f"  (named {change.old.name} in the run)")
    return "\n".join(lines)


class ChangesSinceRun(QObject):
    """The canvas highlight of what changed since one run's design (module docstring)."""

    def __init__(self, window: MainWindow, clear_action: QAction) -> None:
        super().__init__(window)
        self.window = window
        self.clear_action = clear_action
        self.base: Graph | None = None
        self.run_name = ""
        self.doc: Document | None = None
        self.diff: ArchitectureDiff | None = None
        self.last_message = ""
        clear_action.setEnabled(False)
        clear_action.triggered.connect(self.clear)

    def show_changes(self, run_dir: Path) -> ArchitectureDiff | None:
        """Highlight the changes since the run in ``run_dir``; None (and a message) when its
        design cannot be read."""
        try:
            base = load(Path(run_dir) / "project.cnnproj").graph
        except (ProjectFileError, OSError) as exc:
            self.window.show_message(f"Cannot read the design of run {run_dir}: {exc}")
            return None
        self.clear()
        doc = self.window.doc
        if doc is None:
            return None
        self.base, self.run_name, self.doc = base, read_run(run_dir).name, doc
        doc.changed.connect(self.recompute)
        doc.destroyed.connect(self._forget_doc)
        self.clear_action.setEnabled(True)
        self.recompute()
        return self.diff

    @Slot()
    def recompute(self) -> None:
        """Diff the run's design against the open design and mark the canvas."""
        if self.base is None or self.doc is None:
            return
        if self.window.doc is not self.doc:
            self.clear()
            return
        diff = self.diff = diff_graphs(self.base, self.doc.graph)
        marks = {r.id: "added" for r in diff.added}
        notes = {r.id: f"Added since run {self.run_name}" for r in diff.added}
        for change in diff.changed:
            marks[change.new.id] = "changed"
            notes[change.new.id] = change_note(change, self.run_name)
        self.window.scene.set_highlights(marks, notes)
        text = self.summary(diff)
        if text != self.last_message:
            self.last_message = text
            self.window.show_message(text)

    def summary(self, diff: ArchitectureDiff) -> str:
        if diff.is_empty:
            return f"No architecture changes since run {self.run_name}"
        removed = ", ".join(r.label() for r in diff.removed)
        return (f"Since run {self.run_name}: {len(diff.added)} added, {len(diff.changed)} "
                f"changed, {len(diff.removed)} removed" + (f" ({removed})" if removed else "")
                + f"; params {diff.params_delta:+,}")

    @Slot()
    def clear(self) -> None:
        """Remove the highlight and stop following the design."""
        if self.doc is not None:
            self.doc.changed.disconnect(self.recompute)
            self.doc.destroyed.disconnect(self._forget_doc)
        self.base, self.doc, self.diff, self.last_message = None, None, None, ""
        self.window.scene.set_highlights({})
        self.clear_action.setEnabled(False)

    @Slot()
    def _forget_doc(self) -> None:
        self.doc = None
        self.clear()


def add_compare_actions(w: MainWindow, menu: QMenu, runs_dir: Callable[[], Path]) -> None:
    """Add Compare Runs..., Show Changes Since Run... and Clear Changes Highlight to ``menu``
    (the Train menu); ``runs_dir`` gives the runs folder the pickers open on."""
    compare = QAction("&Compare Runs...", w)
    show = QAction("Show C&hanges Since Run...", w)
    clear = QAction("C&lear Changes Highlight", w)
    w.changes_since_run = ChangesSinceRun(w, clear)

    def pick(minimum: int, title: str, done: Callable[[list[Path]], None]) -> RunPicker:
        picker = RunPicker(runs_dir(), minimum, title, w)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.accepted.connect(lambda: done(picker.selected()))
        picker.open()
        w.run_picker = picker
        return picker

    def compare_runs(paths: list[Path]) -> None:
        """Open Compare Runs on ``paths`` (two or more), oldest first: the run history's
        ``compareRequested`` connects here."""
        ordered = sorted((Path(p) for p in paths), key=lambda p: read_run(p).started or 0.0)
        w.compare_window = open_compare(w, ordered)

    w.compare_runs = compare_runs
    compare.triggered.connect(lambda: pick(2, "Compare Runs", compare_runs))
    show.triggered.connect(lambda: pick(1, "Show Changes Since Run",
                                        lambda p: w.changes_since_run.show_changes(p[0])))
    menu.addSeparator()
    for name, action in (("compare", compare), ("show_changes", show),
                         ("clear_changes", clear)):
        menu.addAction(action)
        w.actions.all[f"train_{name}"] = action
