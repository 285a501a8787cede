"""Keyboard-only use: every step sends key events to the widget that has the focus
(``QApplication.focusWidget()``), as a user without a mouse would; no clicks, no calls into
the app. Covers palette search (Ctrl+K, Enter adds after the selected node), Tab quick-add,
arrows along edges, nudges, Connect To... / Disconnect..., F6 between panes, the
inspector's Tab order and the focus ring, and builds LeNet-5 this way."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from cnnstudio.core.presets import PRESETS
from cnnstudio.core.shapes import analyse
from cnnstudio.gui.focus_cycle import PANES, current_pane
from cnnstudio.gui.main_window import MainWindow
from tests.gui.conftest import chain_graph, open_graph, residual_graph

K = Qt.Key
CTRL, SHIFT, ALT = (Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier,
                    Qt.KeyboardModifier.AltModifier)


def focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(qtbot: Any, key: K, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
          times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(focus(), key, mods)


def type_text(qtbot: Any, text: str) -> None:
    qtbot.keyClicks(focus(), text)


def start(qtbot: Any, window: MainWindow) -> None:
    """Show the window; F6 until the canvas has the focus (no click, no setFocus)."""
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    for _ in range(len(PANES) + 1):
        if QApplication.focusWidget() is window.view:
            return
        qtbot.keyClick(QApplication.focusWidget() or window, K.Key_F6)
    assert QApplication.focusWidget() is window.view


def tab_to(qtbot: Any, target: QWidget, limit: int = 40) -> None:
    """Press Tab until ``target`` has the focus."""
    for _ in range(limit):
        if focus() is target:
            return
        press(qtbot, K.Key_Tab)
    assert focus() is target, f"Tab never reached {target!r}; stuck on {focus()!r}"


def set_field(qtbot: Any, widget: QWidget, text: str) -> None:
    """Tab to a field, type, Enter (a spin box selects its text when tabbed into)."""
    tab_to(qtbot, widget)
    type_text(qtbot, text)
    press(qtbot, K.Key_Return)


def edit_params(qtbot: Any, window: MainWindow, values: dict[str, str]) -> None:
    """F6 from the palette to the inspector, then each field by Tab, typing and Enter;
    back to the palette with Shift+F6."""
    press(qtbot, K.Key_F6)
    assert current_pane(window) == "inspector"
    editors = window.inspector.editors
    for name, text in values.items():
        if ":" in text:  # a pair: "5:5"
            for spin, part in zip(editors[name].spins, text.split(":"), strict=True):
                set_field(qtbot, spin, part)
        elif editors[name].combo is not None:
            tab_to(qtbot, editors[name].combo)
            type_text(qtbot, text)  # a combo box jumps to the item typed
        else:
            set_field(qtbot, editors[name].spins[0], text)
    press(qtbot, K.Key_F6, SHIFT)
    assert current_pane(window) == "palette"


def add_from_palette(qtbot: Any, window: MainWindow, text: str) -> None:
    press(qtbot, K.Key_K, CTRL)
    assert focus() is window.palette.search
    type_text(qtbot, text)
    press(qtbot, K.Key_Return)


def signature(graph: Any) -> list[tuple[str, str, int, list[str]]]:
    """Kinds, output shapes, parameter counts and producers' kinds, in topological order."""
    analysis = analyse(graph)
    order, cyclic = graph.topo_order()
    assert not cyclic and not analysis.graph_issues
    out = []
    for nid in order:
        info = analysis.infos[nid]
        assert not info.issues, info.issues
        producers = [graph.nodes[e.src].kind for e in graph.inputs_of(nid) if e is not None]
        out.append((graph.nodes[nid].kind, str(info.shape), info.params, producers))
    return out


