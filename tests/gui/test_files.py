"""Files: save and reload, the modified flag, broken files, recent files, examples,
presets, the unsaved-changes prompt, and autosave with crash recovery."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from cnnstudio.core.project_io import load
from cnnstudio.gui.document import Document
from cnnstudio.gui.files import RecentFiles, find_orphans
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.resources import resource_path
from tests.gui.conftest import Dialogs, chain_graph, open_graph, residual_graph, snapshot


def test_save_and_reload_gives_an_equal_graph(window: MainWindow, dialogs: Dialogs,
                                              tmp_path: Path) -> None:
    doc = open_graph(window, residual_graph())
    doc.set_param(doc.graph.by_name("stem").id, "padding", (1, 1))
    doc.set_trainable(doc.graph.by_name("conv_a").id, False)
    doc.set_collapsed(["block"], True)
    dialogs.save_path = str(tmp_path / "net")  # the extension is added
    assert window.save()
    path = tmp_path / "net.cnnproj"
    assert path.is_file() and doc.path == path and not doc.modified
    assert not window.isWindowModified()
    assert load(path).metadata["collapsed_groups"] == ["block"]
    before = snapshot(doc)
    assert window.open_file(path)
    assert window.doc is not doc
    assert snapshot(window.doc) == before
    assert window.scene.groups.keys() == {"block"}
    assert RecentFiles(window.settings).paths() == [str(path.resolve())]


def test_modified_flag_follows_the_undo_stack(window: MainWindow, tmp_path: Path) -> None:
    doc = window.doc
    assert doc is not None and not doc.modified and not window.isWindowModified()
    doc.add_node("Input")
    assert doc.modified and window.isWindowModified()
    doc.undo_stack.undo()
    assert not doc.modified and not window.isWindowModified()
    doc.undo_stack.redo()
    doc.save(tmp_path / "a.cnnproj")
    assert not doc.modified and "a.cnnproj" in window.windowTitle()
    doc.add_node("Conv2d")
    assert window.isWindowModified()


def test_broken_file_is_reported_and_changes_nothing(window: MainWindow, dialogs: Dialogs,
                                                     tmp_path: Path) -> None:
    doc = open_graph(window, chain_graph())
    doc.add_node("ReLU")
    bad = tmp_path / "bad.cnnproj"
    bad.write_text('{"format": "cnnstudio-project", "version": 1, "nodes": [{"id": "n1", '
                   '"kind": "Conv9d"}]}')
    assert not window.open_file(bad)
    assert len(dialogs.errors) == 1 and "unknown layer kind 'Conv9d'" in dialogs.errors[0]
    assert window.doc is doc and doc.modified and not dialogs.asked
    (tmp_path / "junk.cnnproj").write_text("not json")
    dialogs.open_path = str(tmp_path / "junk.cnnproj")
    window.open_dialog()
    assert "not valid JSON" in dialogs.errors[-1] and window.doc is doc


def test_unsaved_changes_prompt(window: MainWindow, dialogs: Dialogs, tmp_path: Path) -> None:
    doc = window.doc
    assert doc is not None
    doc.add_node("Input")
    dialogs.question = QMessageBox.StandardButton.Cancel
    window.new_document()
    assert window.doc is doc and len(dialogs.asked) == 1
    dialogs.question = QMessageBox.StandardButton.Save
    dialogs.save_path = str(tmp_path / "kept.cnnproj")
    window.new_document()
    assert window.doc is not doc and (tmp_path / "kept.cnnproj").is_file()
    window.doc.add_node("Input")
    dialogs.question = QMessageBox.StandardButton.Discard
    assert window.close()


def test_examples_and_presets_open(window: MainWindow) -> None:
    window.fill_examples_menu()
    names = [a.text() for a in window.actions.examples_menu.actions()]
    assert "conv pool" in names
    assert window.open_example(resource_path("examples/conv_pool.cnnproj"))
    assert window.doc is not None and window.doc.path is None  # never saved into the bundle
    assert len(window.scene.nodes) == len(window.doc.graph.nodes) > 5
    window.fill_presets_menu()
    assert any(a.text() == "LeNet-5" for a in window.actions.presets_menu.actions())
    assert window.open_preset("lenet5")
    assert window.doc.name == "lenet5" and not window.doc.modified


def test_open_recent_reads_settings_with_types(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    recent = RecentFiles(settings)
    recent.add(tmp_path / "one.cnnproj")  # a one-item list comes back as a list
    settings.sync()
    again = RecentFiles(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert again.paths() == [str((tmp_path / "one.cnnproj").resolve())]
    for i in range(15):
        recent.add(tmp_path / f"{i}.cnnproj")
    assert len(recent.paths()) == 10 and recent.paths()[0].endswith("14.cnnproj")


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_autosave_and_recovery_after_a_crash(qtbot: Any, window: MainWindow, dialogs: Dialogs,
                                             tmp_path: Path) -> None:
    doc = open_graph(window, chain_graph())
    doc.path = tmp_path / "work.cnnproj"
    saver = window.autosaver
    assert not saver.save_now()  # nothing to save while clean
    doc.rename(doc.graph.by_name("fc").id, "classifier")
    assert saver.save_now()
    assert saver.project_path.is_file() and saver.lock_path.read_text() == str(os.getpid())
    assert not saver.save_now()  # unchanged since the last copy
    expected = snapshot(doc)
    assert find_orphans(saver.folder) == []  # our own session is alive
    # simulate a crash: the files stay, and the process that wrote them is gone
    pid = _dead_pid()
    for p in (saver.project_path, saver.meta_path, saver.lock_path):
        p.rename(p.with_name(f"session-{pid}{p.suffix}"))
    (saver.folder / f"session-{pid}.lock").write_text(str(pid))
    saver.lock_path.write_text(str(os.getpid()))
    doc.undo_stack.setClean()
    settings = QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat)
    second = MainWindow(settings, recovery_dir=saver.folder, autosave_ms=3_600_000)
    qtbot.addWidget(second)
    dialogs.question = QMessageBox.StandardButton.Yes
    assert second.offer_recovery()
    assert second.doc is not None and snapshot(second.doc) == expected
    assert second.doc.modified and second.doc.path == tmp_path / "work.cnnproj"
    assert not list(saver.folder.glob(f"session-{pid}.*"))
    assert find_orphans(saver.folder) == []
    second.doc.undo_stack.setClean()
    second.close()
    assert not second.autosaver.lock_path.exists()  # a clean exit leaves no lock


def test_timer_autosaves_while_dirty(qtbot: Any, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings, recovery_dir=tmp_path / "rec", autosave_ms=20)
    qtbot.addWidget(w)
    assert w.doc is not None
    w.doc.add_node("Input")
    qtbot.waitUntil(lambda: w.autosaver.project_path.exists(), timeout=2000)
    assert isinstance(Document.open(w.autosaver.project_path), Document)
    w.doc.undo_stack.undo()  # clean again: the recovery copy goes
    assert not w.autosaver.project_path.exists()
