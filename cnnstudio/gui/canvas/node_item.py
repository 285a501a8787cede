"""A node on the canvas: title (name and kind), key parameters, output shape, parameter
count, ports, an error badge whose tooltip gives each issue's message, formula and fix, and
a frozen look (snowflake badge, hatched body) for a weighted node that is not trainable, and
a mark for a node added or changed since a run (``changes.py``, ``set_highlight``). The
scene's focus item (the keyboard's node, ``keyboard.py``) gets a dashed focus ring.

The item mirrors one core ``Node`` (``sync``) and its ``NodeInfo`` (``set_info``); it never
edits the graph. Painting is cached in device coordinates and simplified when zoomed far
out (level of detail), so panning a large graph mostly blits cached pixmaps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyle, QStyleOptionGraphicsItem, QWidget

from cnnstudio.core.graph import Node
from cnnstudio.core.keras_view import shape_text
from cnnstudio.core.shapes import Issue, NodeInfo
from cnnstudio.gui.canvas.changes import ChangeMark
from cnnstudio.gui.canvas.frozen import FrozenBadge, paint_frozen_body
from cnnstudio.gui.canvas.port_item import PortItem, paint_port
from cnnstudio.gui.theme import canvas_colours, category_colour

WIDTH, HEIGHT, HEADER = 196.0, 74.0, 22.0
FAR = 0.4  # below this zoom, nodes are drawn as plain coloured boxes
BOUNDS = QRectF(-WIDTH / 2 - 2, -HEIGHT / 2 - 8, WIDTH + 4, HEIGHT + 16)  # ports included
_fonts: dict[str, QFont] = {}


def font(which: str) -> QFont:
    if which not in _fonts:
        f = QFont()
        f.setPixelSize(12 if which != "small" else 11)
        f.setBold(which == "bold")
        _fonts[which] = f
    return _fonts[which]


def format_count(n: int) -> str:
    """1234 -> '1.2k', 2_500_000 -> '2.5M'."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.1f}{suffix}"
    return str(n)


def _value(v: Any) -> str:
    if isinstance(v, tuple):
        return str(v[0]) if len(set(v)) == 1 else "x".join(str(x) for x in v)
    return str(v)


def key_params(node: Node) -> str:
    """A short line with the parameters that matter most for the node's kind."""
    p = node.params
    if node.kind == "Input":
        return f"{p['channels']} x {p['height']} x {p['width']}"
    parts: list[str] = []
    for key in ("filters", "units", "kernel", "stride", "padding", "dilation", "output_size",
                "rate", "inputs", "cropping", "depth_multiplier", "groups"):
        if key not in p:
            continue
        v = p[key]
        if key == "filters":
            parts.append(f"{v} filters")
        elif key == "units":
            parts.append(f"{v} units")
        elif key in ("kernel", "output_size"):
            parts.append("x".join(str(x) for x in v))
        elif key == "padding":
            parts.append(v if isinstance(v, str) else f"pad {_value(v)}")
        elif key == "inputs":
            parts.append(f"{v} inputs")
        elif key == "rate":
            parts.append(f"rate {v:g}")
        elif _value(v) not in ("1", "0"):
            parts.append(f"{key.replace('_', ' ')} {_value(v)}")
    if p.get("activation", "none") != "none":
        parts.append(p["activation"])
    return ", ".join(parts)


