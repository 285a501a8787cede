"""F6 / Shift+F6: move the keyboard focus between the window's panes.

The panes, in order: the canvas (or the welcome page in its place), the palette, the
inspector, the summary and the training dock. A closed dock is skipped; a dock hidden behind
a tab is raised. The focus lands on the first widget of the pane that takes Tab focus (the
palette's search box, the summary table, ...), in the inspector on the form's first field
(Name); Tab and Shift+Tab then move through the pane top to bottom.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

PANES = ("canvas", "palette", "inspector", "summary", "training")


def _takes_tab(w: QWidget) -> bool:
    return bool(w.isVisible() and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus)


def first_focusable(root: QWidget) -> QWidget:
    """The widget inside ``root`` that Tab reaches first: the one whose previous widget in
    the focus chain that takes Tab focus lies outside ``root`` (a ring may hold a pane's
    widgets in any place, so this does not walk from ``root`` itself)."""
    inside = [w for w in root.findChildren(QWidget) if _takes_tab(w)]
    for w in inside:
        prev = w.previousInFocusChain()
        for _ in range(5000):  # the chain is a ring; bounded in case it is broken
            if prev is None or prev is w or _takes_tab(prev):
                break
            prev = prev.previousInFocusChain()
        if prev is None or prev is w or not root.isAncestorOf(prev):
            return w
    return inside[0] if inside else root


def _roots(w: MainWindow) -> dict[str, QWidget]:
    page = w.welcome.page if w.welcome.visible else None
    roots: dict[str, QWidget] = {"canvas": page or w.view}  # the welcome page stands in
    for name in PANES[1:]:
        dock = w.docks.get(name)
        widget = dock.widget() if dock is not None else None
        if dock is not None and widget is not None and dock.toggleViewAction().isChecked():
            roots[name] = widget
    return roots


def current_pane(w: MainWindow) -> str | None:
    focus = QApplication.focusWidget()
    if focus is None:
        return None
    for name, root in _roots(w).items():
        if focus is root or root.isAncestorOf(focus):
            return name
    return None


def focus_pane(w: MainWindow, name: str) -> None:
    root = _roots(w)[name]
    if name != "canvas":
        dock = w.docks[name]
        dock.show()
        dock.raise_()
    if root is w.view:
        target: QWidget = w.view
    elif name == "inspector" and w.inspector.name_edit is not None:
        target = w.inspector.name_edit  # the form's first field (its buttons sit above)
    else:
        target = first_focusable(root)
    target.setFocus(Qt.FocusReason.TabFocusReason)


def cycle_focus(w: MainWindow, step: int) -> None:
    """Focus the next (``step`` 1) or previous (-1) open pane."""
    names = [n for n in PANES if n in _roots(w)]
    now = current_pane(w)
    i = names.index(now) if now in names else (-1 if step > 0 else 0)
    focus_pane(w, names[(i + step) % len(names)])


def search_layers(w: MainWindow) -> None:
    """Search Layers (Ctrl+K): the palette's search box, its text selected for typing."""
    focus_pane(w, "palette")
    w.palette.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
    w.palette.search.selectAll()
