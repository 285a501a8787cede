"""The window's size and place, its dock layout, the canvas zoom, the theme and View > Keras
Shapes, kept in QSettings when the window closes and restored by the next ``MainWindow``.

The geometry is kept as a plain rectangle and clamped into the screen's available area on
restore, so a layout saved on a large monitor opens whole on a laptop. The dock layout and
the zoom are restored after the first show (the Training dock tabs itself beside the Summary
then, and the window's ``showEvent`` fits the canvas).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, Qt, QTimer, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from cnnstudio.gui.canvas.view import MAX_SCALE, MIN_SCALE
from cnnstudio.gui.theme import apply_theme, current_theme

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

GEOMETRY, MAXIMIZED, DOCKS, ZOOM, THEME = (
    "ui/geometry", "ui/maximized", "ui/dock_state", "ui/zoom", "ui/theme")
KERAS = "ui/keras_shapes"
MIN_W, MIN_H = 480, 360


def clamp_rect(rect: QRect, screen: QRect) -> QRect:
    """``rect`` shrunk to fit ``screen`` and moved inside it."""
    w = max(min(rect.width(), screen.width()), min(MIN_W, screen.width()))
    h = max(min(rect.height(), screen.height()), min(MIN_H, screen.height()))
    x = min(max(rect.x(), screen.left()), screen.left() + screen.width() - w)
    y = min(max(rect.y(), screen.top()), screen.top() + screen.height() - h)
    return QRect(x, y, w, h)


def available_area(rect: QRect) -> QRect:
    """The available geometry of the screen holding ``rect``'s centre (else the primary)."""
    screen = QGuiApplication.screenAt(rect.center()) or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


class WindowState(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.settings = window.settings
        self.restore_geometry()
        self.restore_theme()
        self.restore_keras()
        window.installEventFilter(self)

    # ------------------------------------------------------------ restore
    def restore_geometry(self) -> None:
        values = self.settings.value(GEOMETRY, [], type=list)
        try:
            x, y, w, h = (int(v) for v in values)
            rect = QRect(x, y, w, h)
        except (TypeError, ValueError):  # missing or hand-edited: the default size, fitted
            rect = self.window.geometry()
        self.window.setGeometry(clamp_rect(rect, available_area(rect)))
        if self.settings.value(MAXIMIZED, False, type=bool):
            self.window.setWindowState(self.window.windowState() | Qt.WindowState.WindowMaximized)

    def restore_theme(self) -> None:
        name = self.settings.value(THEME, current_theme(), type=str)
        app = QApplication.instance()
        if name in ("light", "dark") and name != current_theme() and isinstance(app, QApplication):
            apply_theme(app, name)
            self.window.scene.restyle()
        self.window.actions["dark"].setChecked(current_theme() == "dark")

    def restore_keras(self) -> None:
        self.window.actions["keras_shapes"].setChecked(
            self.settings.value(KERAS, False, type=bool))
        self.window.set_keras_shapes()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Show:
            self.window.removeEventFilter(self)
            # after the Training dock's own tabbing, which is queued on this same Show (its
            # filter, installed earlier, runs after this one): queue behind it
            QTimer.singleShot(0, self, self._queue_restore)
        return False

    @Slot()
    def _queue_restore(self) -> None:
        QTimer.singleShot(0, self, self.restore_after_show)

    @Slot()
    def restore_after_show(self) -> None:
        """The dock layout and the zoom (after the docks' own first-show arrangements)."""
        state = self.settings.value(DOCKS, QByteArray(), type=QByteArray)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.window.restoreState(state)
        zoom = self.settings.value(ZOOM, 0.0, type=float)
        if MIN_SCALE <= zoom <= MAX_SCALE:
            self.window.view.zoom_by(zoom / self.window.view.zoom)

    # ------------------------------------------------------------ save
    def save(self) -> None:
        w = self.window
        maximized = w.isMaximized() or w.isFullScreen()
        rect = w.normalGeometry() if maximized else w.geometry()
        self.settings.setValue(GEOMETRY, [rect.x(), rect.y(), rect.width(), rect.height()])
        self.settings.setValue(MAXIMIZED, maximized)
        self.settings.setValue(DOCKS, w.saveState())
        self.settings.setValue(ZOOM, float(w.view.zoom))
        self.settings.setValue(THEME, current_theme())
        self.settings.setValue(KERAS, w.actions["keras_shapes"].isChecked())
        self.settings.sync()

