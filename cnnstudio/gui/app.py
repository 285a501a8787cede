"""Start the Qt application and show the main window (torch is not imported here)."""

from __future__ import annotations

import sys


def run_app(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    window = QMainWindow()
    window.setWindowTitle("CNN Studio")
    window.setCentralWidget(QLabel("CNN Studio: the canvas is coming."))
    window.resize(1200, 800)
    window.show()
    return int(app.exec())
