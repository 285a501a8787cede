"""The Convolution Playground window: a kernel (typed, a preset, or a Conv node's filter) or a
pooling window slid over an image, with the node's stride, padding and activation, and the
arithmetic of a few output cells written out.

Left: where the kernel comes from (a node's filters: untrained, or trained in a run), the
kernel's numbers, the settings and the image. Right: the input, kernel and output pictures
(``maps.MapView``), the output-size arithmetic (the shape engine's own lines), and the worked
example (``worked.WorkedExample``) of an output region chosen with the spin boxes or by
clicking the output picture. The arithmetic is ``compute`` (``core.conv_arith``), on the GUI
thread (images are at most ``sources.MAX_SIDE`` pixels a side: tens of milliseconds); a
node's filters come from ``weights.node_filters`` in a worker (``loader.FilterLoader``;
torch is imported there). The Node list offers the open design's Conv and pooling nodes.

**All input channels** (the default for a filter over several input channels): the output is
the filter's sum over its input channels plus its bias, then the activation, i.e. the node's
own feature map for the image: a colour image gives a 3-channel filter its red, green and
blue; otherwise the grey image is given to every input channel (said under the output size).
The kernel picture shows every channel slice; the kernel table and the worked example's
grids show the slice of **Input channel**, and each cell's formula adds the channels' sums.
Off (and for a typed kernel): one 2-D kernel on the grey image.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.layers.spec import ShapeProblem
from cnnstudio.gui.playground.compute import (
    filter_cells,
    filter_output,
    output_map,
    region_cells,
)
from cnnstudio.gui.playground.kernel import KernelEditor
from cnnstudio.gui.playground.loader import FilterLoader
from cnnstudio.gui.playground.maps import MapView, tiles
from cnnstudio.gui.playground.settings import SettingsForm
from cnnstudio.gui.playground.sources import (
    IMAGE_FILTER,
    load_picture,
    sample_names,
    sample_picture,
)
from cnnstudio.gui.playground.worked import WorkedExample
from cnnstudio.gui.training.worker import SHUTDOWN_MS

UNTRAINED, PANEL_RUN, OTHER_RUN = "Untrained (initial weights)", "Run in the Training panel", \
    "Run folder..."
NO_NODE = "None (a typed kernel)"
OP_TEXT = {"conv": "*", "max": "max", "avg": "mean", "min": "min"}
RGB = ("R", "G", "B")


class Playground(QWidget):
    def __init__(self, current_run: Callable[[], Path | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Convolution Playground - CNN Studio")
        self.current_run = current_run
        self.project: dict[str, Any] | None = None  # the design the node belongs to
        self.design: dict[str, Any] = {}  # the open design, whose nodes the list offers
        self.design_nodes: dict[str, tuple[str, dict[str, Any]]] = {}  # name -> kind, params
        self.node: tuple[str, str] | None = None  # (name, kind)
        self.filters: dict[str, Any] | None = None
        self.output: np.ndarray | None = None
        self.groups = 1  # the followed Conv node's groups
        self.loader = FilterLoader(self, watch=parent)
        self.loader.loaded.connect(self._on_filters)
        self.loader.failed.connect(self._on_failed)
        picture = sample_picture(sample_names()[0])
        self.image, self.rgb = picture.grey, picture.rgb  # grey (H, W); colour (3, H, W)
        self._build()
        self.choose_node(NO_NODE)
        self.kernel.changed.connect(self.recompute)
        self.settings.changed.connect(self.recompute)
        self.recompute()
        self.centre_on_image()
        self.resize(1280, 860)

    # ------------------------------------------------------------ layout
    def _build(self) -> None:
        self.node_choice = QComboBox(self)
        self.node_choice.addItem(NO_NODE)
        self.node_choice.setToolTip("A Conv or pooling node of the open design to follow")
        self.node_choice.activated.connect(
            lambda _i: self.choose_node(self.node_choice.currentText()))
        self.node_label = QLabel(self)
        self.node_label.setWordWrap(True)
        self.source = QComboBox(self)
        self.source.addItems([UNTRAINED, PANEL_RUN, OTHER_RUN])
        self.source.activated.connect(lambda _i: self.load_filters())
        self.filter_index, self.channel = QSpinBox(self), QSpinBox(self)
        for spin in (self.filter_index, self.channel):
            spin.valueChanged.connect(self._show_filter)
        self.all_channels = QCheckBox("All input channels", self)
        self.all_channels.setToolTip(
            "The filter over every input channel (a colour image's R, G, B): the node's own "
            "feature map. Off: the Input channel's slice on the grey image.")
        self.all_channels.setEnabled(False)
        self.all_channels.toggled.connect(self._show_filter)
        self.channel.setToolTip("The filter's slice the kernel table shows (with All input "
                                "channels: the channel the worked example's grids show)")
        node_box = QGroupBox("From a node", self)
        nf = QFormLayout(node_box)
        nf.addRow("Node", self.node_choice)
        nf.addRow(self.node_label)
        nf.addRow("Weights", self.source)
        nf.addRow("Filter", self.filter_index)
        nf.addRow("Input channel", self.channel)
        nf.addRow(self.all_channels)
        self.kernel = KernelEditor(self)
        self.kernel.message.connect(self.show_message)
        self.settings = SettingsForm(self)
        self.samples = QComboBox(self)
        self.samples.addItems(sample_names())
        self.samples.activated.connect(lambda _i: self.use_sample(self.samples.currentText()))
        open_button = QPushButton("Open Image...", self)
        open_button.clicked.connect(self.open_image)
        self.image_note = QLabel(self)
        image_box = QGroupBox("Image", self)
        il = QFormLayout(image_box)
        il.addRow("Sample", self.samples)
        il.addRow(open_button)
        il.addRow(self.image_note)
        left = QWidget(self)
        ll = QVBoxLayout(left)
        for title, w in (("", node_box), ("Kernel", self.kernel), ("Settings", self.settings),
                         ("", image_box)):
            box = w if not title else QGroupBox(title, self)
            if title:
                QVBoxLayout(box).addWidget(w)
            ll.addWidget(box)
        ll.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        scroll.setMinimumWidth(360)
        self.maps = MapView(self)
        self.maps.cellClicked.connect(self.centre_region)
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.region_row, self.region_col, self.region_size = (QSpinBox(self) for _ in range(3))
        self.region_size.setRange(1, 8)
        self.region_size.setValue(4)
        region = QHBoxLayout()
        for text, spin in (("Worked example: output cells from row", self.region_row),
                           ("column", self.region_col), ("size", self.region_size)):
            region.addWidget(QLabel(text, self))
            region.addWidget(spin)
            spin.valueChanged.connect(self.show_worked)
        region.addStretch(1)
        self.worked = WorkedExample(self)
        lower = QWidget(self)
        low = QVBoxLayout(lower)
        low.addWidget(self.info)
        low.addLayout(region)
        low.addWidget(self.worked, 1)
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.maps)
        right.addWidget(lower)
        right.setSizes([330, 530])
        main = QHBoxLayout(self)
        main.addWidget(scroll)
        main.addWidget(right, 1)

    # ------------------------------------------------------------ inputs
    @Slot(str)
    def show_message(self, text: str) -> None:
        self.info.setText(f"<b style='color:#d93025'>{text}</b>")

    def use_sample(self, name: str) -> None:
        self.samples.setCurrentText(name)
        picture = sample_picture(name)
        self.image, self.rgb = picture.grey, picture.rgb
        self.image_note.setText(f"{self.image.shape[0]} x {self.image.shape[1]} pixels")
        self.recompute()
        self.centre_on_image()

    @Slot()
    def open_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Image", "", IMAGE_FILTER)
        if path:
            self.use_file(Path(path))

    def use_file(self, path: Path) -> bool:
        """Use an image file (grey, and its colours for all input channels); a file that
        cannot be used is a message."""
        try:
            picture, note = load_picture(path)
        except ValueError as exc:
            self.show_message(str(exc))
            return False
        self.image, self.rgb = picture.grey, picture.rgb
        self.image_note.setText(f"{path.name}: {self.image.shape[0]} x {self.image.shape[1]} "
                                f"pixels{', ' + note if note else ''}")
        self.recompute()
        self.centre_on_image()
        return True

    def set_design(self, project: dict[str, Any],
                   nodes: dict[str, tuple[str, dict[str, Any]]]) -> None:
        """The open design (project data) and its Conv and pooling nodes, name -> (kind,
        params), offered in the Node list."""
        self.design, self.design_nodes = project, nodes
        current = self.node_choice.currentText()
        self.node_choice.blockSignals(True)
        self.node_choice.clear()
        self.node_choice.addItems([NO_NODE, *nodes])
        self.node_choice.setCurrentText(current if current in nodes else NO_NODE)
        self.node_choice.blockSignals(False)

    def choose_node(self, name: str) -> None:
        """Follow the design's node ``name``; any other name: no node, a typed kernel."""
        if name in self.design_nodes:
            kind, params = self.design_nodes[name]
            self.set_node(self.design, name, kind, params)
            return
        self.loader.cancel()
        self.project, self.node, self.filters = None, None, None
        self._all_channels_offered(False)
        self.node_label.setText("No node: type a kernel or pick a preset.")
        self.recompute()

    def set_node(self, project: dict[str, Any], name: str, kind: str,
                 params: dict[str, Any]) -> None:
        """Follow a Conv or pooling node: its settings, and for a Conv its filters."""
        self.loader.cancel()  # a late result for the node followed before is dropped
        self.project, self.node, self.filters = project, (name, kind), None
        self.groups = int(params.get("groups", 1)) if kind == "Conv2d" else 1
        self._all_channels_offered(False)
        if self.node_choice.findText(name) < 0:
            self.node_choice.addItem(name)
        self.node_choice.setCurrentText(name)
        self.settings.set_from_node(kind, params)
        if self.settings.op != "conv":
            self.node_label.setText(f"<b>{name}</b> ({kind}): a pooling window")
            self.kernel.set_kernel(np.ones(tuple(params["kernel"])) / np.prod(params["kernel"]))
            return
        self.node_label.setText(f"<b>{name}</b> ({kind}): loading its filters...")
        self.load_filters()

    # ------------------------------------------------------------ node filters
    def load_filters(self) -> None:
        if self.node is None or self.project is None or self.settings.op != "conv":
            return
        choice = self.source.currentText()
        run: Path | None = None
        if choice == PANEL_RUN:
            run = self.current_run()
            if run is None:
                self.show_message("The Training panel shows no run: train or open one first.")
                return
        elif choice == OTHER_RUN:
            folder = QFileDialog.getExistingDirectory(self, "Run folder")
            if not folder:
                return
            run = Path(folder)
        self.loader.load(self.project, self.node[0], run)

    @property
    def loading(self) -> bool:
        return self.loader.running

    @Slot(object)
    def _on_filters(self, result: dict[str, Any]) -> None:
        self.filters = result
        f, c = result["weight"].shape[:2]
        self.node_label.setText(f"<b>{result['node']}</b> ({result['kind']}): {f} filter(s) "
                                f"over {c} input channel(s), {result['source']}")
        for spin, n in ((self.filter_index, f), (self.channel, c)):
            spin.blockSignals(True)
            spin.setRange(0, n - 1)
            spin.blockSignals(False)
        self._all_channels_offered(c > 1)
        self._show_filter()

    def _all_channels_offered(self, offered: bool) -> None:
        """Offer (and choose) All input channels, for a filter over several channels."""
        self.all_channels.blockSignals(True)
        self.all_channels.setEnabled(offered)
        self.all_channels.setChecked(offered)
        self.all_channels.blockSignals(False)

    @property
    def multi(self) -> bool:
        """Whether the output is the node's filter over all its input channels."""
        return self.filters is not None and self.all_channels.isChecked() \
            and self.settings.op == "conv"

    def inputs(self) -> tuple[np.ndarray, tuple[str, ...] | None, str]:
        """The node's input channels for the image (C, H, W), their names and a note: a
        colour image's R, G, B for a 3-channel node, else the grey image on each channel."""
        assert self.filters is not None
        channels = self.filters["weight"].shape[1] * self.groups
        names = RGB if channels == 3 else None
        if self.rgb is not None and channels == 3:
            return self.rgb, names, ""
        note = f"The grey image is given to each of the {channels} input channels"
        note += " (open a colour image for red, green and blue)." if channels == 3 else \
            (" (a colour image has 3: it is made grey)." if self.rgb is not None else ".")
        return np.broadcast_to(self.image, (channels, *self.image.shape)), names, note

    @Slot()
    def _show_filter(self) -> None:
        if self.filters is None:
            return
        f, c = self.filter_index.value(), self.channel.value()
        bias = self.filters["bias"]
        self.kernel.set_kernel(self.filters["weight"][f, c],
                               0.0 if bias is None else float(bias[f]))

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.show_message(f"Could not load the filters: {message}")

    def shutdown(self, timeout_ms: int = SHUTDOWN_MS) -> bool:
        """Stop loading filters; wait at most ``timeout_ms`` (False: timed out)."""
        return self.loader.shutdown(timeout_ms)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------ arithmetic
    @Slot()
    def recompute(self) -> None:
        kernel = self.kernel.kernel()
        op = self.settings.op
        multi = self.multi
        self.kernel.setEnabled(not multi)
        self.kernel.table.setEnabled(op == "conv")
        note = ""
        try:
            if multi:
                assert self.filters is not None
                x, names, note = self.inputs()
                weight, f = self.filters["weight"], self.filter_index.value()
                if x is self.rgb:
                    self.maps.show_rgb("input", x, "Input (R, G, B)")
                else:
                    self.maps.show_array("input", self.image)
                self.maps.show_array("kernel", tiles(weight[f]),
                                     f"Filter {f}: {weight.shape[1]} channel slices"
                                     + (" (R, G, B)" if names else ""))
                self.output, lines = filter_output(x, weight, self.filters["bias"], f,
                                                   self.groups, self.settings.values(),
                                                   same_channels=bool(note))
            else:
                self.maps.show_array("input", self.image)
                self.maps.show_array("kernel", kernel if op == "conv" else None,
                                     "Kernel" if op == "conv" else f"{op} window")
                self.output, lines = output_map(self.image, kernel, self.kernel.bias_value,
                                                self.settings.values())
        except ShapeProblem as exc:
            self.output = None
            self.maps.show_array("output", None)
            self.worked.show_cells([], None, "", "")
            self.show_message(f"{exc.message} {exc.formula}. {exc.fix}")
            return
        h, w = self.output.shape
        self.maps.show_array("output", self.output, f"Output {h} x {w}")
        self.info.setText("<br>".join(f"<code>{line}</code>" for line in lines)
                          + (f"<br>{note}" if note else ""))
        self.region_row.setMaximum(max(h - 1, 0))
        self.region_col.setMaximum(max(w - 1, 0))
        self.show_worked()

    def centre_on_image(self) -> None:
        """The worked example in the middle of the output (where a digit or shape is)."""
        if self.output is not None:
            self.centre_region(self.output.shape[0] // 2, self.output.shape[1] // 2)

    @Slot(int, int)
    def centre_region(self, row: int, col: int) -> None:
        """Move the worked example's region to cover output cell (row, col)."""
        half = self.region_size.value() // 2
        for spin, v in ((self.region_row, row - half), (self.region_col, col - half)):
            spin.blockSignals(True)
            spin.setValue(max(v, 0))
            spin.blockSignals(False)
        self.show_worked()

    @Slot()
    def show_worked(self) -> None:
        if self.output is None:
            return
        s, k = self.settings.values(), self.kernel.kernel()
        h, w = self.output.shape
        n = self.region_size.value()
        r0 = min(self.region_row.value(), max(h - n, 0))
        c0 = min(self.region_col.value(), max(w - n, 0))
        rows, cols = range(r0, min(r0 + n, h)), range(c0, min(c0 + n, w))
        depth, shown = "", ""
        if self.multi:
            assert self.filters is not None
            x, names, _ = self.inputs()
            weight, f, c = self.filters["weight"], self.filter_index.value(), self.channel.value()
            cells = filter_cells(x, weight, self.filters["bias"], f, self.groups, s, rows, cols)
            channel = f // (weight.shape[0] // self.groups) * weight.shape[1] + c
            name = names[channel] if names else f"c{channel}"
            self.worked.show_cells(cells, weight[f, c], "*", "", channel, names)
            depth = f"x{weight.shape[1]}"
            shown = f"; the grids show input channel {name}, each sum adds all " \
                f"{weight.shape[1]}"
        else:
            cells = region_cells(self.image, k, self.kernel.bias_value, s, rows, cols)
            self.worked.show_cells(cells, k if s["op"] == "conv" else None, OP_TEXT[s["op"]],
                                   "")
        crop = (self.worked.input_table.rowCount(), self.worked.input_table.columnCount())
        shape = f"{k.shape[0]}x{k.shape[1]}{depth}"
        self.worked.caption.setText(
            f"<b>{crop[0]}x{crop[1]}{depth} {OP_TEXT[s['op']]} {shape} = "
            f"{len(rows)}x{len(cols)}</b>"
            f" &nbsp; stride {s['stride'][0]}x{s['stride'][1]}, padding {s['padding']}"
            + (f", activation {s['activation']}" if s["op"] == "conv" else "")
            + f" &nbsp; (hover or click an output cell{shown})")
        self.maps.outline("output", r0, c0, len(rows), len(cols))
        self.maps.outline("input", *self.worked.origin, *crop)
