"""docs/importing.md's worked example, step by step: import torchvision's ResNet-18 in the app
(File > Import...), edit it (a 10-class head with dropout before it), save it, then fine-tune
it from the imported weights with the backbone frozen (`cnnstudio train --weights --freeze`)
on the 200 CIFAR-10 images of the shared data. With `--screenshots DIR` the edited design is
saved as DIR/importing.png, the picture the page shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cnnstudio.cli import main
from cnnstudio.gui.main_window import MainWindow
from tests.gui.screenshots import capture, varied
from tests.gui.test_import_dialog import TIMEOUT_MS


def test_import_edit_and_fine_tune_resnet18(window: MainWindow, qtbot: Any, tmp_path: Path,
                                            shared_data: Path, request: pytest.FixtureRequest,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r18.cnnproj"
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    window.actions["import"].trigger()
    dialog = window.import_window
    dialog.source_box.setEditText("torchvision.resnet18")
    dialog.shape_edit.setText("3,32,32")  # CIFAR-10's images
    dialog.path_edit.setText(str(out))
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=TIMEOUT_MS)
    assert dialog.error is None, dialog.error
    dialog.close()
    doc = window.doc
    assert doc is not None and doc.path == out
    assert doc.engine.analysis().input_shape == (3, 32, 32)
    assert {"layer1.0", "layer4.1"} <= set(doc.groups())  # grouped by module path

    # the edit: a 10-class head, and dropout before it (as the inspector and the palette do)
    fc = doc.graph.by_name("fc")
    doc.set_param(fc.id, "units", 10)
    (feeding,) = doc.graph.inputs_of(fc.id)
    assert feeding is not None
    dropout = doc.add_node("Dropout", (fc.position[0], fc.position[1] - 60),
                           params={"rate": 0.2}, feed_from=feeding.src)
    doc.disconnect(fc.id)
    doc.connect(dropout, fc.id)
    analysis = doc.engine.analysis()
    assert analysis.ok and analysis.infos[fc.id].shape == (10,)
    window.actions["layout"].trigger()  # Ctrl+L: the automatic layout makes room for it
    assert window.save()
    window.scene.clearSelection()
    window.scene.nodes[fc.id].setSelected(True)
    window.view.zoom_by(1.0 / window.view.zoom)  # readable, at the edited head
    window.view.centerOn(window.scene.nodes[dropout])
    folder = request.config.getoption("--screenshots")
    picture = capture(window, (Path(folder) if folder else tmp_path) / "importing.png")
    assert varied(picture)

    # fine-tune: the imported weights for every tensor but the new head, the backbone frozen
    capsys.readouterr()
    run = tmp_path / "runs" / "r18"
    code = main(["train", str(out), "--dataset", str(shared_data / "cifar10-sample-200"),
                 "--weights", str(out.with_suffix(".safetensors")), "--freeze", "backbone",
                 "--epochs", "1", "--batch-size", "50", "--device", "cpu", "--threads", "1",
                 "--out", str(run), "--no-progress"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "pretrained weights: 120 tensors" in text and "fresh weights: fc" in text
    assert "frozen: 40 node(s)" in text
    assert (run / "checkpoints" / "best.safetensors").is_file()
