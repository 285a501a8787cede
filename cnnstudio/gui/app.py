"""Start the Qt application and show the main window (torch is never imported here).

``run_app(argv)`` is called by ``cnnstudio`` (see cnnstudio/__main__.py): with a project
path it opens that file, otherwise it offers to recover work left by a crash, or else
shows the welcome page (``gui/welcome.py``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cnnstudio.cli import COMMANDS

NO_DISPLAY = (
    "cnnstudio: no display to show the app on (DISPLAY and WAYLAND_DISPLAY are not set).\n"
    f"On a server, use the command line: cnnstudio {' | '.join(COMMANDS)} "
    "(cnnstudio --help).\n"
    "To run the app without a screen anyway, set QT_QPA_PLATFORM=offscreen."
)


def display_missing() -> bool:
    """True on Linux/BSD when Qt would find no display (Qt itself would abort the process)."""
    if sys.platform in ("darwin", "win32") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_app(argv: list[str]) -> int:
    if display_missing():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    from PySide6.QtCore import QCoreApplication, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setOrganizationName("CNN Studio")
    QCoreApplication.setApplicationName("cnnstudio")
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *argv])
    app.setApplicationDisplayName("CNN Studio")
    app.setDesktopFileName("cnnstudio")  # matches the window to cnnstudio.desktop
    from cnnstudio.gui.gc_guard import GuiGarbageCollector

    collector = GuiGarbageCollector(app)  # cyclic garbage freed on this thread only
    app.aboutToQuit.connect(collector.stop)

    from cnnstudio.gui.main_window import MainWindow
    from cnnstudio.gui.theme import app_icon, apply_theme

    settings = QSettings()
    apply_theme(app, settings.value("ui/theme", "light", type=str))
    app.setWindowIcon(app_icon())
    window = MainWindow(settings)
    window.show()
    preset_to_check = os.environ.get("CNNSTUDIO_SELF_CHECK")  # gui/self_check.py
    if preset_to_check:
        from cnnstudio.gui.self_check import run_check

        return run_check(app, window, preset_to_check)
    paths = [a for a in argv if not a.startswith("-")]
    if paths:
        QTimer.singleShot(0, lambda: window.open_file(Path(paths[0]), ask=False))
    else:
        # no file: recover a crashed session's work, else the welcome page
        QTimer.singleShot(0, lambda: window.offer_recovery() or window.welcome.show_at_start())
    return int(app.exec())