def test_build_lenet5_by_keyboard_only(qtbot: Any, window: MainWindow) -> None:
    start(qtbot, window)
    doc = window.doc
    assert doc is not None and not doc.graph.nodes
    press(qtbot, K.Key_Tab)  # quick-add on the canvas
    type_text(qtbot, "input")
    press(qtbot, K.Key_Return)
    assert [n.kind for n in doc.graph.nodes.values()] == ["Input"]
    assert focus() is window.view
    press(qtbot, K.Key_F6, times=2)  # canvas -> palette -> inspector
    assert current_pane(window) == "inspector"
    editors = window.inspector.editors
    set_field(qtbot, editors["height"].spins[0], "32")
    set_field(qtbot, editors["width"].spins[0], "32")
    press(qtbot, K.Key_F6, SHIFT)
    steps = [("conv2d", {"filters": "6", "kernel": "5:5", "activation": "tanh"}),
             ("avgpool2d", {}),
             ("conv2d", {"filters": "16", "kernel": "5:5", "activation": "tanh"}),
             ("avgpool2d", {}),
             ("flatten", {}),
             ("dense", {"units": "120", "activation": "tanh"}),
             ("dense", {"units": "84", "activation": "tanh"}),
             ("dense", {"units": "10", "activation": "softmax"})]
    for text, values in steps:
        add_from_palette(qtbot, window, text)
        if values:
            edit_params(qtbot, window, values)
    preset = PRESETS["lenet5"].build()
    assert signature(doc.graph) == signature(preset)
    assert len(doc.graph.edges) == len(doc.graph.nodes) - 1
    # every node stands below the one it follows: the chain reads top to bottom
    order, _ = doc.graph.topo_order()
    ys = [doc.graph.nodes[n].position[1] for n in order]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)


def test_palette_search_enter_adds_after_the_selection(qtbot: Any, window: MainWindow) -> None:
    start(qtbot, window)
    doc = open_graph(window, chain_graph())
    press(qtbot, K.Key_Down)  # nothing selected: the first node (the input)
    press(qtbot, K.Key_Down)
    conv1 = doc.graph.by_name("conv1").id
    assert window.scene.selected_node_ids() == [conv1]
    add_from_palette(qtbot, window, "relu")
    relu = [n for n in doc.graph.nodes.values() if n.kind == "ReLU"]
    assert len(relu) == 1 and doc.graph.input_edge(relu[0].id, 0).src == conv1
    assert focus() is window.palette.search and window.palette.search.selectedText() == "relu"
    # Up / Down in the search box move through the kinds shown; Enter adds that one
    type_text(qtbot, "pool")
    first = window.palette.current_kind()
    press(qtbot, K.Key_Down)
    second = window.palette.current_kind()
    assert first and second and first != second
    press(qtbot, K.Key_Return)
    added = [n for n in doc.graph.nodes.values() if n.kind == second]
    assert len(added) == 1 and doc.graph.input_edge(added[0].id, 0).src == relu[0].id
    assert doc.undo_stack.count() == 2
    # Tab into the tree: arrows and Enter there add too
    tab_to(qtbot, window.palette.tree)
    press(qtbot, K.Key_Down)
    third = window.palette.current_kind()
    assert third and third != second
    press(qtbot, K.Key_Return)
    assert doc.undo_stack.count() == 3
    new = [n for n in doc.graph.nodes.values() if n.kind == third and n.id != added[0].id]
    assert len(new) == 1 and doc.graph.input_edge(new[0].id, 0).src == added[0].id


def test_quick_add_goes_below_the_selected_node(qtbot: Any, window: MainWindow) -> None:
    start(qtbot, window)
    doc = open_graph(window, chain_graph())
    press(qtbot, K.Key_Down)
    image = doc.graph.by_name("image")
    press(qtbot, K.Key_Tab)
    type_text(qtbot, "batchnorm")
    press(qtbot, K.Key_Return)
    bn = next(n for n in doc.graph.nodes.values() if n.kind == "BatchNorm")
    assert doc.graph.input_edge(bn.id, 0).src == image.id
    assert bn.position[1] > image.position[1]
    taken = [n.position for n in doc.graph.nodes.values() if n.id != bn.id]
    assert bn.position not in taken  # conv1 stands right below the input: moved aside
    assert focus() is window.view and window.scene.selected_node_ids() == [bn.id]


