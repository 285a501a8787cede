"""File > Export and the run's Export... button: each format from a trained run, loaded back
with onnxruntime / torch; existing files kept; failures shown in the dialog (issue #10)."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from cnnstudio.compiler import build_model
from cnnstudio.core.project_io import Project, save
from cnnstudio.gui.export_dialog import FORMATS, ExportDialog
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.training import TrainConfig, train
from tests.gui.conftest import chain_graph, open_graph

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("export") / "run"
    project = Project(chain_graph(), "chain")
    run.mkdir()
    save(project, run / "project.cnnproj")
    torch.manual_seed(0)
    train(build_model(project.graph, for_training=True), "mnist-sample",
          TrainConfig(epochs=1, batch_size=256, device="cpu"), run, input_shape=(1, 28, 28))
    return run


def export_from_panel(window: MainWindow, qtbot: Any, run: Path, fmt: str, out: Path,
                      overwrite: bool = False) -> ExportDialog:
    window.training.open_run(run)
    assert window.training.export_button.isEnabled()
    window.training.export_button.click()
    dialog = window.export_window
    assert dialog is not None and dialog.isVisible()
    assert dialog.source().checkpoint == run / "checkpoints" / "best.safetensors"
    dialog.format_box.setCurrentIndex(list(FORMATS).index(fmt))
    dialog.path_edit.setText(str(out))
    dialog.overwrite.setChecked(overwrite)
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and bool(dialog.result or dialog.error),
                    timeout=TIMEOUT_MS)
    return dialog


def reference(run: Path, x: torch.Tensor) -> np.ndarray:
    """The run's best checkpoint in eager PyTorch (with the final layer as exported)."""
    from cnnstudio.compiler.weights import load_weights
    from cnnstudio.core.project_io import load

    model = build_model(load(run / "project.cnnproj").graph)
    load_weights(model, run / "checkpoints" / "best.safetensors")
    with torch.no_grad():
        return model.eval()(x).numpy()


def test_each_format_from_a_run_loads_back(window: MainWindow, qtbot: Any, run_dir: Path,
                                           tmp_path: Path) -> None:
    import onnxruntime as ort

    x = torch.rand(2, 1, 28, 28)
    expected = reference(run_dir, x)
    onnx_dialog = export_from_panel(window, qtbot, run_dir, "onnx", tmp_path / "m.onnx")
    assert onnx_dialog.error is None, onnx_dialog.error
    text = onnx_dialog.report.toPlainText()
    assert "onnxruntime" in text and "max abs difference" in text and "best.safetensors" in text
    assert onnx_dialog.open_button.isEnabled()
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    onnx_dialog.close()

    ts = export_from_panel(window, qtbot, run_dir, "torchscript", tmp_path / "m.pt")
    assert ts.error is None, ts.error
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # TorchScript is deprecated upstream
        got = torch.jit.load(str(tmp_path / "m.pt"))(x).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    ts.close()

    st = export_from_panel(window, qtbot, run_dir, "safetensors", tmp_path / "w.safetensors")
    assert st.error is None, st.error
    assert (tmp_path / "w.cnnproj").is_file()
    st.close()

    py = export_from_panel(window, qtbot, run_dir, "python", tmp_path / "code")
    assert py.error is None, py.error
    spec = importlib.util.spec_from_file_location("exported_model", tmp_path / "code" /
                                                  "model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from safetensors.torch import load_file

    net = module.Net()
    net.load_state_dict(load_file(str(tmp_path / "code" / "model.safetensors")))
    with torch.no_grad():
        np.testing.assert_allclose(net.eval()(x).numpy(), expected, rtol=1e-4, atol=1e-5)
    py.close()


def test_an_existing_file_is_kept_and_the_failure_shown(window: MainWindow, qtbot: Any,
                                                        run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.onnx"
    out.write_bytes(b"mine")
    dialog = export_from_panel(window, qtbot, run_dir, "onnx", out)
    assert dialog.error is not None and "exists" in dialog.error
    assert "Traceback" not in dialog.error
    assert out.read_bytes() == b"mine"
    assert "nothing was written" in dialog.status.text()
    dialog.close()


def test_file_export_offers_the_open_design(window: MainWindow, qtbot: Any,
                                            tmp_path: Path) -> None:
    open_graph(window, chain_graph())
    window.actions["export"].trigger()
    dialog = window.export_window
    assert dialog is not None and dialog.source().checkpoint is None
    dialog.format_box.setCurrentIndex(list(FORMATS).index("torchscript"))
    dialog.path_edit.setText(str(tmp_path / "design.pt"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.job is None and bool(dialog.result or dialog.error),
                    timeout=TIMEOUT_MS)
    assert dialog.error is None and (tmp_path / "design.pt").is_file()
    assert "freshly initialised" in dialog.report.toPlainText()
    dialog.close()
