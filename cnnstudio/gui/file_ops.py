"""File operations of the main window: new, open, save, save as, recent files, examples,
presets, and recovery after a crash (a mixin of ``MainWindow``).

Opening builds a new ``Document`` first, so a broken file (``ProjectFileError``) is reported
in a message box and leaves the open document untouched. Examples open without a path (a
save never writes into the bundled resources); presets, and files saved without their
groups' state, open collapsed and laid out compactly when they are large. Files, examples
and presets open at a readable zoom from the Input down (``canvas.start_view.show_top``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from cnnstudio.core.errors import GraphError, ProjectFileError
from cnnstudio.core.project_io import Project
from cnnstudio.gui.canvas.start_view import show_top
from cnnstudio.gui.document import Document
from cnnstudio.gui.files import find_orphans
from cnnstudio.resources import resource_path

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

    _Base = MainWindow
else:
    _Base = object

FILTER = "CNN Studio projects (*.cnnproj);;All files (*)"


class FileOps(_Base):
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False when the user cancels."""
        if self.doc is None or not self.doc.modified:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.doc.title}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def open_export_dialog(self, prefer_run: bool = False) -> None:
        """File > Export: the open design (fresh weights) or the training dock's run."""
        from cnnstudio.gui.export_dialog import ExportDialog, ExportSource, run_sources

        assert self.doc is not None
        folder = self.doc.path.parent if self.doc.path else None
        sources = [ExportSource("Open design (untrained, seed 0)", self.doc.to_project(),
                                None, folder)]
        run_dir = self.training.run_dir
        try:
            runs = run_sources(run_dir) if run_dir is not None else []
        except ProjectFileError as exc:
            QMessageBox.warning(self, "Cannot export the run", str(exc))
            runs = []
        sources = runs + sources if prefer_run else sources + runs
        self.export_window = ExportDialog(sources, self)
        self.export_window.open()

    def new_document(self) -> None:
        if self.maybe_save():
            self.set_document(Document())

    def open_dialog(self) -> None:
        start = str(self.doc.path.parent) if self.doc and self.doc.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start, FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path, ask: bool = True) -> bool:
        """Open a project file; a broken one is reported and changes nothing."""
        try:
            doc = Document.open(path)
        except ProjectFileError as exc:
            QMessageBox.critical(self, "Cannot open the project",
                                 f"{Path(exc.path).name} could not be opened:\n\n{exc.reason}")
            return False
        if ask and not self.maybe_save():
            doc.close()
            return False
        self.set_document(doc)
        self.recent.add(path)
        show_top(self.view)  # readable, from the Input down; F fits it all
        return True

    def open_example(self, path: Path) -> bool:
        if not self.open_file(path):
            return False
        assert self.doc is not None
        self.doc.path, self.doc.name = None, path.stem  # save elsewhere, not into the bundle
        self._update_title()
        self.recent.remove(str(path.resolve()))
        return True

    def open_preset(self, preset_id: str) -> bool:
        from cnnstudio.core.presets import PRESETS, build_preset  # many builders: load late
        from cnnstudio.core.presets.origin import PRESET_KEY

        if not self.maybe_save():
            return False
        preset = PRESETS[preset_id]
        try:
            graph = build_preset(preset_id)
        except (GraphError, ValueError, KeyError) as exc:
            QMessageBox.critical(self, "Cannot build the preset", str(exc))
            return False
        doc = Document(Project(graph, preset.id, preset.description, {PRESET_KEY: preset.id}))
        doc.collapse_all_if_large(relayout=True)
        self.set_document(doc)
        show_top(self.view)  # readable, from the Input down; F fits it all
        return True

    def save(self) -> bool:
        assert self.doc is not None
        if self.doc.path is None:
            return self.save_as()
        return self._write(self.doc.path)

    def save_as(self) -> bool:
        assert self.doc is not None
        start = str(self.doc.path or Path.home() / f"{self.doc.name}.cnnproj")
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, FILTER)
        if not path:
            return False
        target = Path(path)
        if target.suffix != ".cnnproj":
            target = target.with_suffix(".cnnproj")
        return self._write(target)

    def _write(self, path: Path) -> bool:
        assert self.doc is not None
        try:
            self.doc.save(path)
        except OSError as exc:
            QMessageBox.critical(self, "Cannot save", f"{path}: {exc.strerror or exc}")
            return False
        self.recent.add(path)
        self.show_message(f"Saved {path}")
        return True

    @Slot()
    def fill_recent_menu(self) -> None:
        menu = self.actions.recent_menu
        menu.clear()
        for p in self.recent.paths():
            menu.addAction(Path(p).name, lambda p=p: self.open_file(p)).setToolTip(p)
        if menu.isEmpty():
            menu.addAction("(none)").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear list", self.recent.clear)

    @Slot()
    def fill_examples_menu(self) -> None:
        menu = self.actions.examples_menu
        menu.clear()
        for p in sorted(resource_path("examples").glob("*.cnnproj")):
            menu.addAction(p.stem.replace("_", " "), lambda p=p: self.open_example(p))

    @Slot()
    def fill_presets_menu(self) -> None:
        from cnnstudio.core.presets import PRESETS

        menu = self.actions.presets_menu
        menu.clear()
        for pid, preset in PRESETS.items():
            action = menu.addAction(preset.title, lambda pid=pid: self.open_preset(pid))
            action.setToolTip(preset.description)
        menu.setToolTipsVisible(True)

    def offer_recovery(self) -> bool:
        """After a crash, offer the newest recovery copy; True when one was opened."""
        orphans = find_orphans(self.autosaver.folder)
        if not orphans:
            return False
        newest = orphans[0]
        where = str(newest.original) if newest.original else "an unsaved project"
        answer = QMessageBox.question(
            self, "Recover unsaved work?",
            f"CNN Studio did not close properly. Recover the autosaved copy of {where}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        recovered = False
        if answer == QMessageBox.StandardButton.Yes:
            try:
                doc = Document.open(newest.project)
            except ProjectFileError as exc:
                QMessageBox.critical(self, "Cannot recover", exc.reason)
            else:
                doc.path = newest.original
                if newest.original is None:
                    doc.name = "Recovered"
                self.set_document(doc)
                doc.mark_modified()
                self.autosaver.save_now()
                recovered = True
        for orphan in orphans:
            orphan.discard()
        return recovered