def test_arrows_follow_edges_and_nudge(qtbot: Any, window: MainWindow) -> None:
    start(qtbot, window)
    doc = open_graph(window, residual_graph())
    g, scene = doc.graph, window.scene
    ids = {n.name: n.id for n in g.nodes.values()}

    def selected() -> str:
        (nid,) = scene.selected_node_ids()
        return g.nodes[nid].name

    press(qtbot, K.Key_Right)
    assert selected() == "image"
    walk = [(K.Key_Down, "stem"), (K.Key_Down, "conv_a"), (K.Key_Right, "add"),
            (K.Key_Left, "conv_a"), (K.Key_Down, "conv_b"), (K.Key_Down, "add"),
            (K.Key_Up, "conv_b"), (K.Key_Down, "add"), (K.Key_Down, "pool"),
            (K.Key_Down, "fc"), (K.Key_Down, "fc"), (K.Key_Up, "pool")]
    for key, name in walk:
        press(qtbot, key)
        assert selected() == name, (key, name)
    # the selected node has the scene's focus: drawn with a focus ring while the canvas
    # has the keyboard focus
    item = scene.nodes[ids["pool"]]
    assert scene.focusItem() is item and item.hasFocus()
    rect = window.view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    focused = window.view.viewport().grab(rect).toImage()
    press(qtbot, K.Key_F6)
    assert current_pane(window) == "palette" and not item.hasFocus() and item.isSelected()
    assert window.view.viewport().grab(rect).toImage() != focused
    press(qtbot, K.Key_F6, SHIFT)
    assert focus() is window.view and item.hasFocus()
    # nudges: Shift+arrow one grid step, Alt+arrow one unit, each undoable
    x, y = g.nodes[ids["pool"]].position
    press(qtbot, K.Key_Right, SHIFT)
    press(qtbot, K.Key_Down, ALT)
    assert g.nodes[ids["pool"]].position == (x + 20, y + 1)
    assert item.pos().x() == x + 20
    press(qtbot, K.Key_Z, CTRL, times=2)
    assert g.nodes[ids["pool"]].position == (x, y)
    press(qtbot, K.Key_Escape)
    assert not scene.selectedItems() and scene.focusItem() is None


def test_connect_and_disconnect_by_keyboard(qtbot: Any, window: MainWindow) -> None:
    start(qtbot, window)
    doc = open_graph(window, chain_graph())
    g = doc.graph
    flatten, fc = g.by_name("flatten").id, g.by_name("fc").id
    press(qtbot, K.Key_Down, times=4)
    assert window.scene.selected_node_ids() == [flatten]
    press(qtbot, K.Key_D, CTRL | SHIFT)  # Disconnect...
    picker = window.view.keys.picker
    assert picker.isVisible() and focus() is picker.search
    listed = [picker.list.item(i).text() for i in range(picker.list.count())]
    assert listed == ["from conv2", "to fc"]
    type_text(qtbot, "fc")
    press(qtbot, K.Key_Return)
    assert not picker.isVisible() and g.input_edge(fc, 0) is None
    assert focus() is window.view
    # a second Dense, unconnected, to choose from
    press(qtbot, K.Key_Escape)
    press(qtbot, K.Key_Tab)
    type_text(qtbot, "dense")
    press(qtbot, K.Key_Return)
    press(qtbot, K.Key_Up)  # the new Dense has no producer: the selection stays
    press(qtbot, K.Key_Escape)
    press(qtbot, K.Key_Down, times=4)
    assert window.scene.selected_node_ids() == [flatten]
    count = doc.undo_stack.count()
    press(qtbot, K.Key_K, CTRL | SHIFT)  # Connect To...
    listed = [picker.list.item(i).text() for i in range(picker.list.count())]
    # free inputs whose shapes fit: both Dense nodes; never conv1 / conv2 (a cycle and a
    # taken port), nor the image
    new = next(n.name for n in g.nodes.values() if n.kind == "Dense" and n.id != fc)
    assert sorted(listed) == sorted([f"{new} (Dense)", "fc (Dense)"])
    type_text(qtbot, "fc")
    assert picker.list.count() == 1
    press(qtbot, K.Key_Return)
    assert g.input_edge(fc, 0).src == flatten and doc.undo_stack.count() == count + 1
    press(qtbot, K.Key_Z, CTRL)
    assert g.input_edge(fc, 0) is None