def issue_text(issues: list[Issue]) -> str:
    blocks = []
    for i in issues:
        lines = [i.message]
        if i.formula:
            lines.append(i.formula)
        if i.fix:
            lines.append(f"Fix: {i.fix}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class BadgeItem(QGraphicsItem):
    """The red (error) or amber (warning) mark at a node's corner; its tooltip explains."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setZValue(3)
        self.colour = QColor("#d93025")
        self.setVisible(False)

    def boundingRect(self) -> QRectF:
        return QRectF(-9, -9, 18, 18)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setPen(QPen(QColor("white"), 1.5))
        painter.setBrush(self.colour)
        painter.drawEllipse(QPointF(0, 0), 8, 8)
        painter.setFont(font("bold"))
        painter.drawText(self.boundingRect(), Qt.AlignmentFlag.AlignCenter, "!")

    def show_issues(self, issues: list[Issue]) -> None:
        self.setVisible(bool(issues))
        if issues:
            error = any(i.severity == "error" for i in issues)
            self.colour = QColor(canvas_colours().error if error else "#e0a100")
            self.setToolTip(issue_text(issues))
            self.update()


def setup_box(item: QGraphicsItem) -> tuple[BadgeItem, FrozenBadge]:
    """Flags, cache and stacking shared by node and group items; returns the error badge and
    the frozen badge."""
    flags = QGraphicsItem.GraphicsItemFlag
    item.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable | flags.ItemIsFocusable
                  | flags.ItemSendsGeometryChanges)
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    item.setZValue(1)
    badge = BadgeItem(item)
    badge.setPos(WIDTH / 2 - 4, -HEIGHT / 2 + 4)
    return badge, FrozenBadge(item, -WIDTH / 2 + 2, -HEIGHT / 2 + 2)


class NodeItem(QGraphicsItem):
    def __init__(self, node: Node, on_moved: Callable[[NodeItem], None],
                 snap: Callable[[QPointF], QPointF]) -> None:
        super().__init__()
        self.node_id = node.id
        self._on_moved, self._snap = on_moved, snap
        self.badge, self.frozen_badge = setup_box(self)
        #: a weighted node whose parameters are not trained
        self.frozen = False
        self.inputs: list[PortItem] = []
        self.output = PortItem(self, node.id, 0, True)
        self.output.setPos(0, HEIGHT / 2)
        self.name = self.kind = self.params_line = self.elided_params = ""
        self.colour = QColor()
        self.shape_text, self.count_text = "?", ""
        #: Keras' shapes and parameter counts (View > Keras Shapes, ``scene.set_keras``)
        self.keras = False
        self.info: NodeInfo | None = None
        self.issues: list[Issue] = []
        #: "added" / "changed" since a run (changes.py), and the changes for the tooltip
        self.change_mark = ChangeMark(self, WIDTH, HEIGHT)
        self.highlight: str | None = None
        self.change_note = ""
        self.sync(node)
        self.setPos(*node.position)

    # ------------------------------------------------------------ mirror the model
    def sync(self, node: Node) -> None:
        """Re-read the name, kind, parameters and number of input ports."""
        self.name, self.kind = node.name, node.kind
        self.colour = category_colour(node.spec.category)
        self.params_line = key_params(node)
        self.elided_params = QFontMetricsF(font("small")).elidedText(
            self.params_line, Qt.TextElideMode.ElideRight, WIDTH - 16)
        count = node.input_count
        while len(self.inputs) > count:
            port = self.inputs.pop()
            port.setParentItem(None)
            if port.scene() is not None:
                port.scene().removeItem(port)
        while len(self.inputs) < count:
            self.inputs.append(PortItem(self, node.id, len(self.inputs), False))
        for i, port in enumerate(self.inputs):
            port.setPos((i + 1) * WIDTH / (count + 1) - WIDTH / 2, -HEIGHT / 2)
        self.frozen = node.spec.has_weights and not node.trainable
        self.frozen_badge.set_counts(int(self.frozen), 1)
        frozen = "\nFrozen: its parameters are not trained" if self.frozen else ""
        self.base_tip = f"{node.name} ({node.kind})\n{node.spec.help}{frozen}"
        self.setToolTip(self.base_tip + self.change_note)
        self.update()

    def set_highlight(self, kind: str | None, note: str = "") -> None:
        """Mark the node "added" or "changed" (None: plain); ``note`` joins the tooltip."""
        self.change_mark.set_kind(kind)
        self.highlight = kind
        self.change_note = f"\n\n{note}" if kind is not None and note else ""
        self.setToolTip(self.base_tip + self.change_note)

    def set_info(self, info: NodeInfo, issues: list[Issue]) -> None:
        self.info, self.issues = info, issues
        self.shape_text = shape_text(info.shape, self.keras)
        params = info.keras_params if self.keras else info.params
        self.count_text = f"{format_count(params)} params" if params else ""
        self.badge.show_issues(issues)
        self.update()

    def input_anchor(self, port: int) -> QPointF:
        if 0 <= port < len(self.inputs):
            return self.inputs[port].scenePos()
        return self.mapToScene(QPointF(0, -HEIGHT / 2))

    def output_anchor(self) -> QPointF:
        return self.output.scenePos()

    # ------------------------------------------------------------ painting
    def boundingRect(self) -> QRectF:
        return BOUNDS

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        paint_box(self, painter, option, self.colour, self.kind, self.elided_params,
                  [*self.inputs, self.output])

    # ------------------------------------------------------------ moves
    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange:
            return self._snap(value)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self._on_moved(self)
        return super().itemChange(change, value)


def fit_shape_line(shape: str, count: str, width: float) -> tuple[str, str, str]:
    """The font, shape and count that fit one line of ``width``: the bold shape and the full
    count; else the small shape; else the count without its " params" (Keras' longer
    shapes); else the shape without its arrow; else the shape elided."""
    def w(text: str, which: str = "small") -> float:
        return QFontMetricsF(font(which)).horizontalAdvance(text)

    number = count.split(" ")[0]
    bare = shape.removeprefix("\u2192 ")
    for which, text, shown in (("bold", shape, count), ("small", shape, count),
                               ("small", shape, number), ("small", bare, number)):
        if w(text, which) + w(shown) + 8 <= width:
            return which, text, shown
    room = width - w(number) - 8
    return "small", QFontMetricsF(font("small")).elidedText(
        bare, Qt.TextElideMode.ElideRight, room), number


class BoxLike(Protocol):
    """What ``paint_box`` reads from a node or group item."""

    name: str
    shape_text: str
    count_text: str
    issues: list[Issue]
    frozen: bool

    def isSelected(self) -> bool: ...  # noqa: N802 (Qt's name)


def paint_box(item: BoxLike, painter: QPainter, option: QStyleOptionGraphicsItem,
              colour: QColor, tag: str, detail: str, ports: list[PortItem],
              stacked: bool = False) -> None:
    """Draw a node box: coloured header (name, and ``tag`` on the right), a detail line, the
    output shape and parameter count, and the ports; a plain box when zoomed far out. A frozen
    item has a hatched body and a washed-out header.
    ``stacked`` draws two offset outlines behind it (a collapsed group holds several nodes).
    """
    c = canvas_colours()
    rect = QRectF(-WIDTH / 2, -HEIGHT / 2, WIDTH, HEIGHT)
    errors = any(i.severity == "error" for i in item.issues)
    selected = item.isSelected()
    border = QColor(c.selection if selected else c.error if errors else c.border)
    if option.levelOfDetailFromTransform(painter.worldTransform()) < FAR:
        painter.setPen(QPen(border, 4 if selected or errors else 1))
        painter.setBrush(colour)
        painter.drawRect(rect)
        return
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if option.state & QStyle.StateFlag.State_HasFocus:  # the keyboard's node (keyboard.py)
        painter.setPen(QPen(QColor(c.selection), 1.5, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect.adjusted(-1, -4, 1, 4), 7, 7)  # inside BOUNDS
    painter.setBrush(QColor(c.body))
    if stacked:
        painter.setPen(QPen(QColor(c.border), 1))
        painter.drawRoundedRect(rect.translated(4, 4), 6, 6)
        painter.drawRoundedRect(rect.translated(2, 2), 6, 6)
    painter.setPen(QPen(border, 2.5 if selected or errors else 1))
    painter.drawRoundedRect(rect, 6, 6)
    if item.frozen:
        paint_frozen_body(painter, rect)
        colour = QColor.fromHsv(colour.hsvHue(), colour.hsvSaturation() // 3, colour.value())
    header = QRectF(rect.left(), rect.top(), WIDTH, HEADER)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(header, 6, 6)
    painter.drawRect(QRectF(header.left(), header.bottom() - 6, WIDTH, 6))
    painter.setPen(QColor("white"))
    painter.setFont(font("small"))
    text = header.adjusted(8, 0, -8, 0)
    painter.drawText(text, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, tag)
    tag_w = QFontMetricsF(font("small")).horizontalAdvance(tag) + 8
    painter.setFont(font("bold"))
    name = QFontMetricsF(font("bold")).elidedText(item.name, Qt.TextElideMode.ElideRight,
                                                  text.width() - tag_w)
    painter.drawText(text, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
    painter.setPen(QColor(c.subtext))
    painter.setFont(font("small"))
    detail = QFontMetricsF(font("small")).elidedText(detail, Qt.TextElideMode.ElideRight,
                                                     WIDTH - 16)
    painter.drawText(QRectF(rect.left() + 8, header.bottom() + 3, WIDTH - 16, 16),
                     Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, detail)
    line = QRectF(rect.left() + 8, header.bottom() + 22, WIDTH - 16, 18)
    which, shape, count = fit_shape_line(f"\u2192 {item.shape_text}", item.count_text,
                                         line.width())
    painter.setPen(QColor(c.error if item.shape_text == "?" else c.text))
    painter.setFont(font(which))
    painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, shape)
    painter.setPen(QColor(c.subtext))
    painter.setFont(font("small"))
    painter.drawText(line, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, count)
    for port in ports:
        paint_port(painter, port)
