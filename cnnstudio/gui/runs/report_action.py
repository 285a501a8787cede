"""Train > Export Report...: an HTML report of the run shown in the Training dock.

The report (``cnnstudio.reports``, the page ``cnnstudio report`` writes) takes a few
milliseconds even for a large design, so it is written directly in the GUI thread. The file
dialog asks before replacing a file; a name without an extension gets ``.html`` and is then
never replaced silently. Once written, the app offers to open it in the browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from cnnstudio.reports import write_report

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow
    from cnnstudio.gui.training.panel import TrainingPanel

TITLE = "Export Report"


class ReportAction(QObject):
    """The menu action and what it does; ``export_to(path)`` is the part after the dialog."""

    def __init__(self, window: MainWindow, panel: TrainingPanel, menu: QMenu) -> None:
        super().__init__(window)
        self.window, self.panel = window, panel
        self.action = QAction("Export &Report...", window)
        self.action.setToolTip("Write an HTML report of the run shown in the Training panel: "
                               "settings, curves, test metrics, confusion matrix, the design")
        self.action.triggered.connect(self.choose)
        menu.addAction(self.action)
        menu.aboutToShow.connect(self.update_enabled)
        window.actions.all["train_export_report"] = self.action
        self.last_written: Path | None = None

    def run_dir(self) -> Path | None:
        run = self.panel.run_dir
        return run if run is not None and (run / "config.json").is_file() else None

    @Slot()
    def update_enabled(self) -> None:
        self.action.setEnabled(self.run_dir() is not None)

    @Slot()
    def choose(self) -> None:
        run = self.run_dir()
        if run is None:
            QMessageBox.critical(self.window, TITLE, "No run to report: train, or open a run "
                                 "in the Training panel first.")
            return
        path, _ = QFileDialog.getSaveFileName(self.window, TITLE, str(run / "report.html"),
                                              "HTML pages (*.html *.htm)")
        if path:
            self.export_to(run, Path(path))

    def export_to(self, run: Path, path: Path) -> bool:
        """Write the report; the dialog confirmed replacing ``path`` unless we added .html."""
        confirmed = path.suffix.lower() in (".html", ".htm")
        target = path if confirmed else path.with_name(path.name + ".html")
        try:
            write_report([run], target, overwrite=confirmed)
        except (OSError, ValueError) as exc:
            QMessageBox.critical(self.window, TITLE, f"The report was not written: {exc}")
            return False
        self.last_written = target
        self.window.show_message(f"Report written to {target}")
        answer = QMessageBox.question(self.window, TITLE, f"Report written to {target}.\n\n"
                                      "Open it in the web browser?")
        if answer == QMessageBox.StandardButton.Yes:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))
        return True
