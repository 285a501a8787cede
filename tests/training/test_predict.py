"""Predict with a trained run, one of its checkpoints or an exported ONNX file, on real
CIFAR-10 images from ../shared/data; the preprocessing is the run's own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnstudio.cli import main
from cnnstudio.compiler import build_model
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.project_io import Project, save
from cnnstudio.training import TrainConfig, train
from cnnstudio.training.augment import BatchTransform
from cnnstudio.training.images import decode_files
from cnnstudio.training.predict import PredictError, image_files, open_predictor, predict

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SAMPLE = DATA / "cifar10-sample-200"
TEST_JPG = DATA / "cifar10-test-jpg" / "test"
needs_cifar = pytest.mark.skipif(not SAMPLE.is_dir() or not TEST_JPG.is_dir(),
                                 reason="../shared/data/cifar10-sample-200 and "
                                 "cifar10-test-jpg are absent")


def small_rgb_project() -> Project:
    b = GraphBuilder()
    x = b.input(3, 32, 32)
    x = b.add("Conv2d", x, filters=8, kernel=3, stride=2, activation="relu")
    x = b.add("GlobalAvgPool", x)
    b.add("Dense", x, units=10, activation="softmax")
    return Project(b.graph, "tiny")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SAMPLE.is_dir():
        pytest.skip("../shared/data/cifar10-sample-200 is absent")
    run = tmp_path_factory.mktemp("predict") / "run"
    project = small_rgb_project()
    torch.manual_seed(0)
    model = build_model(project.graph, for_training=True)
    run.mkdir()
    save(project, run / "project.cnnproj")
    train(model, str(SAMPLE), TrainConfig(epochs=2, batch_size=32, val_split=0.1,
                                          device="cpu"), run, input_shape=(3, 32, 32))
    return run


def some_images(n: int = 6) -> list[Path]:
    return sorted(TEST_JPG.glob("*/*.jpg"))[:: 997][:n]


@needs_cifar
def test_run_predictions_use_the_runs_preprocessing(run_dir: Path) -> None:
    predictor = open_predictor(run_dir)
    files = some_images()
    results = predict(predictor, files, top_k=3)
    classes = sorted(p.name for p in SAMPLE.iterdir() if p.is_dir())
    assert predictor.preprocess.classes == classes
    # the same images through the training pipeline give the same probabilities
    transform = BatchTransform(predictor.preprocess, [], torch.device("cpu"))
    assert predictor.model is not None
    with torch.no_grad():
        expected = torch.softmax(predictor.model(transform(decode_files(files, (3, 32, 32)))), 1)
    for r, row in zip(results, expected.numpy(), strict=True):
        assert len(r["top"]) == 3
        probs = [t["probability"] for t in r["top"]]
        assert probs == sorted(probs, reverse=True)
        assert r["top"][0]["index"] == int(row.argmax())
        np.testing.assert_allclose(probs, np.sort(row)[::-1][:3], rtol=1e-5, atol=1e-6)
        assert r["top"][0]["class"] == classes[r["top"][0]["index"]]


@needs_cifar
def test_cli_predict_table_json_checkpoint_and_folder(
        run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    for f in some_images(3):
        (folder / f.name).write_bytes(f.read_bytes())
    assert main(["predict", str(run_dir / "checkpoints" / "last.safetensors"), str(folder),
                 "--top-k", "2", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert "checkpoint last" in d["model"]
    assert [Path(p["file"]).name for p in d["predictions"]] == sorted(
        f.name for f in folder.iterdir())
    assert all(len(p["top"]) == 2 for p in d["predictions"])
    assert main(["predict", str(run_dir), str(some_images(1)[0])]) == 0
    out = capsys.readouterr().out
    assert "%" in out and some_images(1)[0].name in out


@needs_cifar
def test_predict_onnx_without_metadata_numbers_classes(tmp_path: Path) -> None:
    from cnnstudio.compiler.export_onnx import export_onnx

    model = build_model(small_rgb_project().graph)
    export_onnx(model, tmp_path / "m.onnx")
    predictor = open_predictor(tmp_path / "m.onnx")
    assert predictor.notes and predictor.preprocess.classes == [str(i) for i in range(10)]
    (r,) = predict(predictor, some_images(1), top_k=10)
    assert abs(sum(t["probability"] for t in r["top"]) - 1.0) < 1e-5


def test_predict_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(PredictError, match="not a run folder"):
        open_predictor(tmp_path)
    with pytest.raises(PredictError, match="no such image"):
        image_files([tmp_path / "missing.png"])
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not onnx")
    image = tmp_path / "x.png"
    image.write_bytes(b"not a png")
    assert main(["predict", str(broken), str(image)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "broken.onnx" in err[0]


@needs_cifar
def test_onnx_export_of_a_run_carries_its_preprocessing(run_dir: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    import onnx

    out = tmp_path / "m.onnx"
    assert main(["export", str(run_dir / "project.cnnproj"), "--checkpoint",
                 str(run_dir / "checkpoints" / "best.safetensors"), "--format", "onnx",
                 "--out", str(out)]) == 0
    assert "metadata: cnnstudio." in capsys.readouterr().out
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    prep = json.loads((run_dir / "config.json").read_text())["preprocess"]
    assert json.loads(meta["cnnstudio.preprocess"]) == prep
    assert json.loads(meta["cnnstudio.classes"]) == prep["classes"]
    assert meta["cnnstudio.output"] == "probabilities"  # the design ends in softmax
    assert json.loads(meta["cnnstudio.input"]) == {
        "name": "x", "layout": "NCHW", "dtype": "float32", "shape": ["batch", 3, 32, 32]}
    files = some_images()
    from_onnx = predict(open_predictor(out), files, top_k=3)
    from_run = predict(open_predictor(run_dir / "checkpoints" / "best.safetensors"), files, 3)
    for a, b in zip(from_onnx, from_run, strict=True):
        assert [t["class"] for t in a["top"]] == [t["class"] for t in b["top"]]
        np.testing.assert_allclose([t["probability"] for t in a["top"]],
                                   [t["probability"] for t in b["top"]], rtol=1e-4, atol=1e-6)