def test_connect_to_leaves_out_shapes_that_do_not_fit(qtbot: Any, window: MainWindow) -> None:
    start(qtbot, window)
    doc = open_graph(window, chain_graph())
    conv = doc.add_node("Conv2d", (400.0, 0.0))  # wants a 3-d input
    press(qtbot, K.Key_Down, times=4)  # flatten: a flat output
    press(qtbot, K.Key_K, CTRL | SHIFT)
    picker = window.view.keys.picker
    listed = [picker.list.item(i).text() for i in range(picker.list.count())]
    assert not any(doc.graph.nodes[conv].name in t for t in listed)
    press(qtbot, K.Key_Escape)
    assert not picker.isVisible()


def test_f6_cycles_the_panes(qtbot: Any, window: MainWindow) -> None:
    start(qtbot, window)
    window.docks["training"].show()
    seen = [current_pane(window)]
    for _ in range(len(PANES)):
        press(qtbot, K.Key_F6)
        seen.append(current_pane(window))
    assert seen == [*PANES, "canvas"]
    back = []
    for _ in range(len(PANES)):
        press(qtbot, K.Key_F6, SHIFT)
        back.append(current_pane(window))
    assert back == ["training", "summary", "inspector", "palette", "canvas"]
    window.docks["training"].close()
    press(qtbot, K.Key_F6, SHIFT)
    assert current_pane(window) == "summary"  # a closed dock is skipped


def test_inspector_tab_order(qtbot: Any, window: MainWindow) -> None:
    """F6 lands on the form's first field; Tab walks the fields top to bottom, then leaves
    the inspector; Shift+Tab from Name reaches the buttons above the form."""
    start(qtbot, window)
    open_graph(window, chain_graph())
    press(qtbot, K.Key_Down, times=2)  # conv1
    press(qtbot, K.Key_F6, times=2)
    ins = window.inspector
    assert focus() is ins.name_edit
    order = [focus()]
    for _ in range(30):
        press(qtbot, K.Key_Tab)
        if not ins.isAncestorOf(focus()):
            break
        order.append(focus())
    expected: list[QWidget] = [ins.name_edit, ins.trainable]
    for editor in ins.editors.values():
        fields = [editor.combo, *editor.spins] if editor.combo else list(editor.spins)
        fields += [editor.box] if editor.box is not None else []
        expected += [w for w in fields if w is not None and w.isEnabled()]
    assert order == expected
    for _ in range(len(PANES)):  # F6 back round to the inspector
        press(qtbot, K.Key_F6)
        if current_pane(window) == "inspector":
            break
    assert focus() is ins.name_edit
    press(qtbot, K.Key_Tab, SHIFT)
    button = focus()  # Help (and any other button above the form)
    assert isinstance(button, QPushButton) and ins.isAncestorOf(button)
    assert button.y() < ins.name_edit.y()


def test_keyboard_shortcuts_do_not_clash(window: MainWindow) -> None:
    """One action per key sequence in the main window, and none on the keys the canvas
    handles itself (arrows, Escape, Tab)."""
    taken: dict[str, str] = {}
    direct = Qt.FindChildOption.FindDirectChildrenOnly
    actions = {id(a): a for a in [*window.findChildren(QAction, "", direct),
                                  *window.view.actions()]}
    for action in actions.values():
        for seq in action.shortcuts():
            key = seq.toString()
            assert key not in taken, f"{key}: {taken[key]} and {action.text()}"
            taken[key] = action.text()
    for mod in ("", "Shift+", "Alt+", "Ctrl+"):
        for key in ("Left", "Right", "Up", "Down", "Esc", "Tab"):
            assert f"{mod}{key}" not in taken
    for key in ("Ctrl+K", "Ctrl+F", "Ctrl+Shift+K", "Ctrl+Shift+D", "F6", "Shift+F6"):
        assert QKeySequence(key).toString() in taken


