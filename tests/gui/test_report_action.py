"""Train > Export Report...: the HTML report of the run shown in the Training dock, written
from the app, then offered to the browser (issue #11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from cnnstudio.gui.main_window import MainWindow
from tests.gui.conftest import Dialogs
from tests.test_report import SINGLE, Page, svgs
from tests.test_runs import blobs, design, make_run


def test_export_report_of_the_shown_run(qtbot: Any, window: MainWindow, tmp_path: Path,
                                        dialogs: Dialogs,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(opened.append))
    action = window.actions["train_export_report"]
    window.report_action.update_enabled()
    assert not action.isEnabled()  # no run shown yet
    run = make_run(tmp_path / "run", blobs(tmp_path / "blobs.npz"), design(3))
    assert window.training.open_run(run)
    window.report_action.update_enabled()
    assert action.isEnabled()

    dialogs.save_path = str(tmp_path / "out" / "report.html")
    dialogs.question = QMessageBox.StandardButton.Yes
    action.trigger()
    out = tmp_path / "out" / "report.html"
    assert dialogs.errors == [] and out.is_file()
    text = out.read_text(encoding="utf-8")
    assert set(SINGLE) <= set(Page(text).ids("section")) and "design" in svgs(text)
    assert [u.toLocalFile() for u in opened] == [str(out)]
    assert any("Open it" in text for _, text in dialogs.asked)

    dialogs.save_path = str(tmp_path / "out" / "plain")  # no extension: .html is added
    dialogs.question = QMessageBox.StandardButton.No
    action.trigger()
    assert (tmp_path / "out" / "plain.html").is_file() and len(opened) == 1
    (tmp_path / "out" / "plain.html").write_text("earlier work")
    action.trigger()  # the dialog never confirmed replacing plain.html
    assert len(dialogs.errors) == 1 and "exists" in dialogs.errors[0]
    assert (tmp_path / "out" / "plain.html").read_text() == "earlier work"
