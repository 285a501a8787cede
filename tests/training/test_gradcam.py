"""Grad-CAM on models trained briefly: on real CIFAR-10 images (shape, range, not flat) and on
synthetic images whose class is the half holding a bright patch (the heatmap's mass lies on
that half)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from cnnstudio.compiler import build_model
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.project_io import Project, save
from cnnstudio.training import TrainConfig, train
from cnnstudio.training.gradcam import grad_cam, grad_cam_details
from cnnstudio.training.images import decode_image
from cnnstudio.training.predict import open_predictor

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SAMPLE = DATA / "cifar10-sample-200"
TEST_JPG = DATA / "cifar10-test-jpg" / "test"
SIZE, PATCH = 32, 6


def patch_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Black images; class 0: a bright patch in the left half, 1: in the right half, 2: none.
    Returns images (N, 32, 32) uint8, labels and each patch's first column (-1: none)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, SIZE, SIZE), np.uint8)
    y = rng.integers(0, 3, size=n)
    half = SIZE // 2
    cols = np.where(y == 0, rng.integers(0, half - PATCH, n), rng.integers(half, SIZE - PATCH, n))
    cols = np.where(y == 2, -1, cols)
    rows = rng.integers(0, SIZE - PATCH, n)
    for i in np.flatnonzero(y != 2):
        x[i, rows[i]:rows[i] + PATCH, cols[i]:cols[i] + PATCH] = 255
    return x, y, cols


def patch_project() -> Project:
    """Bias-free convolutions: on a black background the only features are the patch's."""
    b = GraphBuilder()
    t = b.input(1, SIZE, SIZE)
    t = b.add("Conv2d", t, name="c1", filters=8, kernel=3, padding="same", activation="relu",
              bias=False)
    t = b.add("MaxPool2d", t, kernel=2)
    t = b.add("Conv2d", t, name="c2", filters=8, kernel=3, padding="same", activation="relu",
              bias=False)
    t = b.add("MaxPool2d", t, kernel=2)
    t = b.add("Flatten", t)
    b.add("Dense", t, name="fc", units=3)
    return Project(b.graph, "patch")


@pytest.fixture(scope="module")
def patch_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gradcam")
    x, y, _ = patch_images(1000, 0)
    np.savez(folder / "patches.npz", x=x, y=y)
    run = folder / "run"
    run.mkdir()
    project = patch_project()
    save(project, run / "project.cnnproj")
    torch.manual_seed(0)
    result = train(build_model(project.graph, for_training=True), str(folder / "patches.npz"),
                   TrainConfig(epochs=2, batch_size=32, device="cpu", seed=0), run,
                   input_shape=(1, SIZE, SIZE))
    assert result.test_metrics is not None and result.test_metrics["accuracy"] > 0.9
    return run


@pytest.mark.skipif(not SAMPLE.is_dir() or not TEST_JPG.is_dir(),
                    reason="../shared/data/cifar10-sample-200 and cifar10-test-jpg are absent")
def test_heatmap_of_a_cifar_model_has_the_input_size_and_range(
        tmp_path: Path) -> None:
    b = GraphBuilder()
    t = b.input(3, 32, 32)
    t = b.add("Conv2d", t, name="conv1", filters=8, kernel=3, activation="relu")
    t = b.add("Conv2d", t, name="conv2", filters=16, kernel=3, stride=2, activation="relu")
    t = b.add("GlobalAvgPool", t)
    b.add("Dense", t, units=10, activation="softmax")
    project = Project(b.graph, "cifar")
    run = tmp_path / "run"
    run.mkdir()
    save(project, run / "project.cnnproj")
    torch.manual_seed(0)
    train(build_model(project.graph, for_training=True), str(SAMPLE),
          TrainConfig(epochs=2, batch_size=32, device="cpu"), run, input_shape=(3, 32, 32))
    predictor = open_predictor(run)
    assert predictor.model is not None
    files = sorted(TEST_JPG.glob("*/*.jpg"))[::1500][:4]
    for f in files:
        x = torch.from_numpy(predictor.normalise(decode_image(f, (3, 32, 32))[None]))
        for node in ("conv1", "conv2"):
            detail = grad_cam_details(predictor.model, x, node)
            heat = detail.heatmap
            assert heat.shape == (32, 32) and heat.dtype == np.float32
            assert heat.min() >= 0.0 and heat.max() <= 1.0
            if heat.max() > 0:  # a class score can depend on nothing positive at a node
                assert heat.max() == pytest.approx(1.0) and heat.std() > 1e-3
            assert detail.class_index == int(np.argmax(detail.logits))
        assert grad_cam(predictor.model, x, "conv2").max() > 0  # the last conv explains
    with pytest.raises(ValueError, match="no node named 'nope'"):
        grad_cam(predictor.model, x, "nope")
    with pytest.raises(ValueError, match="not feature maps"):
        grad_cam(predictor.model, x, "dense_1")


@pytest.mark.parametrize("node", ["c1", "c2"])
def test_heatmap_mass_lies_on_the_half_with_the_patch(patch_run: Path, node: str) -> None:
    predictor = open_predictor(patch_run)
    assert predictor.model is not None
    x, y, cols = patch_images(120, 1)
    on_side, total, explained, shown = 0.0, 0.0, 0, 0
    half = SIZE // 2
    for image, label, col in zip(x, y, cols, strict=True):
        if label == 2:
            continue
        batch = torch.from_numpy(predictor.normalise(torch.from_numpy(image[None, None])))
        detail = grad_cam_details(predictor.model, batch, node)
        assert detail.class_index == label  # the patch's half is the predicted class
        heat = detail.heatmap.astype(np.float64)
        assert heat.shape == (SIZE, SIZE)
        side = heat[:, :half] if col < half else heat[:, half:]
        on_side += side.sum()
        total += heat.sum()
        explained += int(heat.max() > 0)
        shown += 1
    assert explained >= 0.6 * shown
    assert on_side / total > 0.8, f"only {on_side / total:.0%} of the mass on the patch's half"
