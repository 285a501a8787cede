"""High-DPI: the app runs in a child process at QT_SCALE_FACTOR 1 and 2 (offscreen); at 2
the window grabs at device pixel ratio 2 with twice the pixels, nodes keep their size in
logical units (the canvas text and boxes scale with the screen), icons are drawn for the
ratio asked (vectors, never an upscaled bitmap), and no widget is held to a size smaller
than its text needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = r'''
import json, sys
from pathlib import Path
from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication, QWidget

app = QApplication([])
from cnnstudio.gui.canvas.node_item import HEADER, font
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.theme import _draw_icon, app_icon, category_icon

tmp = Path(sys.argv[1])
settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
w = MainWindow(settings, recovery_dir=tmp / "recovery", autosave_ms=3_600_000)
assert w.open_preset("lenet5")  # laid out, as a user opens it
w.resize(1000, 700)
w.show()
app.processEvents()
view = w.view
view.resetTransform()
node = next(i for i in w.scene.nodes.values() if i.kind == "Conv2d")
view.centerOn(node)
app.processEvents()
grab = w.grab()
rect = view.mapFromScene(node.sceneBoundingRect()).boundingRect()
part = view.viewport().grab(rect)
ratio = app.devicePixelRatio()
icon = category_icon("Convolution").pixmap(QSize(20, 20))  # at the screen's ratio
upscaled = _draw_icon("Convolution", 20, 1.0).toImage().scaled(
    icon.size(), Qt.AspectRatioMode.IgnoreAspectRatio,
    Qt.TransformationMode.SmoothTransformation)
svg = app_icon().pixmap(QSize(32, 32))
clipped = []
for widget in w.findChildren(QWidget):
    if not widget.isVisible() or widget.sizeHint().width() <= 0:
        continue
    hint, most = widget.minimumSizeHint(), widget.maximumSize()
    if most.width() < hint.width() or most.height() < hint.height():
        clipped.append(f"{type(widget).__name__} {widget.objectName()}")
tree = w.palette.tree
row = tree.visualItemRect(w.palette.kind_item("Conv2d")).height()
print(json.dumps({
    "ratio": ratio,
    "window": [w.width(), w.height()],
    "grab": [grab.width(), grab.height(), grab.devicePixelRatio()],
    "node_rect": [node.boundingRect().width(), node.boundingRect().height()],
    "node_view": [rect.width(), rect.height()],
    "node_grab": [part.width(), part.height(), part.devicePixelRatio()],
    "icon": [icon.width(), icon.height(), icon.devicePixelRatio()],
    "icon_drawn": icon.toImage() == _draw_icon("Convolution", 20, ratio).toImage(),
    "icon_upscaled": icon.toImage().convertToFormat(upscaled.format()) == upscaled,
    "svg": [svg.width(), svg.height(), svg.isNull()],
    "bold_height": QFontMetricsF(font("bold")).height(),
    "small_height": QFontMetricsF(font("small")).height(),
    "header": HEADER,
    "palette_row": row,
    "palette_font": tree.fontMetrics().height(),
    "clipped": clipped,
}))
part.save(str(tmp / "node.png"))
assert node.name == "c1" and w.doc is not None
w.doc.undo_stack.setClean()
w.close()
'''


def probe(scale: int, tmp: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORMTHEME", "QT_SCREEN_SCALE_FACTORS", "QT_SCALE_FACTOR")}
    env.update(QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=str(scale),
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    folder = tmp / f"x{scale}"
    folder.mkdir()
    done = subprocess.run([sys.executable, "-c", PROBE, str(folder)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("{")][-1]
    return dict(json.loads(line))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("dpi")
    return {1: probe(1, tmp), 2: probe(2, tmp)}


def test_window_grabs_at_twice_the_pixels(runs: dict[int, dict[str, Any]]) -> None:
    one, two = runs[1], runs[2]
    assert one["ratio"] == 1 and two["ratio"] == 2
    w, h = two["window"]
    assert two["grab"] == [2 * w, 2 * h, 2.0]
    assert one["grab"][:2] == one["window"]


def test_nodes_keep_logical_size_and_draw_with_twice_the_pixels(
        runs: dict[int, dict[str, Any]]) -> None:
    one, two = runs[1], runs[2]
    assert one["node_rect"] == two["node_rect"]  # the scene is in logical units
    assert one["node_view"] == two["node_view"]  # the same size on the canvas at zoom 1
    w, h = two["node_view"]
    assert two["node_grab"] == [2 * w, 2 * h, 2.0]  # drawn with twice the pixels
    assert one["node_grab"] == [w, h, 1.0]


def test_icons_are_drawn_for_the_ratio_not_upscaled(runs: dict[int, dict[str, Any]]) -> None:
    two = runs[2]
    assert two["icon"] == [40, 40, 2.0]
    assert two["icon_drawn"] and not two["icon_upscaled"]
    assert two["svg"] == [64, 64, False]  # the app icon is an SVG, rendered at 2x


def test_text_fits_its_boxes(runs: dict[int, dict[str, Any]]) -> None:
    for run in runs.values():
        assert run["bold_height"] <= run["header"]  # the node's title line
        assert run["small_height"] <= 16  # the node's detail line (node_item.paint_box)
        assert run["palette_row"] >= run["palette_font"]
        assert run["clipped"] == []
    assert runs[1]["bold_height"] == runs[2]["bold_height"]  # font sizes are logical


def test_category_icons_are_crisp_at_any_ratio(qapp: Any) -> None:
    from PySide6.QtCore import QSize

    from cnnstudio.gui.theme import _draw_icon, category_icon

    for ratio in (1.0, 1.5, 2.0, 3.0):
        pm = category_icon("Pooling").pixmap(QSize(20, 20), ratio)
        assert (pm.width(), pm.devicePixelRatio()) == (round(20 * ratio), ratio)
        assert pm.toImage() == _draw_icon("Pooling", 20, ratio).toImage()