def test_shortcuts_dialog_and_docs_agree_with_the_actions(qtbot: Any,
                                                          window: MainWindow) -> None:
    from pathlib import Path

    from cnnstudio.gui.canvas.keyboard import CANVAS_KEYS
    from cnnstudio.gui.shortcuts_help import ShortcutsDialog, shortcut_rows

    rows = shortcut_rows(window)
    assert ("Ctrl+Shift+K", "Connect To") in rows and ("Ctrl+Z", "Undo") in rows
    page = Path(__file__).resolve().parents[2] / "docs" / "keyboard.md"
    documented = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 2 and cells[0] != "Keys":
            documented.add((cells[0], cells[1]))
    assert documented and documented <= set(rows), documented - set(rows)  # never wrong
    ours = {"Search Layers", "Connect To", "Disconnect", "Next Panel", "Previous Panel",
            "Add Node", "Undo", "Redo"} | {what for _, what in CANVAS_KEYS}
    assert ours <= {what for _, what in documented}
    start(qtbot, window)
    window.actions["shortcuts"].trigger()  # Help > Keyboard Shortcuts
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.table.rowCount() == len(rows)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.search, timeout=2000)
    type_text(qtbot, "ctrl+shift")
    shown = [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())
             if not dialog.table.isRowHidden(r)]
    assert "Connect To" in shown and "Save As" in shown and "Copy" not in shown
    dialog.close()


def test_welcome_page_by_keyboard(qtbot: Any, window: MainWindow) -> None:
    """F6 reaches the welcome page in the canvas's place; Tab, arrows and Enter open a
    preset, and the canvas comes back with the focus."""
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.welcome.show()
    page = window.welcome.page
    assert page is not None
    for _ in range(len(PANES) + 1):
        if current_pane(window) == "canvas":
            break
        qtbot.keyClick(QApplication.focusWidget() or window, K.Key_F6)
    assert page.isAncestorOf(focus())
    tab_to(qtbot, page.presets)
    press(qtbot, K.Key_Down)  # the first preset
    pid = page.presets.currentItem().data(Qt.ItemDataRole.UserRole)
    press(qtbot, K.Key_Return)
    assert not window.welcome.visible and window.doc is not None
    assert len(window.doc.graph.nodes) == len(PRESETS[pid].build().nodes)
    assert focus() is window.view


def test_delete_keeps_the_keyboards_place(qtbot: Any, window: MainWindow) -> None:
    start(qtbot, window)
    doc = open_graph(window, chain_graph())
    g = doc.graph
    press(qtbot, K.Key_Down, times=3)
    assert [g.nodes[n].name for n in window.scene.selected_node_ids()] == ["conv2"]
    press(qtbot, K.Key_Delete)
    conv1 = g.by_name("conv1").id
    assert window.scene.selected_node_ids() == [conv1]  # its producer, ready for more keys
    assert window.scene.focusItem() is window.scene.nodes[conv1]
    press(qtbot, K.Key_Delete)
    assert [g.nodes[n].name for n in window.scene.selected_node_ids()] == ["image"]
    press(qtbot, K.Key_Z, CTRL, times=2)
    assert len(g.nodes) == 5


def test_arrows_step_over_a_collapsed_group_and_pan(qtbot: Any, window: MainWindow) -> None:
    start(qtbot, window)
    doc = open_graph(window, residual_graph())
    doc.set_collapsed(["block"], True)
    scene = window.scene
    press(qtbot, K.Key_Down, times=2)  # image, stem
    press(qtbot, K.Key_Down)
    assert scene.selected_groups() == ["block"]  # the group stands for its members
    assert scene.focusItem() is scene.groups["block"]
    press(qtbot, K.Key_Down)
    assert [doc.graph.nodes[n].name for n in scene.selected_node_ids()] == ["pool"]
    press(qtbot, K.Key_Up)
    assert scene.selected_groups() == ["block"]
    window.view.resetTransform()
    window.view.zoom_by(3.0)
    bar = window.view.horizontalScrollBar()
    before = bar.value()
    press(qtbot, K.Key_Right, CTRL)  # pans, the selection stays
    assert bar.value() > before and scene.selected_groups() == ["block"]
