"""`cnnstudio summary | validate | presets` on presets and project files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnstudio.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def test_summary_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet5", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["input_shape"] == [1, 32, 32]
    assert set(d["layers"][0]) >= {"name", "type", "output_shape", "params", "trainable_params",
                                   "keras_params", "mult_adds"}
    assert d["total_params"] == 61706 == d["trainable_params"] == d["keras_total_params"]
    assert [r["output_shape"] for r in d["layers"]][-1] == [10]
    assert d["total_mult_adds"] == sum(r["mult_adds"] for r in d["layers"])


def test_summary_table_and_keras_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(EXAMPLES / "fashion_mnist_cnn.cnnproj")]) == 0
    out = capsys.readouterr().out
    assert "conv1 (Conv2d)" in out and "16x28x28" in out
    assert "Total params: 29,034" in out  # 416 + 32 + 12,832 + 64 + 15,690
    assert "Keras would count: 29,130" in out  # + 2*(16+32) moving statistics


def test_summary_adapts_input_and_classes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet5", "--input-shape", "3,32,32", "--num-classes", "7",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["input_shape"] == [3, 32, 32] and d["layers"][-1]["output_shape"] == [7]
    assert d["layers"][1]["params"] == (5 * 5 * 3 + 1) * 6


def test_validate_exit_codes_and_messages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "lenet5"]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["validate", "lenet5", "--input-shape", "1,8,8"]) == 1
    out = capsys.readouterr().out
    assert "c3 (Conv2d)" in out and "H_out = floor((2 - 5 + 2*0) / 1) + 1 = -2" in out
    assert "Fix:" in out


def test_validate_lists_every_problem_by_node(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads((EXAMPLES / "conv_pool.cnnproj").read_text())
    doc["edges"] = [e for e in doc["edges"] if e["to"] != "n7"]  # flatten -> fc1 removed
    doc["nodes"][1]["params"]["kernel"] = [30, 30]
    path = tmp_path / "broken.cnnproj"
    path.write_text(json.dumps(doc))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "conv1 (Conv2d): The kernel" in out
    assert "fc1 (Dense): The input of fc1 is not connected." in out


def test_bad_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "resnet9000"]) == 2
    assert "neither a project file nor a preset" in capsys.readouterr().err
    bad = tmp_path / "bad.cnnproj"
    bad.write_text("{ not json")
    assert main(["validate", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_console_entry_point_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "cnnstudio", "summary", "lenet5"],
                         capture_output=True, text=True, check=True)
    assert "Total params: 61,706" in out.stdout
    help_out = subprocess.run([sys.executable, "-m", "cnnstudio", "--help"],
                              capture_output=True, text=True, check=True)
    for command in ("summary", "validate", "presets"):
        assert command in help_out.stdout
