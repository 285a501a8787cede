"""Opening hostile files in the app: a device, an oversized file, a payload in the text.
Each is refused with a message naming the file; the open document stays as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cnnstudio.core.limits import MAX_PROJECT_BYTES
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.resources import resource_path
from tests.gui.conftest import Dialogs, chain_graph, open_graph, snapshot


def test_a_device_and_an_oversized_file_are_refused(window: MainWindow, dialogs: Dialogs,
                                                    tmp_path: Path) -> None:
    doc = open_graph(window, chain_graph())
    before = snapshot(doc)
    big = tmp_path / "big.cnnproj"
    with open(big, "wb") as f:
        f.truncate(MAX_PROJECT_BYTES + 1)  # sparse: no disk used
    assert not window.open_file("/dev/zero")
    assert not window.open_file(big)
    assert "zero" in dialogs.errors[0] and "regular file" in dialogs.errors[0]
    assert "big.cnnproj" in dialogs.errors[1] and "limit" in dialogs.errors[1]
    assert window.doc is doc and snapshot(doc) == before


def test_text_payloads_open_as_text(window: MainWindow, dialogs: Dialogs,
                                    tmp_path: Path, qtbot: Any) -> None:
    data = json.loads(Path(resource_path("examples/conv_pool.cnnproj")).read_text())
    payload = '"""\nimport os; os._exit(3)\n"""\u2028<b>x</b>\x00'
    data["name"], data["description"] = payload, payload
    path = tmp_path / "shared.cnnproj"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert window.open_file(path)
    assert dialogs.errors == []
    assert window.doc is not None and window.doc.to_project().description == payload
