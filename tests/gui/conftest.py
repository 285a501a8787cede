"""Fixtures for the GUI tests: a main window with its own settings file and recovery folder,
and message boxes / file dialogs replaced so no test ever blocks on a modal dialog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.project_io import Project, to_dict
from cnnstudio.gui.document import Document
from cnnstudio.gui.gc_guard import GuiGarbageCollector
from cnnstudio.gui.main_window import MainWindow


class Dialogs:
    """What the patched dialogs answer, and what they were asked."""

    def __init__(self) -> None:
        self.question = QMessageBox.StandardButton.Discard
        self.open_path = ""
        self.save_path = ""
        self.group_name = "Residual block"
        self.asked: list[tuple[str, str]] = []
        self.errors: list[str] = []


@pytest.fixture(autouse=True)
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    d = Dialogs()

    def question(parent: Any, title: str, text: str, *args: Any, **kw: Any) -> Any:
        d.asked.append((title, text))
        return d.question

    def critical(parent: Any, title: str, text: str, *args: Any, **kw: Any) -> Any:
        d.errors.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(critical))
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (d.open_path, "")))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (d.save_path, "")))
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *a, **k: (d.group_name, bool(d.group_name))))
    return d


@pytest.fixture(autouse=True)
def gui_thread_gc(qapp: Any) -> Iterator[None]:
    """As in the app (cnnstudio.gui.gc_guard): cyclic garbage is collected on the GUI thread
    only, never by a worker thread that happens to allocate (Qt objects must not be destroyed
    there)."""
    collector = GuiGarbageCollector()
    yield
    collector.stop()


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings, recovery_dir=tmp_path / "recovery", autosave_ms=3_600_000)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    yield w
    if w.doc is not None:
        w.doc.undo_stack.setClean()


def chain_graph() -> Graph:
    """Input 1x28x28 -> conv1 -> conv2 -> flatten -> fc."""
    b = GraphBuilder()
    x = b.input(1, 28, 28, name="image")
    x = b.add("Conv2d", x, name="conv1", filters=8, kernel=3)
    x = b.add("Conv2d", x, name="conv2", filters=16, kernel=3)
    x = b.add("Flatten", x, name="flatten")
    b.add("Dense", x, name="fc", units=10)
    for i, node in enumerate(b.graph.nodes.values()):
        b.graph.move(node.id, (0.0, 120.0 * i))
    return b.graph


def residual_graph() -> Graph:
    """image -> stem -> [conv_a -> conv_b -> add(+stem)] -> pool -> fc, the block grouped."""
    b = GraphBuilder()
    x = b.input(3, 32, 32, name="image")
    stem = b.add("Conv2d", x, name="stem", filters=16, kernel=3, padding="same")
    with b.group("block"):
        y = b.add("Conv2d", stem, name="conv_a", filters=16, kernel=3, padding="same")
        y = b.add("Conv2d", y, name="conv_b", filters=16, kernel=3, padding="same")
        y = b.add("Add", y, stem, name="add")
    y = b.add("GlobalAvgPool", y, name="pool")
    b.add("Dense", y, name="fc", units=10)
    positions = {"image": (0, 0), "stem": (0, 120), "conv_a": (-120, 240), "conv_b": (-120, 360),
                 "add": (0, 480), "pool": (0, 600), "fc": (0, 720)}
    for node in list(b.graph.nodes.values()):
        b.graph.move(node.id, positions[node.name])
    return b.graph


def snapshot(doc: Document) -> dict[str, Any]:
    """The document's content in a canonical form (order-independent)."""
    d = to_dict(Project(doc.graph))
    return {
        "nodes": sorted((n["id"], repr(n)) for n in d["nodes"]),
        "edges": sorted((e["from"], e["to"], e["port"]) for e in d["edges"]),
        "collapsed": sorted(doc.collapsed),
    }


def open_graph(window: MainWindow, graph: Graph) -> Document:
    doc = Document(Project(graph, "test"))
    window.set_document(doc)
    return doc
