"""A readable first view of a freshly opened preset or example.

``fit_all`` shrinks a tall network (ResNet-50 is a column of fifty blocks) until its node
names cannot be read. ``show_top`` instead zooms so a node box is at least ``MIN_NODE_PX``
wide (fitting the first rows of the network across the view where they are narrower) and
scrolls to the top, where the Input node is. F (fit to view) still shows the whole network.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QGraphicsItem

from cnnstudio.gui.canvas.node_item import WIDTH
from cnnstudio.gui.canvas.view import CanvasView

MIN_NODE_PX = 140.0  # a node box at least this wide: names and shapes legible
MAX_START_ZOOM = 1.0
TOP_ROWS = 4  # rows (of about a node's height and gap) fitted across the view
ROW_HEIGHT = 140.0
MARGIN = 40.0


def _visible_items(view: CanvasView) -> list[QGraphicsItem]:
    items: list[QGraphicsItem] = [*view.canvas.nodes.values(), *view.canvas.groups.values()]
    return [i for i in items if i.isVisible()]


def _input_item(view: CanvasView) -> QGraphicsItem | None:
    doc = view.canvas.doc
    if doc is None:
        return None
    inputs = [n.id for n in doc.graph.nodes.values() if n.kind == "Input"]
    items = [view.canvas.nodes[i] for i in inputs if i in view.canvas.nodes]
    items = [i for i in items if i.isVisible()]
    return min(items, key=lambda i: i.sceneBoundingRect().top()) if items else None


def show_top(view: CanvasView) -> None:
    """Zoom to a readable scale and scroll to the Input node (or the top of the network)."""
    items = _visible_items(view)
    if not items:
        return
    top = min(i.sceneBoundingRect().top() for i in items)
    rows = QRectF()
    for item in items:
        rect = item.sceneBoundingRect()
        if rect.top() < top + TOP_ROWS * ROW_HEIGHT:
            rows = rows.united(rect)
    port = view.viewport().rect()
    fit = min(port.width() / (rows.width() + 2 * MARGIN),
              port.height() / (rows.height() + 2 * MARGIN))
    scale = min(MAX_START_ZOOM, max(fit, MIN_NODE_PX / WIDTH))
    view.zoom_by(scale / view.zoom)
    anchor = _input_item(view)
    target = anchor.sceneBoundingRect() if anchor is not None else rows
    # the anchor near the top edge of the view, centred across it
    half_h = port.height() / 2 / view.zoom
    centre_x = rows.center().x() if rows.width() * view.zoom <= port.width() \
        else target.center().x()
    view.centerOn(QPointF(centre_x, target.top() - MARGIN + half_h))
    if anchor is not None:
        view.ensureVisible(anchor, int(MARGIN), int(MARGIN))
