"""Canvas benchmarks, offscreen; prints one JSON object.

    QT_QPA_PLATFORM=offscreen python bench/canvas.py
    QT_QPA_PLATFORM=offscreen python bench/canvas.py --screenshot docs/screenshot.png

- open_preset_s: open densenet121 (or a generated 500-node graph) and show it (goal < 1 s)
- frame_ms: repaint time while panning and zooming a 500-node graph, at three zoom levels
  (goal < 16 ms)
- edit_to_badges_ms: an inspector edit until every downstream node shows its new shape
  (goal < 16 ms), and the same plus a repaint
- startup_s: from launching a fresh process until its main window is shown (goal < 1.5 s),
  not counting its exit; startup_in_process_s: from its first line to the shown window;
  torch_imported says whether torch was imported on the way (it must not be)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

import cnnstudio.gui  # noqa: E402,F401  (the PySide6 refcount guard first)
from cnnstudio.core.builder import GraphBuilder  # noqa: E402
from cnnstudio.core.graph import Graph  # noqa: E402
from cnnstudio.core.layout import apply_layout  # noqa: E402
from cnnstudio.core.presets import PRESETS  # noqa: E402
from cnnstudio.core.project_io import Project  # noqa: E402

STARTUP = """
import time, sys
t0 = time.perf_counter()
launched = float(sys.argv[3])
import cnnstudio.gui
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.theme import apply_theme
apply_theme(app, "light")
from pathlib import Path
settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
w = MainWindow(settings, recovery_dir=Path(sys.argv[2]))
w.show()
app.processEvents()
print(time.perf_counter() - t0, time.time() - launched, "torch" in sys.modules)
w.autosaver.shutdown()
"""


def graph_500() -> Graph:
    """A residual network of exactly 500 nodes (convs, norms, activations, adds)."""
    b = GraphBuilder()
    x = b.input(3, 64, 64)
    while len(b.graph.nodes) < 493:
        y = b.add("Conv2d", x, filters=32, kernel=3, padding="same")
        y = b.add("BatchNorm", y)
        y = b.add("ReLU", y)
        y = b.add("Conv2d", y, filters=32, kernel=3, padding="same")
        y = b.add("BatchNorm", y)
        x = b.add("Add", y, x) if len(b.graph.nodes) > 6 else y
    x = b.add("GlobalAvgPool", x)
    while len(b.graph.nodes) < 499:
        x = b.add("ReLU", x)
    b.add("Dense", x, units=10)
    apply_layout(b.graph)
    return b.graph


def repaint_ms(window: object, steps: list[object]) -> list[float]:
    vp = window.view.viewport()  # type: ignore[attr-defined]
    out = []
    for step in steps:
        step()  # type: ignore[operator]
        t = time.perf_counter()
        vp.repaint()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"mean": round(statistics.fmean(ms), 2), "p95": round(ms[int(len(ms) * 0.95) - 1], 2),
            "max": round(ms[-1], 2)}


def screenshot(path: Path) -> None:
    """The window with ResNet-18 open (one group expanded, a node selected), for the README."""
    app = QApplication.instance() or QApplication([])
    from PySide6.QtCore import QSettings

    from cnnstudio.gui.main_window import MainWindow
    from cnnstudio.gui.theme import apply_theme

    tmp = Path(tempfile.mkdtemp())
    apply_theme(app, "light")  # type: ignore[arg-type]
    w = MainWindow(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat),
                   recovery_dir=tmp / "rec")
    w.resize(1500, 940)
    w.show()
    preset = "resnet18" if "resnet18" in PRESETS else "lenet5"
    w.open_preset(preset)
    assert w.doc is not None
    if "layer2.0" in w.doc.groups():
        w.doc.set_collapsed(["layer2.0"], False)
    conv = next((n.id for n in w.doc.graph.nodes.values()
                 if n.kind == "Conv2d" and n.group in (None, "layer2.0")
                 and n.params["stride"] == (2, 2)), None)
    w.view.fit_all()
    if conv is not None:
        w.scene.select_nodes([conv])
        w.view.resetTransform()
        w.view.centerOn(w.scene.nodes[conv].pos().x() + 150, w.scene.nodes[conv].pos().y())
    for _ in range(5):
        app.processEvents()
    w.grab().save(str(path))
    w.doc.undo_stack.setClean()
    w.autosaver.shutdown()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--screenshot":
        screenshot(Path(sys.argv[2]))
        return
    app = QApplication.instance() or QApplication([])
    from cnnstudio.gui.document import Document
    from cnnstudio.gui.main_window import MainWindow

    tmp = Path(tempfile.mkdtemp())
    from PySide6.QtCore import QSettings

    w = MainWindow(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat),
                   recovery_dir=tmp / "rec")
    w.resize(1400, 900)
    w.show()
    app.processEvents()
    result: dict[str, object] = {}

    preset = "densenet121" if "densenet121" in PRESETS else None
    t = time.perf_counter()
    if preset:
        w.open_preset(preset)
    else:
        w.set_document(Document(Project(graph_500())))
    app.processEvents()
    w.view.viewport().repaint()
    result["open_preset_s"] = round(time.perf_counter() - t, 3)
    result["open_preset"] = preset or "generated-500"
    assert w.doc is not None
    result["open_nodes"] = len(w.doc.graph.nodes)
    result["open_visible_items"] = sum(
        i.isVisible() for i in [*w.scene.nodes.values(), *w.scene.groups.values()])
    t = time.perf_counter()
    w.expand_all()
    app.processEvents()
    w.view.viewport().repaint()
    result["expand_all_groups_s"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    w.set_document(Document(Project(graph_500())))
    app.processEvents()
    w.view.viewport().repaint()
    result["open_500_s"] = round(time.perf_counter() - t, 3)
    view = w.view
    frames: dict[str, dict[str, float]] = {}
    for label, zoom in (("zoom_1.0", 1.0), ("zoom_0.5", 0.5), ("fit_all", None)):
        view.resetTransform()
        if zoom is None:
            view.fit_all()
        else:
            view.zoom_by(zoom)
            view.centerOn(w.scene.nodes["n250"])
        repaint_ms(w, [lambda: None] * 3)  # warm the item caches
        pans = [lambda: view.pan_by(7, 11)] * 40
        frames[f"pan_{label}"] = summary(repaint_ms(w, pans))
    view.resetTransform()
    view.centerOn(w.scene.nodes["n250"])
    zooms = [lambda: view.zoom_by(0.93)] * 20 + [lambda: view.zoom_by(1 / 0.93)] * 20
    frames["zoom_wheel_steps"] = summary(repaint_ms(w, zooms))
    result["frame_ms"] = frames

    doc = w.doc
    first_conv = next(n.id for n in doc.graph.nodes.values() if n.kind == "Conv2d")
    w.scene.select_nodes([first_conv])
    app.processEvents()
    editor = w.inspector.editors["filters"]
    edit_ms, with_paint = [], []
    for i in range(10):
        t = time.perf_counter()
        editor.spins[0].setValue(40 + i)
        edit_ms.append((time.perf_counter() - t) * 1000)
        view.viewport().repaint()
        with_paint.append((time.perf_counter() - t) * 1000)
    last = list(doc.graph.nodes)[-2]
    assert w.scene.nodes[last].shape_text == doc.engine.info(last).shape_text
    result["edit_to_badges_ms"] = summary(edit_ms)
    result["edit_to_badges_and_repaint_ms"] = summary(with_paint)
    w.doc.undo_stack.setClean()
    w.autosaver.shutdown()

    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", STARTUP, str(tmp / "st.ini"),
                              str(tmp / "rec2"), repr(time.time())], capture_output=True,
                             text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                             cwd=Path(__file__).resolve().parents[1], check=True)
        inner, shown, torch = out.stdout.split()
        runs.append((float(shown), float(inner), torch == "True"))
    result["startup_s"] = round(min(r[0] for r in runs), 3)
    result["startup_in_process_s"] = round(min(r[1] for r in runs), 3)
    result["torch_imported"] = any(r[2] for r in runs)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
