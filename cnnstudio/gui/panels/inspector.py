"""The inspector dock: the selected node's form, generated from its layer declaration.

Name and Trainable come first (the checkbox is the same undoable freeze / unfreeze as the
canvas menu; disabled for a node without weights), then one ``ParamEditor`` per
``ParamSpec``. Every change is an undoable ``Document.set_param`` (or rename /
set_trainable); a refused value shows the core's reason and the form snaps back to the
graph's value. Below the form: the output shape and counts, the receptive field
(``core.receptive``), the arithmetic (``NodeInfo.explanation``) and the node's issues,
re-read after every edit (the document's ``changed``). The Help button opens the kind's
help page (``panels.layer_help``).
"""

from __future__ import annotations

import html
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.errors import GraphError
from cnnstudio.core.receptive import receptive_fields
from cnnstudio.gui.document import Document
from cnnstudio.gui.panels.layer_help import LayerHelpDialog
from cnnstudio.gui.panels.param_editors import ParamEditor


def _label(parent: QWidget, mono: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if mono:
        f = QFont("monospace")
        f.setStyleHint(QFont.StyleHint.Monospace)
        label.setFont(f)
    return label


class Inspector(QScrollArea):
    message = Signal(str)
    playgroundRequested = Signal(str)  # a node id: Open in Playground

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.doc: Document | None = None
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.name_edit: QLineEdit | None = None
        self.trainable: QCheckBox | None = None
        self.help_button: QPushButton | None = None
        self.help_dialog: LayerHelpDialog | None = None
        self._build(None)

    def set_document(self, doc: Document) -> None:
        if self.doc is not None:
            self.doc.changed.disconnect(self.refresh)
        self.doc = doc
        doc.changed.connect(self.refresh)
        self.set_node(None)

    @Slot(object)
    def set_node(self, node_id: str | None) -> None:
        if self.doc is None or node_id not in self.doc.graph.nodes:
            node_id = None
        self.node_id = node_id
        self._build(node_id)
        self.refresh()

    def _build(self, node_id: str | None) -> None:
        body = QWidget()
        outer = QVBoxLayout(body)
        self.editors, self.name_edit, self.trainable = {}, None, None
        self.help_button = None
        self.playground_button: QPushButton | None = None
        self.header = _label(body)
        outer.addWidget(self.header)
        self.error = _label(body)
        self.error.setStyleSheet("color: #d93025;")
        self.error.hide()
        if node_id is None or self.doc is None:
            self.header.setText("Select a node to edit its parameters.")
            self.shape = self.explanation = self.issues = self.field = _label(body)
            outer.addStretch(1)
            self.setWidget(body)
            return
        node = self.doc.graph.nodes[node_id]
        self.help_button = QPushButton(f"Help: {node.kind}", body)
        self.help_button.setToolTip("What this kind computes, its formulas and parameters")
        self.help_button.clicked.connect(self.show_help)
        outer.addWidget(self.help_button)
        if node.spec.conv or node.spec.window_pool:
            self.playground_button = QPushButton("Open in Playground", body)
            self.playground_button.setToolTip("Slide this node's kernel or window over an "
                                              "image and see each output cell's arithmetic")
            self.playground_button.clicked.connect(
                lambda: self.playgroundRequested.emit(node_id))
            outer.addWidget(self.playground_button)
        form = QFormLayout()
        self.name_edit = QLineEdit(node.name, body)
        self.name_edit.setToolTip("A Python identifier: it names the layer in exported code")
        self.name_edit.editingFinished.connect(self._rename)
        form.addRow("Name", self.name_edit)
        self.trainable = QCheckBox(body)
        self.trainable.setEnabled(node.spec.has_weights)
        self.trainable.setToolTip(
            "Unchecked: the node is frozen (its parameters are not trained)"
            if node.spec.has_weights else "This node has no parameters to train")
        self.trainable.toggled.connect(self._set_trainable)
        form.addRow("Trainable", self.trainable)
        for spec in node.spec.params:
            editor = ParamEditor(spec, body)
            editor.changed.connect(partial(self._set_param, spec.name))
            self.editors[spec.name] = editor
            label = QLabel(spec.name.replace("_", " "), body)
            label.setToolTip(spec.help)
            form.addRow(label, editor.widget)
        outer.addLayout(form)
        outer.addWidget(self.error)
        self.shape = _label(body)
        outer.addWidget(self.shape)
        self.field = _label(body)
        self.field.setToolTip("The input pixels one output pixel depends on: the span (size), "
                              "the step between neighbouring output pixels (jump) and the "
                              "first pixel of output pixel 0 (start; negative: padding)")
        outer.addWidget(self.field)
        outer.addWidget(QLabel("<b>How it is computed</b>", body))
        self.explanation = _label(body, mono=True)
        outer.addWidget(self.explanation)
        self.issues = _label(body)
        self.issues.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(self.issues)
        outer.addStretch(1)
        self.setWidget(body)

    @Slot()
    def refresh(self) -> None:
        """Re-read the node's values, shape, explanation and issues from the document."""
        if self.doc is None or self.node_id is None:
            return
        if self.node_id not in self.doc.graph.nodes:
            self.set_node(None)
            return
        node = self.doc.graph.nodes[self.node_id]
        if len(self.editors) != len(node.spec.params):
            self._build(self.node_id)
        info = self.doc.engine.info(self.node_id)
        self.header.setText(f"<b>{html.escape(node.name)}</b> &nbsp; {node.kind} "
                            f"({node.spec.category})<br><small>{html.escape(node.spec.help)}"
                            "</small>")
        if self.name_edit is not None and not self.name_edit.hasFocus():
            self.name_edit.setText(node.name)
        if self.trainable is not None:
            self.trainable.blockSignals(True)
            self.trainable.setChecked(node.trainable)
            self.trainable.blockSignals(False)
        for name, editor in self.editors.items():
            editor.set_value(node.params[name])
        self.shape.setText(f"<b>Output</b> {info.shape_text} &nbsp; <b>Params</b> "
                           f"{info.params:,} ({info.trainable_params:,} trainable) &nbsp; "
                           f"<b>Mult-adds</b> {info.mult_adds:,}")
        field = receptive_fields(self.doc.engine.analysis())[self.node_id]
        self.field.setText(f"<b>Receptive field</b> {field.text() if field else '-'}")
        self.explanation.setText("\n".join(info.explanation) or "-")
        analysis = self.doc.engine.analysis()
        issues = [*info.issues, *(i for i in analysis.graph_issues if i.node_id == node.id)]
        self.issues.setText("".join(
            f"<p><b style='color:#d93025'>{html.escape(i.message)}</b>"
            + (f"<br><code>{html.escape(i.formula)}</code>" if i.formula else "")
            + (f"<br>Fix: {html.escape(i.fix)}" if i.fix else "") + "</p>" for i in issues))

    @Slot()
    def show_help(self) -> None:
        """Open the selected node's kind's help page."""
        if self.doc is None or self.node_id is None:
            return
        if self.help_dialog is None:
            self.help_dialog = LayerHelpDialog(self)
        self.help_dialog.show_kind(self.doc.graph.nodes[self.node_id].kind)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        if text:
            self.message.emit(text)

    def _set_param(self, name: str, value: Any) -> None:
        if self.doc is None or self.node_id is None:
            return
        try:
            self.doc.set_param(self.node_id, name, value)
            self._show_error("")
        except GraphError as exc:
            self._show_error(exc.message)
            self.refresh()

    @Slot()
    def _rename(self) -> None:
        if self.doc is None or self.node_id is None or self.name_edit is None:
            return
        try:
            self.doc.rename(self.node_id, self.name_edit.text().strip())
            self._show_error("")
        except GraphError as exc:
            self._show_error(exc.message)
            self.name_edit.setText(self.doc.graph.nodes[self.node_id].name)

    @Slot(bool)
    def _set_trainable(self, value: bool) -> None:
        if self.doc is not None and self.node_id is not None:
            self.doc.set_trainable(self.node_id, value)
