"""Start-up: ``cnnstudio PROJECT`` opens the file, and the GUI never imports torch.
Both run in a fresh process (``run_app`` runs the application's own event loop)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cnnstudio.resources import resource_path

REPO = Path(__file__).resolve().parents[2]

RUN = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from cnnstudio.gui.app import run_app
from cnnstudio.gui.main_window import MainWindow

def check():
    for w in QApplication.topLevelWidgets():
        if isinstance(w, MainWindow) and w.isVisible():
            print(w.doc.graph.by_name("conv1").kind, w.windowTitle(), "torch" in sys.modules)
            w.close()
    QApplication.quit()

app = QApplication([sys.argv[0]])  # run_app uses the running application
QTimer.singleShot(500, check)
sys.exit(run_app(sys.argv[1:]))
"""


def test_cnnstudio_project_opens_the_file(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("QT_QPA_PLATFORMTHEME", None)
    path = resource_path("examples/conv_pool.cnnproj")
    out = subprocess.run([sys.executable, "-c", RUN, str(path)], capture_output=True,
                         text=True, cwd=REPO, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["Conv2d", "conv_pool.cnnproj[*]", "-", "CNN", "Studio",
                                  "False"]
    recovery = list((tmp_path / "data").rglob("session-*"))
    assert recovery == []  # a clean exit leaves no lock and no recovery copy


COPY_AND_QUIT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from cnnstudio.gui.app import run_app
from cnnstudio.gui.main_window import MainWindow

def check():
    for w in QApplication.topLevelWidgets():
        if isinstance(w, MainWindow) and w.isVisible():
            w.scene.select_nodes([w.doc.graph.by_name("conv1").id])
            w.copy_selection()
            print(QGuiApplication.clipboard().mimeData().hasFormat("application/x-cnnstudio-nodes"))
            w.close()
            print("conv1" in QGuiApplication.clipboard().text())
    QApplication.quit()

app = QApplication([sys.argv[0]])
QTimer.singleShot(500, check)
sys.exit(run_app(sys.argv[1:]))
"""


def test_quitting_with_nodes_on_the_clipboard_exits_cleanly(tmp_path: Path) -> None:
    """Copied nodes survive the window as text, and the process exits 0 (it used to crash:
    a Python-made QMimeData held by the clipboard when the application is destroyed)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("QT_QPA_PLATFORMTHEME", None)
    path = resource_path("examples/conv_pool.cnnproj")
    out = subprocess.run([sys.executable, "-c", COPY_AND_QUIT, str(path)], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, (out.returncode, out.stderr[-2000:])
    assert out.stdout.split() == ["True", "True"]


def test_no_display_gives_a_message_not_an_abort(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "-m", "cnnstudio"], capture_output=True, text=True,
                         env={**env, "HOME": str(tmp_path)}, timeout=60)
    assert out.returncode == 2
    assert "no display" in out.stderr and "cnnstudio --help" in out.stderr
