"""The Convolution Playground (issue #12): a kernel or pooling window slid over an image, with
the output and the arithmetic of each output cell; Tools > Convolution Playground..., and
Open in Playground on a Conv or pooling node (canvas context menu, inspector).

- ``window.Playground``: the window; ``open_playground(window, node_id)`` shows the main
  window's one playground, following a node when one is given;
- ``kernel.KernelEditor``, ``settings.SettingsForm``, ``maps.MapView``,
  ``worked.WorkedExample``: its parts; ``sources``: sample images, image files, presets;
  ``weights.node_filters``: a node's filters (torch), loaded by ``loader.FilterLoader`` in a
  worker.

The arithmetic itself is ``cnnstudio.core.conv_arith``. Importing this package imports no
torch; the main window imports it only when the playground is first opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from cnnstudio.core.project_io import Project, to_dict
from cnnstudio.gui.playground.settings import CONV_KINDS, POOL_KINDS
from cnnstudio.gui.playground.window import Playground

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

KINDS = (*CONV_KINDS, *POOL_KINDS)


def open_playground(w: MainWindow, node_id: str | None = None) -> Playground | None:
    """Show (make on first use) ``w``'s playground, its Node list filled from the open
    design; with ``node_id``, follow that node. A node of another kind is a status message
    and returns None."""
    doc = w.doc
    node = doc.graph.nodes.get(node_id) if doc is not None and node_id else None
    if node_id is not None and (node is None or node.kind not in KINDS):
        w.show_message("Open in Playground works on convolution and pooling nodes ("
                       + ", ".join(KINDS) + "): select one.")
        return None
    playground = w.findChild(Playground)
    if playground is None:
        panel = getattr(w, "training", None)
        playground = Playground(lambda: getattr(panel, "run_dir", None), w)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(playground.shutdown)
    if doc is not None:
        project = to_dict(Project(doc.graph, doc.name or "design"))
        playground.set_design(project, {n.name: (n.kind, dict(n.params))
                                        for n in doc.graph.nodes.values() if n.kind in KINDS})
        if node is not None:
            playground.choose_node(node.name)
    playground.show()
    playground.raise_()
    playground.activateWindow()
    return playground


__all__ = ["KINDS", "Playground", "open_playground"]
