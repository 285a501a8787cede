"""The summary dock: the table ``cnnstudio summary`` prints, live.

``SummaryModel`` wraps ``cnnstudio.core.summary.summary_dict`` of the document's analysis and
is re-read after each burst of edits, off the edit path (a zero-delay timer; a model reset:
the view only paints visible rows). Each row shows its parameters and how many of them
are trainable (a frozen node's row is tinted and reads "0 (frozen n)"), and its receptive
field (``core.receptive``); the totals line splits the parameters into trainable and frozen.
``set_keras`` writes shapes and counts as Keras does (View > Keras Shapes). Clicking a row
emits ``nodeClicked(node_id)`` so the canvas can select that node. ``show_memory`` shows the
training form's memory line (``gui/training/memory_line.py``) under the totals.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.keras_view import shape_text
from cnnstudio.core.receptive import field_text
from cnnstudio.core.summary import summary_dict
from cnnstudio.gui.canvas.frozen import FROZEN_COLOUR
from cnnstudio.gui.document import Document

HEADERS = ("Layer (type)", "Output Shape", "Param #", "Trainable #", "Mult-Adds",
           "Receptive Field")
PARAMS, TRAINABLE, MULT_ADDS, FIELD = 2, 3, 4, 5
Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()


class SummaryModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self.data_dict: dict[str, Any] = {}
        self.bad: set[str] = set()
        self.keras = False  # Keras' shapes and counts (View > Keras Shapes)

    def reload(self, doc: Document) -> None:
        self.beginResetModel()
        self.data_dict = summary_dict(doc.engine.analysis())
        self.rows = self.data_dict["layers"]
        self.bad = {i["node_id"] for i in self.data_dict["issues"]
                    if i["node_id"] and i["severity"] == "error"}
        self.endResetModel()

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return f"{r['name']} ({r['type']})"
            if col == 1:
                shape = r["output_shape"]
                return shape_text(tuple(shape) if shape else None, self.keras)
            if col == FIELD:
                return field_text(r["receptive_field"])
            k = "keras_" if self.keras else ""
            if col == TRAINABLE and self.is_frozen(r):
                return f"0 (frozen {r[k + 'params']:,})"
            key = {PARAMS: k + "params", TRAINABLE: k + "trainable_params",
                   MULT_ADDS: "mult_adds"}
            return f"{r[key[col]]:,}"
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= PARAMS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and r["id"] in self.bad:
            return QColor("#d93025")
        if role == Qt.ItemDataRole.ForegroundRole and self.is_frozen(r):
            return QColor(FROZEN_COLOUR)
        if role == Qt.ItemDataRole.ToolTipRole and self.is_frozen(r):
            return "Frozen: its parameters are not trained"
        if role == Qt.ItemDataRole.UserRole:
            return r["id"]
        return None

    @staticmethod
    def is_frozen(row: dict[str, Any]) -> bool:
        """A node with parameters, none of them trainable."""
        return bool(row["params"]) and not row["trainable_params"]

    def row_of(self, node_id: str) -> int:
        for i, r in enumerate(self.rows):
            if r["id"] == node_id:
                return i
        return -1


class SummaryPanel(QWidget):
    nodeClicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self._pending = False
        self.model = SummaryModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)
        self.totals = QLabel(self)
        self.totals.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addWidget(self.totals)
        self.memory = QLabel(self)
        self.memory.setWordWrap(True)
        # shown where there is room: it must not raise the window's minimum height
        self.memory.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        layout.addWidget(self.memory)
        self.table.clicked.connect(self._clicked)

    def set_document(self, doc: Document) -> None:
        if self.doc is not None:
            self.doc.changed.disconnect(self.schedule)
        self.doc = doc
        doc.changed.connect(self.schedule)
        self.refresh()

    @Slot()
    def schedule(self) -> None:
        """Re-read the table once the current burst of edits is over (off the edit path)."""
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self.refresh)

    @Slot()
    def refresh(self) -> None:
        self._pending = False
        if self.doc is None:
            return
        self.model.reload(self.doc)
        for col in (1, FIELD):  # shapes and fields: as wide as their longest visible text
            self.table.resizeColumnToContents(col)
        d = self.model.data_dict
        shape = d["input_shape"]
        state = "valid" if d["valid"] else f"{len(d['issues'])} issue(s)"
        k = "keras_" if self.model.keras else ""
        total, trainable = d[f"{k}total_params"], d[f"{k}trainable_params"]
        self.totals.setText(
            f"Input {shape_text(tuple(shape) if shape else None, self.model.keras)} &nbsp; "
            f"<b>Total params</b> {total:,} "
            f"(trainable {trainable:,}, {'non-trainable' if k else 'frozen'} "
            f"{total - trainable:,}) &nbsp; <b>Mult-adds</b> "
            f"{d['total_mult_adds']:,} &nbsp; <b>{state}</b>")

    @Slot(str)
    def show_memory(self, text: str) -> None:
        """The memory a training step at the training form's settings needs."""
        self.memory.setText(f"<b>Training memory</b> {text}")

    def set_keras(self, on: bool) -> None:
        """Shapes and parameter counts as Keras writes them (View > Keras Shapes), or not."""
        self.model.keras = on
        self.refresh()

    def select_node(self, node_id: str | None) -> None:
        row = self.model.row_of(node_id) if node_id else -1
        if row < 0:
            self.table.clearSelection()
        else:
            self.table.selectRow(row)

    @Slot(QModelIndex)
    def _clicked(self, index: QModelIndex) -> None:
        node_id = self.model.data(index, Qt.ItemDataRole.UserRole)
        if node_id:
            self.nodeClicked.emit(node_id)
