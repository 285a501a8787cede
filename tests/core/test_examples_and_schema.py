"""The shipped example projects: current, valid, with the shapes a course would show; the
JSON Schema in docs/ equals the one generated from the catalogue and accepts them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnstudio.core import analyse
from cnnstudio.core import project_io as io
from cnnstudio.core.examples import EXAMPLES, example_project
from cnnstudio.core.schema import project_schema

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "resources" / "examples"

EXPECTED = {
    # name: (shapes of the conv layers, output, total params)
    "three_convs_valid": ([(32, 26, 26), (32, 24, 24), (32, 22, 22)], (10,),
                          320 + 9248 * 2 + (32 * 22 * 22 + 1) * 128 + 1290),
    "three_convs_same": ([(32, 28, 28)] * 3, (10,),
                         320 + 9248 * 2 + (32 * 28 * 28 + 1) * 128 + 1290),
    "three_convs_strided": ([(32, 14, 14), (32, 7, 7), (32, 4, 4)], (10,),
                            320 + 9248 * 2 + (32 * 4 * 4 + 1) * 128 + 1290),
    "conv_pool": ([(32, 26, 26), (32, 11, 11)], (10,), 320 + 9248 + (800 + 1) * 128 + 1290),
    "fashion_mnist_cnn": ([(16, 28, 28), (32, 14, 14)], (10,),
                          416 + 32 + 12832 + 64 + (32 * 7 * 7 + 1) * 10),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_file_is_current_and_valid(name: str) -> None:
    path = EXAMPLES_DIR / f"{name}.cnnproj"
    assert path.read_text() == io.dumps(example_project(name)), (
        "resources/examples is stale: run python -m cnnstudio.core.examples")
    a = analyse(io.load(path).graph)
    assert a.ok, [i.message for i in a.issues]
    convs, out, total = EXPECTED[name]
    shapes = [a.infos[n].shape for n in a.order if a.graph.nodes[n].kind == "Conv2d"]
    assert shapes == convs
    assert a.output_shape == out
    assert a.total("params") == total


def test_docs_schema_is_generated_from_the_catalogue() -> None:
    on_disk = json.loads((REPO / "docs" / "project.schema.json").read_text())
    assert on_disk == project_schema(), (
        "stale: run python -m cnnstudio.core.schema > docs/project.schema.json")


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_schema_accepts_examples_and_rejects_bad_params(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    doc = json.loads((EXAMPLES_DIR / f"{name}.cnnproj").read_text())
    jsonschema.validate(doc, project_schema())
    doc["nodes"][1]["params"]["filters"] = 10**9
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, project_schema())
