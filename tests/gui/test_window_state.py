"""The window's size and place, dock layout, zoom and theme survive into the next
``MainWindow`` (one QSettings ini file shared by two windows), clamped to a smaller screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.theme import apply_theme, current_theme
from cnnstudio.gui.window_state import GEOMETRY, clamp_rect
from cnnstudio.resources import resource_path


@pytest.fixture
def make_window(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    ini = str(tmp_path / "settings.ini")

    def make() -> MainWindow:
        settings = QSettings(ini, QSettings.Format.IniFormat)
        w = MainWindow(settings, recovery_dir=tmp_path / "recovery", autosave_ms=3_600_000)
        qtbot.addWidget(w)
        return w

    yield make
    app = QApplication.instance()
    if isinstance(app, QApplication) and current_theme() != "light":
        apply_theme(app, "light")  # the theme is application-wide: leave it as found


def test_size_docks_and_zoom_come_back_in_the_next_window(qtbot: Any, make_window: Any) -> None:
    first = make_window()
    first.show()
    qtbot.waitExposed(first)
    first.set_document(first.doc.open(resource_path("examples/conv_pool.cnnproj")))
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first.docks["summary"])
    first.docks["history"].hide()
    least = first.minimumSizeHint()  # a size the window can take, other than its default
    chosen = QRect(20, 30, max(760, least.width() + 20), max(560, least.height() + 20))
    assert chosen.size() != first.size()
    first.setGeometry(chosen)
    first.view.zoom_by(0.6 / first.view.zoom)
    qtbot.waitUntil(lambda: first.geometry() == chosen)
    assert first.close()

    second = make_window()
    assert second.geometry().size() == first.geometry().size()
    assert second.geometry().topLeft() == first.geometry().topLeft()
    second.show()
    qtbot.waitExposed(second)
    summary = second.docks["summary"]
    qtbot.waitUntil(lambda: second.dockWidgetArea(summary) == Qt.DockWidgetArea.LeftDockWidgetArea)
    assert second.docks["history"].isHidden() and not summary.isHidden()
    assert second.view.zoom == pytest.approx(0.6, rel=1e-3)
    for name, dock in second.docks.items():  # every dock where it was, shown or hidden
        assert second.dockWidgetArea(dock) == first.dockWidgetArea(first.docks[name]), name
        assert dock.isHidden() == first.docks[name].isHidden(), name


def test_the_theme_comes_back(qtbot: Any, make_window: Any) -> None:
    first = make_window()
    first.actions["dark"].trigger()
    assert current_theme() == "dark"
    assert first.close()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, "light")  # a fresh start: the application's default theme
    second = make_window()
    assert current_theme() == "dark" and second.actions["dark"].isChecked()


def test_a_geometry_larger_than_the_screen_is_clamped(qtbot: Any, make_window: Any,
                                                      tmp_path: Path) -> None:
    screen = QGuiApplication.primaryScreen().availableGeometry()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(GEOMETRY, [screen.right() + 500, -300, screen.width() * 3,
                                 screen.height() * 2])
    settings.sync()
    w = make_window()
    assert screen.contains(w.geometry())
    assert w.width() == screen.width() and w.height() == screen.height()


def test_clamp_rect_keeps_what_fits_and_moves_what_does_not() -> None:
    screen = QRect(0, 0, 1366, 768)
    assert clamp_rect(QRect(100, 50, 800, 600), screen) == QRect(100, 50, 800, 600)
    assert clamp_rect(QRect(1200, 700, 800, 600), screen) == QRect(566, 168, 800, 600)
    assert clamp_rect(QRect(-50, -20, 4000, 3000), screen) == screen
    assert clamp_rect(QRect(1900, 0, 1200, 800), QRect(1920, 0, 1280, 1024)) \
        == QRect(1920, 0, 1200, 800)


def test_hand_edited_values_keep_the_defaults(qtbot: Any, make_window: Any,
                                             tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(GEOMETRY, ["wide", "tall"])
    settings.setValue("ui/zoom", "huge")
    settings.setValue("ui/dock_state", "garbage")
    settings.sync()
    w = make_window()
    w.show()
    qtbot.waitExposed(w)
    qtbot.wait(50)
    assert not w.docks["summary"].isHidden() and 0.03 <= w.view.zoom <= 4.0
