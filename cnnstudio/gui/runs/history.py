"""Train > Runs...: the run history of a runs folder, as a sortable table (issue #11).

``RunsView`` lists the runs in the runs folder (the training form's by default; Folder...
chooses another, remembered in QSettings) in a ``CallWorker`` (a folder of hundreds of runs
reads hundreds of JSON files and designs), showing the open design's runs unless "All runs in
the folder" is ticked. A run's name is edited in its cell (F2, or a click on a selected name)
and its notes in the box below; both are written at once to the run's ``run.json``. Delete...
moves the selected runs to the runs folder's trash after a confirmation that names them, and
Undo Delete brings the last deleted ones back; nothing is ever deleted outright. The view
emits ``openRequested`` (double-click or Open), ``openDesignRequested`` and, with two runs or
more selected, ``compareRequested``; ``history_action.RunHistory`` connects them to the app.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QSettings,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.gui.runs.history_listing import RunListing
from cnnstudio.gui.runs.history_model import PATH_ROLE, TITLES, RunsModel, RunsProxy
from cnnstudio.gui.runs.history_trash import TrashBatches, confirmation
from cnnstudio.gui.training.worker import SHUTDOWN_MS
from cnnstudio.runs import RunRecord
from cnnstudio.runs.trash import TRASH

FOLDER_KEY = "runs_history/folder"  # "" or absent: the training form's runs folder
ALL_KEY = "runs_history/all_runs"


class RunsView(QDialog):
    compareRequested = Signal(list)  # list[Path]: the selected runs, two or more
    openRequested = Signal(object)  # Path: show this run in the training dock
    openDesignRequested = Signal(object)  # Path: open this run's design on the canvas

    def __init__(self, settings: QSettings | None, training_folder: Callable[[], str],
                 project: Callable[[], str | None],
                 training_run: Callable[[], Path | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Runs")
        self.resize(1100, 560)
        self.settings, self.training_folder = settings, training_folder
        self.project, self.training_run = project, training_run
        self.listing = RunListing(self)
        self.listing.listed.connect(self._on_listed)
        self.listing.failed.connect(self._on_list_failed)
        self.listing.runningChanged.connect(self._update_buttons)
        self.trash = TrashBatches()  # the deletions Undo Delete can take back
        self.notes_path: str | None = None  # the run whose notes the box shows
        self.model = RunsModel(self)
        self.model.writeFailed.connect(self._write_failed)
        self.proxy = RunsProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(TITLES.index("Started"), Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.SelectedClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.count_label = QLabel()
        self.all_runs = QCheckBox("All runs in the folder")
        self.all_runs.setToolTip("Show every run in the folder, not only the open design's")
        if settings is not None:
            self.all_runs.setChecked(bool(settings.value(ALL_KEY, False, type=bool)))
        self.all_runs.toggled.connect(self._all_toggled)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Notes on the selected run")
        self.notes.textChanged.connect(self._update_buttons)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, tip, slot in (
                ("folder", "Folder...", "List the runs of another runs folder",
                 self.choose_folder),
                ("refresh", "Refresh", "Read the runs folder again", self.refresh),
                ("open", "Open", "Show the run's curves, results and inspection in the "
                 "Training dock (or double-click the run)", self.open_selected),
                ("design", "Open Design", "Open the run's design on the canvas",
                 self.open_design),
                ("compare", "Compare...", "Compare the selected runs", self.compare),
                ("delete", "Delete...", "Move the selected runs to the trash "
                 f"({TRASH} in the runs folder)", self.delete_selected),
                ("undo", "Undo Delete", "Bring the last deleted runs back from the trash",
                 self.undo_delete),
                ("notes", "Save Notes", "Save the notes of the selected run",
                 self.save_notes)):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            self.buttons[key] = button
        for key, keys, slot in (("delete", QKeySequence.StandardKey.Delete,
                                 self.delete_selected),
                                ("undo", QKeySequence.StandardKey.Undo, self.undo_delete)):
            action = QAction(self.buttons[key].text(), self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            self.table.addAction(action)
        self._build_layout()
        self._update_buttons()

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Runs folder:"))
        top.addWidget(self.folder_label, 1)
        for key in ("folder", "refresh"):
            top.addWidget(self.buttons[key])
        top.addWidget(self.all_runs)
        notes = QWidget()
        notes_lay = QVBoxLayout(notes)
        notes_lay.setContentsMargins(0, 0, 0, 0)
        notes_lay.addWidget(self.notes, 1)
        notes_lay.addWidget(self.buttons["notes"], 0, Qt.AlignmentFlag.AlignRight)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(notes)
        split.setStretchFactor(0, 4)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        for key in ("open", "design", "compare", "delete", "undo"):
            bottom.addWidget(self.buttons[key])
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        lay.addLayout(bottom)

    # ------------------------------------------------------------ folder and listing
    def folder(self) -> Path:
        """The folder listed: the one chosen with Folder..., else the training form's."""
        chosen = self.settings.value(FOLDER_KEY, "", type=str) if self.settings else ""
        return Path(chosen or self.training_folder() or ".").expanduser()

    @property
    def loading(self) -> bool:
        return self.listing.running

    @Slot()
    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Runs folder", str(self.folder()))
        if not path:
            return
        if self.settings is not None:  # the training folder again: follow the form
            same = Path(path).expanduser() == Path(self.training_folder()).expanduser()
            self.settings.setValue(FOLDER_KEY, "" if same else path)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """List the folder again in a worker; the selection is kept where it can be."""
        self.save_notes()
        folder = self.folder()
        self.folder_label.setText(str(folder))
        self.count_label.setText(f"Reading {folder}...")
        self.listing.start(folder)

    @Slot(list)
    def _on_listed(self, records: list[RunRecord]) -> None:
        selected = {str(p) for p in self.selected_paths()}
        self.notes_path = None
        self.model.set_records(records)
        self.apply_filter()
        selection = self.table.selectionModel()
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(PATH_ROLE) in selected:
                selection.select(index, QItemSelectionModel.SelectionFlag.Select
                                 | QItemSelectionModel.SelectionFlag.Rows)
        self._selection_changed()

    @Slot(str)
    def _on_list_failed(self, message: str) -> None:
        self.count_label.setText(f"Could not read the runs folder: {message}")

    @Slot()
    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        return self.listing.shutdown(timeout_ms)

    @Slot(bool)
    def _all_toggled(self, on: bool) -> None:
        if self.settings is not None:
            self.settings.setValue(ALL_KEY, on)
        self.apply_filter()

    def apply_filter(self) -> None:
        """Show the open design's runs, or all of them; say how many."""
        project = None if self.all_runs.isChecked() else self.project()
        if project != self.proxy.project:
            self.proxy.set_project(project)
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        what = "runs in the folder" if project is None else f"runs of '{project}'"
        self.count_label.setText(f"{shown} {what}" + (f" ({total} in the folder)"
                                                      if project is not None else ""))
        self._update_buttons()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowActivate:  # the open design may have changed
            self.apply_filter()
        return super().event(event)

    # ------------------------------------------------------------ selection, names, notes
    def selected_records(self) -> list[RunRecord]:
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        return [self.model.records[self.proxy.mapToSource(i).row()] for i in rows]

    def selected_paths(self) -> list[Path]:
        return [Path(r.path) for r in self.selected_records()]

    @Slot()
    def _selection_changed(self) -> None:
        self.save_notes()
        records = self.selected_records()
        self.notes_path = records[0].path if len(records) == 1 else None
        self.notes.blockSignals(True)
        self.notes.setPlainText(records[0].notes if self.notes_path else "")
        self.notes.blockSignals(False)
        self._update_buttons()

    @Slot()
    def _update_buttons(self) -> None:
        n = len(self.table.selectionModel().selectedRows())
        for key, on in (("open", n == 1), ("design", n == 1), ("compare", n >= 2),
                        ("delete", n >= 1), ("undo", bool(self.trash)),
                        ("refresh", not self.loading), ("notes", self._notes_changed())):
            self.buttons[key].setEnabled(on)
        self.notes.setEnabled(self.notes_path is not None)

    def _notes_changed(self) -> bool:
        row = self.model.row_of(self.notes_path) if self.notes_path else -1
        return row >= 0 and self.notes.toPlainText() != self.model.records[row].notes

    @Slot()
    def save_notes(self) -> None:
        """Write the notes box into the run it shows (when they changed)."""
        if self._notes_changed() and self.notes_path is not None:
            self.model.set_notes(self.model.row_of(self.notes_path), self.notes.toPlainText())
        self._update_buttons()

    @Slot(str)
    def _write_failed(self, message: str) -> None:
        QMessageBox.critical(self, "Cannot save", message)

    # ------------------------------------------------------------ open, compare
    @Slot(QModelIndex)
    def _double_clicked(self, index: QModelIndex) -> None:
        self.openRequested.emit(Path(index.data(PATH_ROLE)))

    @Slot()
    def open_selected(self) -> None:
        paths = self.selected_paths()
        if len(paths) == 1:
            self.openRequested.emit(paths[0])

    @Slot()
    def open_design(self) -> None:
        paths = self.selected_paths()
        if len(paths) == 1:
            self.openDesignRequested.emit(paths[0])

    @Slot()
    def compare(self) -> None:
        paths = self.selected_paths()
        if len(paths) >= 2:
            self.compareRequested.emit(paths)

    # ------------------------------------------------------------ the trash
    @Slot()
    def delete_selected(self) -> None:
        """Move the selected runs to the trash, once the user has confirmed their names."""
        records = self.selected_records()
        if not records:
            return
        training = self.training_run()
        busy = [r.name for r in records if training is not None and Path(r.path) == training]
        if busy:
            QMessageBox.critical(self, "Cannot delete", f"{busy[0]} is training now: stop it "
                                 "before deleting it.")
            return
        answer = QMessageBox.question(self, "Delete runs", confirmation(records),
                                      QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.notes_path = None
        gone, errors = self.trash.delete(records)
        self.model.set_records([r for r in self.model.records if r.path not in gone])
        self._finish_files(errors, "Some runs could not be moved to the trash")

    @Slot()
    def undo_delete(self) -> None:
        """Move the runs of the last deletion back from the trash."""
        if self.trash:
            self._finish_files(self.trash.undo()[1],
                               "Some runs could not be brought back from the trash")

    def _finish_files(self, errors: list[str], title: str) -> None:
        if errors:
            QMessageBox.critical(self, title, "\n".join(errors))
        self.refresh()
