"""Issue #13, "First minute": the welcome page (start-up, File > Welcome), its presets,
examples and recent files, the one-click LeNet-5 training on the bundled digits, and the
readable first view of a freshly opened preset or example."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from cnnstudio.core.presets import PRESETS
from cnnstudio.core.presets.origin import PRESET_KEY
from cnnstudio.gui.canvas.node_item import WIDTH
from cnnstudio.gui.canvas.start_view import MIN_NODE_PX
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.welcome import SHOW_KEY
from cnnstudio.resources import resource_path
from tests.gui.conftest import Dialogs

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_MS = 120_000


def shown_welcome(qtbot: Any, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.actions["welcome"].trigger()
    assert window.welcome.visible and window.welcome.page is not None
    assert window.centralWidget().isVisible() and window.welcome.page.isVisible()
    assert not window.view.isVisible()


def test_file_welcome_lists_presets_examples_and_recent_files(
        qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    project = tmp_path / "mine.cnnproj"
    project.write_bytes(resource_path("examples/conv_pool.cnnproj").read_bytes())
    window.recent.add(project)
    file_menu = window.menuBar().actions()[0].menu()
    assert window.actions["welcome"] in file_menu.actions()
    shown_welcome(qtbot, window)
    page = window.welcome.page
    assert page is not None
    presets = [page.presets.item(i).text() for i in range(page.presets.count())]
    assert presets == [f"{p.title} \u2014 {p.description}" for p in PRESETS.values()]
    window.fill_examples_menu()
    menu = [a.text() for a in window.actions.examples_menu.actions()]
    assert menu and [page.examples.item(i).text() for i in range(page.examples.count())] == menu
    assert page.recent.count() == 1 and page.recent.item(0).text().startswith("mine.cnnproj")
    page.recent.itemActivated.emit(page.recent.item(0))
    assert window.doc is not None and window.doc.path == project
    assert not window.welcome.visible and window.view.isVisible()


def test_a_preset_or_an_example_from_the_welcome_opens_on_the_canvas(
        qtbot: Any, window: MainWindow) -> None:
    shown_welcome(qtbot, window)
    page = window.welcome.page
    assert page is not None
    row = list(PRESETS).index("lenet5")
    page.presets.itemActivated.emit(page.presets.item(row))
    assert window.doc is not None and window.doc.metadata.get(PRESET_KEY) == "lenet5"
    assert not window.welcome.visible
    window.actions["welcome"].trigger()
    page.examples.itemActivated.emit(page.examples.item(0))
    first = sorted(resource_path("examples").glob("*.cnnproj"))[0]
    assert window.doc.path is None and window.doc.name == first.stem
    assert not window.welcome.visible
    window.actions["welcome"].trigger()
    page.new_button.click()
    assert window.doc.name != first.stem and window.doc.metadata.get(PRESET_KEY) is None
    assert not window.welcome.visible


def test_the_start_up_setting_turns_the_welcome_off(qtbot: Any, window: MainWindow) -> None:
    assert window.welcome.show_at_start() and window.welcome.visible
    page = window.welcome.page
    assert page is not None
    page.show_at_start.setChecked(False)
    assert window.settings.value(SHOW_KEY, True, type=bool) is False
    window.welcome.leave()
    assert not window.welcome.show_at_start() and not window.welcome.visible


def test_one_click_trains_lenet5_on_the_bundled_digits(
        qtbot: Any, window: MainWindow, tmp_path: Path, dialogs: Dialogs) -> None:
    shown_welcome(qtbot, window)
    panel = window.training
    panel.form.runs_folder.setText(str(tmp_path / "runs"))
    page = window.welcome.page
    assert page is not None
    qtbot.mouseClick(page.train_button, Qt.MouseButton.LeftButton)
    assert window.doc is not None and window.doc.name == "lenet5"
    assert panel.form.dataset.currentText() == "mnist-sample"
    assert panel.form.epochs.value() == 1 and panel.form.device.currentData() == "auto"
    assert panel.running and not window.welcome.visible
    qtbot.waitUntil(lambda: not panel.running, timeout=RUN_TIMEOUT_MS)
    assert dialogs.errors == []
    assert panel.result is not None and panel.result["status"] == "completed"
    assert panel.run_dir is not None and panel.run_dir.parent == tmp_path / "runs"
    assert (panel.run_dir / "checkpoints" / "best.safetensors").is_file()


def test_resnet50_opens_readable_with_the_input_in_view(qtbot: Any, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    assert window.open_preset("resnet50")
    view = window.view
    assert window.doc is not None and window.doc.collapsed  # the blocks are collapsed
    assert WIDTH * view.zoom >= MIN_NODE_PX - 1
    (input_id,) = [n.id for n in window.doc.graph.nodes.values() if n.kind == "Input"]
    item = window.scene.item_for(input_id)
    box = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    assert view.viewport().rect().contains(box)
    assert box.top() < view.viewport().height() // 2  # near the top, the network below
    window.actions["fit"].trigger()  # F still fits it all
    assert WIDTH * view.zoom < MIN_NODE_PX


def test_an_example_opens_readable(qtbot: Any, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.view.zoom_by(0.05 / window.view.zoom)
    assert window.open_example(resource_path("examples/conv_pool.cnnproj"))
    assert WIDTH * window.view.zoom >= MIN_NODE_PX - 1
    (input_id,) = [n.id for n in window.doc.graph.nodes.values() if n.kind == "Input"]
    box = window.view.mapFromScene(window.scene.item_for(input_id).sceneBoundingRect())
    assert window.view.viewport().rect().contains(box.boundingRect())


START = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from cnnstudio.gui.app import run_app
from cnnstudio.gui.main_window import MainWindow

def check():
    for w in QApplication.topLevelWidgets():
        if isinstance(w, MainWindow) and w.isVisible():
            print(w.welcome.visible, w.welcome.page.presets.count() > 0, "torch" in sys.modules)
            w.close()
    QApplication.quit()

app = QApplication([sys.argv[0]])
QTimer.singleShot(1500, check)
sys.exit(run_app(sys.argv[1:]))
"""


def test_the_app_starts_on_the_welcome_page_without_torch(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("QT_QPA_PLATFORMTHEME", None)
    out = subprocess.run([sys.executable, "-c", START], capture_output=True, text=True,
                         cwd=REPO, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "False"]
